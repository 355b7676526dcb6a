// A new workspace opens with the default model registered and the first 50 edits of its suite queued, so Apply
// works at once; an existing one is left as it is; one process at a time owns a workspace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_QUEUED_EDITS } from '../../src-main/service/workspace'
import { openWorkspace } from '../../src-main/service'
import { tinyModelDir } from '../helpers/tiny-model'
import { applyAndWait, engineSpawn, ok } from './helpers'

const dirs: string[] = []
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'elder-open-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('openWorkspace', () => {
  it('seeds a new workspace with the default model, an experiment and the first 50 edits; Apply works at once', async () => {
    const modelDir = tinyModelDir()
    writeFileSync(join(modelDir, 'edits.jsonl'),
      Array.from({ length: 60 }, (_, i) => JSON.stringify({ prompt: `Fact ${i} is`, target: `value${i}` })).join('\n'))
    const dir = tempDir()
    const svc = await openWorkspace(dir, { defaultModelDir: modelDir, spawn: engineSpawn(), onLog: () => undefined })
    try {
      const status = ok(await svc['app.status']({}))
      expect(status.model).toMatchObject({ path: modelDir, name: basename(modelDir), nLayer: 2, nEmbd: 64, vocabSize: 512 })
      expect(status.experiment).toMatchObject({ name: basename(modelDir), method: 'elder', config: {}, counts: { queued: DEFAULT_QUEUED_EDITS } })
      expect(status.backend).toMatch(/^backend wasm/)
      const exp = status.experiment!
      const queued = ok(await svc['edits.list']({ experimentId: exp.id, limit: 100 })).rows
      expect(queued).toHaveLength(50)
      expect(queued.map((e) => [e.prompt, e.sourceFile, e.sourceLine])[49]).toEqual(['Fact 49 is', 'edits.jsonl', 50])
      const job = await applyAndWait(svc, exp.id, 1, 1)
      expect(job.state).toBe('done')

      await expect(openWorkspace(dir, { spawn: engineSpawn() })).rejects.toThrow(`workspace ${dir} is open in process ${process.pid}`)
    } finally {
      await svc.close()
    }
    const again = await openWorkspace(dir, { defaultModelDir: modelDir, spawn: engineSpawn(), onLog: () => undefined })
    try {
      expect(ok(await again['experiments.list']({}))).toHaveLength(1)
      expect(ok(await again['models.list']({}))).toHaveLength(1)
      expect(ok(await again['app.status']({})).experiment?.counts).toMatchObject({ queued: 49, applied: 1 })
    } finally {
      await again.close()
    }
  })

  it('opens empty, without starting the engine, when the default model is not there yet', async () => {
    const svc = await openWorkspace(tempDir(), { defaultModelDir: join(tempDir(), 'not-built-yet'), spawn: engineSpawn() })
    try {
      expect(ok(await svc['app.status']({}))).toMatchObject({ model: null, experiment: null, job: null, backend: 'engine not started' })
      expect(svc.enginePid()).toBeNull()
    } finally {
      await svc.close()
    }
  })
})
