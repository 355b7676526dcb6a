// The service validates every request with the contract's schema before it touches anything: a bad request is
// invalid_request, the database is unchanged and no engine process is started.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { METHODS, type Method } from '../../src-preload/contract'
import { createService, type Service } from '../../src-main/service'
import { registerModel } from '../../src-main/store'
import { engineSpawn } from './helpers'

let dir: string
let svc: Service
let db: Database.Database
let modelId: number

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elder-req-'))
  svc = await createService({ workspaceDir: dir, spawn: engineSpawn() })
  db = new Database(join(dir, 'workspace.sqlite'))
  modelId = registerModel(db, { path: '/models/none', architecture: 'gpt2', config: { nLayer: 2 }, contentHash: 'c'.repeat(64) }).id
})
afterAll(async () => {
  db.close()
  await svc.close()
  rmSync(dir, { recursive: true, force: true })
})

const eventCount = (): number => db.prepare('SELECT count(*) FROM events').pluck().get() as number
const call = (m: Method, req: unknown) => (svc[m] as (r: unknown) => Promise<{ ok: boolean; error?: { code: string; message: string } }>)(req)

describe('request validation', () => {
  it.each([[{ bogus: 1 }], [null], ['text'], [[]]])('every method refuses %j with invalid_request, changing nothing', async (req) => {
    const before = eventCount()
    for (const m of METHODS) {
      const r = await call(m, req)
      expect(r.ok, m).toBe(false)
      expect(r.error?.code, `${m}: ${r.error?.message}`).toBe('invalid_request')
      expect(r.error?.message.startsWith(`${m}: `)).toBe(true)
    }
    expect(eventCount()).toBe(before)
    expect(svc.enginePid()).toBeNull()
  })

  it.each<[Method, unknown, RegExp]>([
    ['edits.add', { experimentId: 1, edits: [{ prompt: '   ', target: 'x' }] }, /edits\.0\.prompt/],
    ['edits.add', { experimentId: 1, edits: [] }, /edits: /],
    ['edits.update', { id: 1, patch: { target: 5 } }, /patch\.target/],
    ['jobs.apply', { experimentId: 1, batchSize: 0, batches: null }, /batchSize/],
    ['jobs.apply', { experimentId: 1, batchSize: 1 }, /batches/],
    ['probe', { experimentId: 1, prompts: Array.from({ length: 101 }, () => 'p') }, /prompts/],
    ['rollback.revertTo', { batchId: -3 }, /batchId/],
    ['experiments.create', { name: 'x', modelId: 1, method: 'no-such-method' }, /method/],
    ['edits.import', { experimentId: 1, file: { name: 'a.jsonl' } }, /file: give the file as bytes \(base64\) or as content/],
    ['import.adapter', { experimentId: 1.5, name: 'a', base64: '' }, /experimentId/]
  ])('%s %j → invalid_request naming the field', async (m, req, field) => {
    const before = eventCount()
    const r = await call(m, req)
    expect(r).toEqual({ ok: false, error: { code: 'invalid_request', message: expect.stringMatching(field) } })
    expect(eventCount()).toBe(before)
  })

  it('an ELDER config the engine would refuse is refused at experiments.create, naming the field', async () => {
    const r = await svc['experiments.create']({ name: 'bad', modelId, config: { numExperts: 4, topK: 4 } })
    expect(r).toEqual({ ok: false, error: { code: 'invalid_request', message: 'ELDER config field "topK": topK must be smaller than numExperts' } })
    const unknown = await svc['experiments.create']({ name: 'bad', modelId, config: { learningRate: 1 } })
    expect(unknown.ok ? null : unknown.error.code).toBe('invalid_request')
    // The experiment's method decides which settings are valid; a config naming another method is refused.
    const other = await svc['experiments.create']({ name: 'bad', modelId, method: 'elder', config: { method: 'lora' } })
    expect(other.ok ? null : other.error.message).toMatch(/"method"/)
  })

  it('valid requests for missing rows are not_found, and nothing is queued', async () => {
    for (const [m, req] of [
      ['batches.list', { experimentId: 999 }], ['jobs.apply', { experimentId: 999, batchSize: 1, batches: null }],
      ['rollback.revertTo', { batchId: 999 }], ['rollback.disable', { batchId: 999 }], ['edits.update', { id: 999, patch: { target: 'x' } }],
      ['edits.delete', { ids: [999] }], ['probe', { experimentId: 999, prompts: ['x'] }], ['export.edits', { experimentId: 999 }]
    ] as Array<[Method, unknown]>) {
      const r = await call(m, req)
      expect(r.error?.code, `${m}: ${r.error?.message}`).toBe('not_found')
    }
    expect(await svc['jobs.current']({})).toEqual({ ok: true, value: null })
    expect(svc.enginePid()).toBeNull()
  })

  it('edits.update changes only the fields it names', async () => {
    const exp = await svc['experiments.create']({ name: 'patch', modelId, config: {} })
    if (!exp.ok) throw new Error(exp.error.message)
    const add = await svc['edits.add']({ experimentId: exp.value.id, edits: [{ prompt: 'A is', target: 'B', rephrases: ['A, that is'] }] })
    if (!add.ok) throw new Error(add.error.message)
    const r = await svc['edits.update']({ id: add.value.ids[0], patch: { target: 'C' } })
    expect(r.ok && r.value).toMatchObject({ prompt: 'A is', target: 'C', rephrases: ['A, that is'] })
  })

  it('a closed service answers conflict', async () => {
    const other = await createService({ workspaceDir: mkdtempSync(join(tmpdir(), 'elder-req-')), spawn: engineSpawn() })
    await other.close()
    expect(await other['app.status']({})).toEqual({ ok: false, error: { code: 'conflict', message: `workspace ${other.dir} is closed` } })
    rmSync(other.dir, { recursive: true, force: true })
  })
})
