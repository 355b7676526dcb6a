// Issue 13's store additions: a waiting batch never applied can be cut again (dissolveBatch), a batch of exactly
// the chosen edits (createBatchOf), rolled-back edits queued again (requeueEdits), a batch's final loss, and the
// metrics measured after each batch.
import { afterEach, describe, expect, it } from 'vitest'
import {
  addEdits, appendMetrics, createBatchOf, createNextBatch, dissolveBatch, getBatch, getEdit, latestMetricsByBatch, listBatches,
  requeueEdits, setBatchState, wasApplied
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

const apply = (db: ReturnType<typeof setup>['db'], id: number, finalLoss?: number) => {
  setBatchState(db, id, 'training')
  return setBatchState(db, id, 'applied', { steps: 3, wallMs: 10, finalLoss })
}

describe('cutting again, choosing, re-queueing', () => {
  it('a cancelled batch goes back to the queue whole; a batch applied once (a replay) cannot', () => {
    const { e, ids, db } = setup(4)
    const b1 = createNextBatch(db, e.id, 3)!
    expect(wasApplied(db, b1.id)).toBe(false)
    dissolveBatch(db, b1.id, 'cut again')
    expect(getBatch(db, b1.id)).toBeNull()
    expect(createNextBatch(db, e.id, 2)).toMatchObject({ seq: 1, editIds: [ids[0], ids[1]] })
    const [b] = listBatches(db, e.id)
    apply(db, b.id)
    setBatchState(db, b.id, 'queued', { reason: 'revert only: replay' })
    expect(wasApplied(db, b.id)).toBe(true)
    expect(() => dissolveBatch(db, b.id, 'x')).toThrow(`batch 1 (id ${b.id}) is queued for a replay; only a waiting batch never applied can be cut again`)
  })

  it('a batch of exactly the chosen edits, in queue order; an edit already batched refuses the whole choice', () => {
    const { e, ids, db } = setup(5)
    const b = createBatchOf(db, e.id, [ids[4], ids[1], ids[4]])
    expect(b).toMatchObject({ seq: 1, state: 'queued', editIds: [ids[1], ids[4]] })
    expect(() => createBatchOf(db, e.id, [ids[0], ids[1]])).toThrow(`edit ${ids[1]} is in batch id ${b.id}; only queued, unbatched edits can be applied as a selection`)
    expect(listBatches(db, e.id)).toHaveLength(1)
  })

  it('rolled-back edits are queued again as new edits with the same fields; the originals stay', () => {
    const { e, ids, db } = setup(2)
    const b = createNextBatch(db, e.id, 2)!
    apply(db, b.id, 0.25)
    expect(getBatch(db, b.id)?.finalLoss).toBe(0.25)
    setBatchState(db, b.id, 'rolled_back')
    const r = requeueEdits(db, [ids[1]])
    expect(r.experimentId).toBe(e.id)
    const copy = getEdit(db, r.ids[0])!
    const orig = getEdit(db, ids[1])!
    expect(copy).toMatchObject({ prompt: orig.prompt, target: orig.target, rephrases: orig.rephrases, status: 'queued', position: 2 })
    expect(orig.status).toBe('rolled_back')
    expect(() => requeueEdits(db, [r.ids[0]])).toThrow(`edit ${r.ids[0]} is queued; only rolled-back or failed edits can be queued again`)
  })

  it('a re-run starts without the last final loss; metrics are read back per batch, the latest of each name', () => {
    const { e, db } = setup(2)
    const b = createNextBatch(db, e.id, 1)!
    apply(db, b.id, 0.5)
    setBatchState(db, b.id, 'queued')
    expect(getBatch(db, b.id)?.finalLoss).toBeNull()
    apply(db, b.id, 0.125)
    appendMetrics(db, e.id, [{ batchId: b.id, editCount: 1, name: 'reliability', value: 0.5 }])
    appendMetrics(db, e.id, [{ batchId: b.id, editCount: 1, name: 'reliability', value: 1 }, { batchId: null, editCount: 0, name: 'retention', value: 0.9 }])
    expect([...latestMetricsByBatch(db, e.id)]).toEqual([[b.id, [{ name: 'reliability', value: 1, editCount: 1 }]]])
  })
})
