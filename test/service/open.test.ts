// A new workspace opens with the default model registered and the first 50 edits of its suite queued, so Apply
// works at once; an existing one is left as it is; one process at a time owns a workspace.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_QUEUED_EDITS, openWorkspaceFolder } from '../../src-main/service/workspace'
import { openWorkspace } from '../../src-main/service'
import { listExperiments } from '../../src-main/store'
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
      // The settings the engine runs with: the default method's, every field filled.
      expect(status.experiment?.settings).toMatchObject({ preset: 'elder', numExperts: 8, routing: 'preset', discriminator: 'key' })
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

  it('many processes opening at the same instant, over a stale lock: exactly one gets the workspace (issue 11)', async () => {
    // The old lock checked the pid file, deleted it and created it again: with a dead pid in it, two processes could
    // both get past it, and one then failed creating tables the other had just made.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid as number
    for (let round = 0; round < 3; round++) {
      const dir = tempDir()
      writeFileSync(join(dir, 'workspace.lock'), String(deadPid))
      const children = Array.from({ length: 5 }, () => lockChild(dir))
      await Promise.all(children.map((c) => c.next())) // every one has loaded and says "ready"
      for (const c of children) c.proc.stdin.write('go\n')
      const answers = await Promise.all(children.map((c) => c.next()))
      const winner = answers.indexOf('ok')
      expect(answers.filter((a) => a === 'ok'), answers.join('\n')).toHaveLength(1)
      for (const a of answers.filter((x) => x !== 'ok')) {
        // the pid file is written once the lock is held; a loser may look before that, or see the dead owner's pid
        expect([`workspace ${dir} is open in process ${children[winner].proc.pid}; close it there first`,
          `workspace ${dir} is open in another process; close it there first`]).toContain(a)
      }
      await Promise.all(children.map((c) => c.end()))
      // the winner made the tables, and its lock went with it: this process opens the workspace now
      const ws = openWorkspaceFolder(dir)
      expect(listExperiments(ws.db)).toEqual([])
      ws.db.close()
      ws.release()
      expect(existsSync(join(dir, 'workspace.lock'))).toBe(false)
    }
  })

  it('a process killed while it holds the workspace leaves no lock behind', async () => {
    const dir = tempDir()
    const child = lockChild(dir)
    await child.next()
    child.proc.stdin.write('go\n')
    expect(await child.next()).toBe('ok')
    expect(() => openWorkspaceFolder(dir)).toThrow(`workspace ${dir} is open in process ${child.proc.pid}; close it there first`)
    child.proc.kill('SIGKILL')
    await new Promise((resolve) => child.proc.once('exit', resolve))
    const ws = openWorkspaceFolder(dir)
    ws.db.close()
    ws.release()
  })
})

/** test/service/lock-child.ts in its own process, read line by line. */
function lockChild(dir: string): { proc: ChildProcessWithoutNullStreams; next(): Promise<string>; end(): Promise<void> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./lock-child.ts', import.meta.url)), dir], { stdio: 'pipe' })
  const queue: string[] = []
  const waiting: Array<(line: string) => void> = []
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const w = waiting.shift()
    if (w) w(line)
    else queue.push(line)
  })
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  return {
    proc,
    next: () => {
      const line = queue.shift()
      if (line !== undefined) return Promise.resolve(line)
      return Promise.race([
        new Promise<string>((resolve) => waiting.push(resolve)),
        exited.then(() => Promise.reject(new Error(`lock-child exited: ${stderr}`)))
      ])
    },
    end: () => {
      proc.stdin.end()
      return exited
    }
  }
}
