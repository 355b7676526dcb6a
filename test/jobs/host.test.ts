// EngineHost against a real engine process (child_process.fork of jobs/engine-worker.ts, tiny model, wasm):
// typed requests and replies, progress, cancel, checkpoint files, and what happens when the process dies.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src-main/jobs/checkpoint-file'
import { EngineError, EngineHost, type Progress } from '../../src-main/jobs/host'
import { nodeSpawn } from '../../src-main/jobs/spawn'
import { tinyModelDir } from '../helpers/tiny-model'

const env = { ...process.env, ELDER_BACKEND: 'wasm' }
const FAST = { lr: 1e-2, maxSteps: 60, eps: 1, numExperts: 16 }
const EDIT = { prompt: 'The capital of France is', target: 'Lyon' }
let modelDir: string
let host: EngineHost
const logs: string[] = []

beforeAll(() => {
  modelDir = tinyModelDir()
  host = new EngineHost({ spawn: nodeSpawn({ env }), onLog: (_, m) => logs.push(m) })
})
afterAll(() => host.close())

const fresh = (config: Record<string, unknown> = FAST) =>
  host.request('load', { modelDir, config, state: null, disabled: [], renumber: [] })

describe('EngineHost with a real engine process', () => {
  it('starts the process on the first request and answers inspect; the worker reports its backend', async () => {
    expect(host.alive).toBe(false)
    const info = await host.request('inspect', { modelDir })
    expect(info).toMatchObject({ dir: modelDir, nLayer: 2, nEmbd: 64, vocabSize: 512, contentHash: sha256Hex(readFileSync(join(modelDir, 'model.safetensors'))) })
    expect(host.alive).toBe(true)
    expect(host.backend).toMatch(/^backend wasm/)
  })

  it('a fresh editor predicts exactly what the base model does, deferring everything', async () => {
    expect(await fresh()).toEqual({ owners: [], rows: 0 })
    const r = await host.request('predict', { prompts: [EDIT.prompt, 'Hello'], maxNewTokens: 4 })
    expect(r.edited.map(({ answer, top5 }) => ({ answer, top5 }))).toEqual(r.base)
    expect(r.edited.map((e) => [e.deferred, e.nearestDistance, e.nearest])).toEqual([[true, null, null], [true, null, null]])
  })

  it('apply reports progress, writes the checkpoint atomically and returns its sha256 and the codes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elder-cp-'))
    const file = join(dir, 'sub', 'b7.elder')
    const progress: Progress[] = []
    const r = await host.request('apply', { batchId: 7, edits: [EDIT], checkpointFile: file }, { onProgress: (p) => progress.push(p) })
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: r.steps }, (_, i) => i + 1))
    expect(progress.every((p) => p.maxSteps === 60 && typeof p.loss === 'number')).toBe(true)
    expect(r.finalLoss).toBe(progress.at(-1)?.loss)
    expect(readdirSync(join(dir, 'sub'))).toEqual(['b7.elder'])
    expect(r.checkpoint).toEqual({ file, sha256: sha256Hex(readFileSync(file)), bytes: readFileSync(file).length })
    expect(r.codes).toHaveLength(1)
    const p = await host.request('predict', { prompts: [EDIT.prompt], maxNewTokens: 4 })
    expect(p.edited[0]).toMatchObject({ answer: 'Lyon', nearestDistance: 0, nearest: { batchId: 7, row: 0 }, deferred: false })

    // Loading the file gives the same predictions; a changed byte is refused by name.
    expect(await host.request('load', { modelDir, config: {}, state: { file, sha256: r.checkpoint.sha256 }, disabled: [], renumber: [[7, 70]] }))
      .toEqual({ owners: [70], rows: 1 })
    const again = await host.request('predict', { prompts: [EDIT.prompt], maxNewTokens: 4 })
    const scope = p.edited[0].scope
    expect(again.edited[0]).toEqual({
      ...p.edited[0], nearest: { batchId: 70, row: 0 }, scope: { ...scope, nearest: scope.nearest.map((n) => ({ ...n, batchId: 70 })) }
    })
    await host.request('setDisabled', { disabled: [70] })
    expect((await host.request('predict', { prompts: [EDIT.prompt], maxNewTokens: 4 })).edited[0]).toMatchObject({ deferred: true, nearest: null })
    const bytes = readFileSync(file)
    bytes[100] ^= 1
    writeFileSync(file, bytes)
    const err = await host.request('load', { modelDir, config: {}, state: { file, sha256: r.checkpoint.sha256 }, disabled: [], renumber: [] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EngineError)
    expect(err).toMatchObject({ code: 'checkpoint', message: expect.stringContaining(`checkpoint ${file} is corrupt`) })
  })

  it('cancel aborts a batch between steps; the engine answers cancelled and the editor is as before', async () => {
    await fresh({ ...FAST, maxSteps: 1000, earlyStop: false })
    const ctl = new AbortController()
    const file = join(mkdtempSync(join(tmpdir(), 'elder-cp-')), 'x.elder')
    const err = await host.request('apply', { batchId: 1, edits: [EDIT], checkpointFile: file }, {
      signal: ctl.signal, onProgress: (p) => p.step === 3 && ctl.abort()
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'cancelled', message: expect.stringMatching(/^batch 1 cancelled at step \d+$/) })
    expect(existsSync(file)).toBe(false)
    const p = await host.request('predict', { prompts: [EDIT.prompt], maxNewTokens: 4 })
    expect(p.edited[0]).toMatchObject({ deferred: true, nearest: null })
  })

  it('when the process dies, pending requests reject naming it, and the next request starts a fresh process', async () => {
    const pid = host.pid
    const exits: Array<{ signal: string | null; expected: boolean }> = []
    const off = host.onExit((e) => exits.push({ signal: e.signal, expected: e.expected }))
    await fresh({ ...FAST, maxSteps: 1000, earlyStop: false })
    const file = join(mkdtempSync(join(tmpdir(), 'elder-cp-')), 'x.elder')
    const err = await host.request('apply', { batchId: 1, edits: [EDIT], checkpointFile: file }, {
      onProgress: (p) => p.step === 3 && host.kill()
    }).catch((e: unknown) => e)
    off()
    expect(err).toBeInstanceOf(EngineError)
    expect(err).toMatchObject({ code: 'died', message: `engine process ${pid} exited (signal SIGKILL) during its apply request` })
    expect(exits).toEqual([{ signal: 'SIGKILL', expected: false }])
    expect(host.alive).toBe(false)
    expect(await host.request('inspect', { modelDir })).toMatchObject({ nLayer: 2 })
    expect(host.pid).not.toBe(pid)
    // The new process has no editor until it is told to load one.
    await expect(host.request('predict', { prompts: ['x'], maxNewTokens: 1 })).rejects.toMatchObject({ code: 'no_editor' })
  })

  it('the worker ignores a malformed message and says so; a process that exits at once fails its request', async () => {
    const channel = nodeSpawn({ env })()
    const got: unknown[] = []
    channel.onMessage((m) => got.push(m))
    const exited = new Promise((r) => channel.onExit(r))
    channel.send({ type: 'frobnicate', id: 1 } as never)
    await expect.poll(() => got.find((m) => (m as { type?: string }).type === 'log'), { timeout: 30_000 }).toEqual({
      type: 'log', level: 'error', message: 'engine: ignored a malformed message (type: Invalid option: expected one of "inspect"|"load"|"apply"|"setDisabled"|"predict"|"evaluate"|"saveState"|"tuneScope"|"scopeSet"|"scopeMap"|"cancel")'
    })
    channel.kill()
    await exited

    const dir = mkdtempSync(join(tmpdir(), 'elder-exit-'))
    writeFileSync(join(dir, 'exit.mjs'), 'process.exit(3)\n')
    const broken = new EngineHost({ spawn: nodeSpawn({ workerPath: join(dir, 'exit.mjs') }), onLog: () => undefined })
    await expect(broken.request('inspect', { modelDir })).rejects.toMatchObject({ code: 'died', message: expect.stringMatching(/exited \(code 3\) during its inspect request/) })
    await broken.close()
    await expect(broken.request('inspect', { modelDir })).rejects.toMatchObject({ code: 'died', message: 'engine host is closed; cannot send inspect' })
  })
})
