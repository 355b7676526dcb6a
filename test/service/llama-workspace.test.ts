// The workbench on a LLaMA-family folder: a workspace registers the sharded BF16 llama-tiny (architecture from its
// config.json), applies an edit through the engine process, and the probe shows the edited answer beside the base.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openWorkspace } from '../../src-main/service'
import { LLAMA_TINY } from '../helpers/llama-fixtures'
import { applyAndWait, engineSpawn, ok, testWorkspace, type TestWorkspace } from './helpers'

let ws: TestWorkspace
beforeAll(async () => {
  ws = await testWorkspace({}, { modelDir: LLAMA_TINY })
})
afterAll(() => ws.close())

const EDIT = { prompt: 'The capital of Velmora is', target: 'Tarsk' }

describe('a workspace on llama-tiny', () => {
  it('registers the folder as a llama with its shards hashed', () => {
    expect(ws.model.architecture).toBe('llama')
    expect(ws.model.contentHash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('applies an edit with the default ELDER and probes the edited answer against the base', async () => {
    ok(await ws.svc['edits.add']({ experimentId: ws.exp.id, edits: [EDIT] }))
    const job = await applyAndWait(ws.svc, ws.exp.id, 1, 1)
    expect(job).toMatchObject({ kind: 'apply', state: 'done', editsDone: 1 })
    const [p] = ok(await ws.svc.probe({ experimentId: ws.exp.id, prompts: [EDIT.prompt] }))
    expect(p.edited.answer.trim().startsWith('Tarsk')).toBe(true)
    expect(p.base.answer.trim().startsWith('Tarsk')).toBe(false)
  })
})

describe('a new workspace whose default model is a sharded LLaMA-family folder', () => {
  it('registers it and queues its edit suite, as it does for the embedded GPT-2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elder-ws-llama-'))
    const svc = await openWorkspace(dir, { defaultModelDir: LLAMA_TINY, spawn: engineSpawn(), onLog: () => undefined })
    try {
      const status = ok(await svc['app.status']({}))
      expect(status.model).toMatchObject({ name: 'llama-tiny', architecture: 'llama', nLayer: 4, nEmbd: 64, vocabSize: 384 })
      expect(status.experiment?.counts.queued).toBe(6)
    } finally {
      await svc.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
