import { afterEach, describe, expect, it } from 'vitest'
import {
  addEdits, appendMetrics, BATCH_TRANSITIONS, BATCH_STATES, batchEdits, checkpointForBatch, countEditsByStatus, createNextBatch,
  getBatch, latestActiveCheckpoint, listActiveCodes, listBatchCodes, listBatches, listRecentEvents, markInterruptedBatches,
  metricNames, metricSeries, packWords, putCodes, recordCheckpoint, setBatchState, setCheckpointActive, StoreError, unpackWords
} from '../../src-main/store/index'
import { edit, seedExperiment, tempWorkspace } from './helpers'

let ws: ReturnType<typeof tempWorkspace>
afterEach(() => ws?.close())

function setup(n = 5) {
  ws = tempWorkspace()
  const e = seedExperiment(ws.db)
  const ids = addEdits(ws.db, e.id, Array.from({ length: n }, (_, i) => edit(i)))
  return { e, ids, db: ws.db }
}

describe('batches', () => {
  it('takes the first N queued, unbatched edits in position order with seq = max + 1', () => {
    const { e, ids, db } = setup(5)
    db.prepare('UPDATE edits SET position = 100 WHERE id = ?').run(ids[0]) // move the first edit to the back
    const b1 = createNextBatch(db, e.id, 2)!
    expect(b1).toMatchObject({ seq: 1, state: 'queued', editIds: [ids[1], ids[2]], startedAt: null })
    const b2 = createNextBatch(db, e.id, 10)!
    expect(b2).toMatchObject({ seq: 2, editIds: [ids[3], ids[4], ids[0]] })
    expect(createNextBatch(db, e.id, 1)).toBeNull()
    expect(listBatches(db, e.id).map((b) => [b.seq, b.editIds])).toEqual([[1, b1.editIds], [2, b2.editIds]])
    expect(batchEdits(db, b2.id).map((x) => x.target)).toEqual(['City3', 'City4', 'City0'])
  })

  it('enforces the transition table with a clear error and changes nothing on refusal', () => {
    const { e, db } = setup(2)
    const b = createNextBatch(db, e.id, 2)!
    let msg = ''
    try { setBatchState(db, b.id, 'applied') } catch (err) {
      expect(err).toBeInstanceOf(StoreError)
      expect((err as StoreError).code).toBe('invalid_transition')
      msg = (err as StoreError).message
    }
    expect(msg).toBe(`batch 1 (id ${b.id}) cannot go from queued to applied; allowed from queued: training`)
    expect(getBatch(db, b.id)?.state).toBe('queued')
    // every pair outside the table is refused, every pair inside is accepted (fresh batch per pair)
    for (const from of BATCH_STATES) for (const to of BATCH_STATES) {
      db.prepare("UPDATE batches SET state = ? WHERE id = ?").run(from, b.id)
      const ok = BATCH_TRANSITIONS[from].includes(to)
      if (ok) expect(setBatchState(db, b.id, to).state).toBe(to)
      else expect(() => setBatchState(db, b.id, to)).toThrow(/cannot go from/)
    }
    db.prepare("UPDATE batches SET state = 'rolled_back' WHERE id = ?").run(b.id)
    expect(() => setBatchState(db, b.id, 'queued')).toThrow(/allowed from rolled_back: applied, disabled/)
  })

  it('logs one event per state change and keeps edit statuses and timings in step', () => {
    const { e, ids, db } = setup(3)
    const b = createNextBatch(db, e.id, 2)!
    const t = setBatchState(db, b.id, 'training')
    expect(t.startedAt).not.toBeNull()
    const f = setBatchState(db, b.id, 'failed', { steps: 12, error: 'loss is NaN at step 12' })
    expect(f).toMatchObject({ state: 'failed', steps: 12, error: 'loss is NaN at step 12' })
    expect(f.finishedAt).not.toBeNull()
    expect(countEditsByStatus(db, e.id)).toMatchObject({ failed: 2, queued: 1 })
    expect(setBatchState(db, b.id, 'queued')).toMatchObject({ steps: null, error: null, startedAt: null })
    setBatchState(db, b.id, 'training')
    const a = setBatchState(db, b.id, 'applied', { steps: 40, wallMs: 1234 })
    expect(a).toMatchObject({ steps: 40, wallMs: 1234, error: null })
    expect(getBatch(db, b.id)).toMatchObject({ ...a, editIds: [ids[0], ids[1]] })
    expect(countEditsByStatus(db, e.id)).toMatchObject({ applied: 2, queued: 1 })
    setBatchState(db, b.id, 'disabled')
    expect(countEditsByStatus(db, e.id)).toMatchObject({ disabled: 2 })
    setBatchState(db, b.id, 'applied')
    setBatchState(db, b.id, 'rolled_back', { reason: 'analyst rollback' })
    expect(countEditsByStatus(db, e.id)).toMatchObject({ rolled_back: 2, queued: 1 })
    const changes = listRecentEvents(db, { entity: 'batch', entityId: b.id }).reverse()
    expect(changes.map((x) => x.kind)).toEqual(['batch.created', ...Array(8).fill('batch.state')])
    expect(changes.slice(1).map((x) => `${x.detail.from}->${x.detail.to}`)).toEqual([
      'queued->training', 'training->failed', 'failed->queued', 'queued->training', 'training->applied',
      'applied->disabled', 'disabled->applied', 'applied->rolled_back'
    ])
    expect(changes[2].detail.error).toBe('loss is NaN at step 12')
    expect(changes[8].detail.reason).toBe('analyst rollback')
  })

  it('startup recovery marks training batches interrupted; their edits stay queued for the re-run', () => {
    const { e, db } = setup(4)
    const b1 = createNextBatch(db, e.id, 2)!
    const b2 = createNextBatch(db, e.id, 2)!
    setBatchState(db, b1.id, 'training')
    expect(markInterruptedBatches(db)).toBe(1)
    expect(getBatch(db, b1.id)).toMatchObject({ state: 'interrupted', error: 'engine process ended during training' })
    expect(getBatch(db, b2.id)?.state).toBe('queued')
    expect(countEditsByStatus(db, e.id).queued).toBe(4)
    expect(setBatchState(db, b1.id, 'queued').state).toBe('queued')
  })
})

describe('codes', () => {
  it('packs little-endian, replaces per batch, and lists only applied batches in seq/row order', () => {
    expect([...packWords(new Uint32Array([1, 0xdeadbeef]))]).toEqual([1, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde])
    expect(unpackWords(packWords(new Uint32Array([0, 0xffffffff, 7])))).toEqual(new Uint32Array([0, 0xffffffff, 7]))
    const { e, db } = setup(4)
    const b1 = createNextBatch(db, e.id, 2)!
    const b2 = createNextBatch(db, e.id, 2)!
    const w = (x: number) => new Uint32Array([x, x + 1])
    putCodes(db, b1.id, b1.editIds.map((id) => ({ editId: id, code: w(id), preset: w(100 + id) })))
    putCodes(db, b1.id, b1.editIds.map((id) => ({ editId: id, code: w(10 * id), preset: w(100 + id) }))) // replaces
    putCodes(db, b2.id, b2.editIds.map((id) => ({ editId: id, code: w(id), preset: w(id) })))
    expect(listBatchCodes(db, b1.id).map((c) => c.code)).toEqual(b1.editIds.map((id) => w(10 * id)))
    expect(listActiveCodes(db, e.id)).toEqual([])
    for (const b of [b2, b1]) { setBatchState(db, b.id, 'training'); setBatchState(db, b.id, 'applied') }
    expect(listActiveCodes(db, e.id).map((c) => c.editId)).toEqual([...b1.editIds, ...b2.editIds])
    setBatchState(db, b1.id, 'disabled')
    expect(listActiveCodes(db, e.id).map((c) => c.batchId)).toEqual([b2.id, b2.id])
    expect(() => putCodes(db, b1.id, [{ editId: b2.editIds[0], code: w(1), preset: w(1) }])).toThrow(/is not in batch/)
    expect(() => putCodes(db, b1.id, [{ editId: b1.editIds[0], code: w(1), preset: new Uint32Array(3) }])).toThrow(/equal length/)
  })
})

describe('checkpoints and metrics', () => {
  it('records checkpoints (base = null), finds the latest active and the one for a batch', () => {
    const { e, db } = setup(2)
    const base = recordCheckpoint(db, { experimentId: e.id, afterBatchId: null, file: 'ck/base.bin', sha256: '1'.repeat(64), bytes: 10 })
    const b = createNextBatch(db, e.id, 2)!
    const c1 = recordCheckpoint(db, { experimentId: e.id, afterBatchId: b.id, file: 'ck/b1.bin', sha256: '2'.repeat(64), bytes: 20 })
    expect(latestActiveCheckpoint(db, e.id)?.id).toBe(c1.id)
    expect(checkpointForBatch(db, e.id, null)?.id).toBe(base.id)
    expect(checkpointForBatch(db, e.id, b.id)?.file).toBe('ck/b1.bin')
    setCheckpointActive(db, c1.id, false) // rollback of batch 1
    expect(latestActiveCheckpoint(db, e.id)?.id).toBe(base.id)
    setCheckpointActive(db, c1.id, true)
    expect(latestActiveCheckpoint(db, e.id)?.id).toBe(c1.id)
    expect(listRecentEvents(db, { entity: 'checkpoint', entityId: c1.id }).map((x) => x.kind))
      .toEqual(['checkpoint.activated', 'checkpoint.deactivated', 'checkpoint.recorded'])
    expect(() => recordCheckpoint(db, { experimentId: e.id, afterBatchId: 999, file: 'x', sha256: '3'.repeat(64), bytes: 1 })).toThrow('batch 999 does not exist')
  })

  it('appends metric points and returns a series ordered by edit count; refuses NaN', () => {
    const { e, db } = setup(1)
    appendMetrics(db, e.id, [
      { editCount: 20, name: 'reliability', value: 0.9 }, { editCount: 10, name: 'reliability', value: 1 },
      { editCount: 10, name: 'locality', value: 0.99 }
    ])
    expect(metricSeries(db, e.id, 'reliability').map((p) => [p.editCount, p.value])).toEqual([[10, 1], [20, 0.9]])
    expect(metricNames(db, e.id)).toEqual(['locality', 'reliability'])
    expect(() => appendMetrics(db, e.id, [{ editCount: 1, name: 'x', value: Number.NaN }])).toThrow('metrics[0] (x): value must be a finite number, got NaN')
  })
})
