import { afterEach, describe, expect, it } from 'vitest'
import {
  addEdit, addEdits, cloneExperiment, countEditsByStatus, createExperiment, createNextBatch, deleteEdit, findModelByHash,
  getEdit, getExperiment, listEdits, listExperiments, listRecentEvents, registerModel, StoreError, updateEdit, updateExperiment
} from '../../src-main/store/index'
import { edit, HASH_A, HASH_B, queryPlan, seedExperiment, tempWorkspace } from './helpers'

let ws: ReturnType<typeof tempWorkspace>
afterEach(() => ws?.close())

/** Runs fn, expecting a StoreError with `code`; returns its message. */
function storeError(fn: () => unknown, code: string): string {
  try { fn() } catch (e) {
    expect(e).toBeInstanceOf(StoreError)
    expect((e as StoreError).code).toBe(code)
    return (e as StoreError).message
  }
  throw new Error(`expected StoreError(${code}), nothing was thrown`)
}

describe('models', () => {
  it('registers once per content hash and finds by hash; a moved file updates the path', () => {
    ws = tempWorkspace()
    const a = registerModel(ws.db, { path: '/m/a', architecture: 'gpt2', config: { n_layer: 2 }, contentHash: HASH_A })
    expect(registerModel(ws.db, { path: '/m/a', architecture: 'gpt2', config: {}, contentHash: HASH_A })).toEqual(a)
    const moved = registerModel(ws.db, { path: '/m/moved', architecture: 'gpt2', config: {}, contentHash: HASH_A })
    expect(moved).toEqual({ ...a, path: '/m/moved' })
    expect(findModelByHash(ws.db, HASH_A)?.path).toBe('/m/moved')
    expect(findModelByHash(ws.db, HASH_B)).toBeNull()
    expect(storeError(() => registerModel(ws.db, { path: '/x', architecture: 'gpt2', config: {}, contentHash: 'abc' }), 'invalid_input'))
      .toBe('contentHash: expected 64 lowercase hex digits, got "abc"')
    expect(listRecentEvents(ws.db).map((e) => e.kind)).toEqual(['model.moved', 'model.registered'])
  })
})

describe('experiments', () => {
  it('creates, lists, gets and updates notes/tags', () => {
    ws = tempWorkspace()
    const e = seedExperiment(ws.db)
    expect(e).toMatchObject({ name: 'exp', method: 'elder', config: { k: 2, experts: 4 }, notes: '', tags: [] })
    const u = updateExperiment(ws.db, e.id, { notes: 'first run', tags: ['zsre', 'k2'] })
    expect(getExperiment(ws.db, e.id)).toEqual(u)
    expect(u.tags).toEqual(['zsre', 'k2'])
    expect(updateExperiment(ws.db, e.id, { notes: 'second' }).tags).toEqual(['zsre', 'k2'])
    expect(storeError(() => createExperiment(ws.db, { name: 'x', modelId: 99, method: 'elder', config: {} }), 'not_found'))
      .toBe('model 99 does not exist')
    expect(storeError(() => updateExperiment(ws.db, 42, { notes: 'x' }), 'not_found')).toBe('experiment 42 does not exist')
    expect(listExperiments(ws.db).map((x) => x.id)).toEqual([e.id])
  })

  it('clone copies config and only the queued edits, renumbered in queue order', () => {
    ws = tempWorkspace()
    const e = seedExperiment(ws.db)
    addEdits(ws.db, e.id, [edit(0), edit(1), edit(2), edit(3)])
    const b = createNextBatch(ws.db, e.id, 1)!
    ws.db.prepare("UPDATE edits SET status = 'applied' WHERE id = ?").run(b.editIds[0])
    const c = cloneExperiment(ws.db, e.id, { name: 'copy' })
    expect(c).toMatchObject({ name: 'copy', modelId: e.modelId, method: 'elder', config: e.config })
    const copied = listEdits(ws.db, c.id).items
    expect(copied.map((x) => [x.position, x.target, x.status])).toEqual([[0, 'City1', 'queued'], [1, 'City2', 'queued'], [2, 'City3', 'queued']])
    expect(copied[0].rephrases).toEqual(["Land1's capital is"])
    expect(listRecentEvents(ws.db, { limit: 1 })[0]).toMatchObject({ kind: 'experiment.cloned', entityId: c.id, detail: { from: e.id, editsCopied: 3 } })
  })
})

describe('edits', () => {
  it('adds one and many in queue order, pages with a total and filters by status', () => {
    ws = tempWorkspace()
    const e = seedExperiment(ws.db)
    const first = addEdit(ws.db, e.id, { prompt: 'p0', target: 't0', groundTruth: 'g', locality: [{ prompt: 'lp', answer: 'la' }], sourceLine: 3 },
      { sourceFile: 'a.jsonl' })
    expect(first).toMatchObject({ position: 0, groundTruth: 'g', locality: [{ prompt: 'lp', answer: 'la' }], sourceFile: 'a.jsonl', sourceLine: 3, status: 'queued', subject: null })
    const ids = addEdits(ws.db, e.id, Array.from({ length: 25 }, (_, i) => edit(i + 1)))
    expect(ids).toHaveLength(25)
    const page = listEdits(ws.db, e.id, { offset: 10, limit: 5 })
    expect(page.total).toBe(26)
    expect(page.items.map((x) => x.position)).toEqual([10, 11, 12, 13, 14])
    ws.db.prepare("UPDATE edits SET status = 'failed' WHERE position < 4").run()
    expect(listEdits(ws.db, e.id, { status: 'failed', limit: 2 })).toMatchObject({ total: 4, items: [{ position: 0 }, { position: 1 }] })
    expect(countEditsByStatus(ws.db, e.id)).toEqual({ queued: 22, applied: 0, failed: 4, disabled: 0, rolled_back: 0 })
  })

  it('add many is all or nothing and names the bad input', () => {
    ws = tempWorkspace()
    const e = seedExperiment(ws.db)
    const bad = [edit(0), { prompt: 'p', target: '' }, edit(2)]
    expect(storeError(() => addEdits(ws.db, e.id, bad), 'invalid_input')).toBe('edit[1].target: expected a non-empty string, got ""')
    expect(listEdits(ws.db, e.id).total).toBe(0)
    expect(storeError(() => addEdits(ws.db, 999, [edit(0)]), 'not_found')).toBe('experiment 999 does not exist')
  })

  it('updates and deletes only while queued and unbatched, with an event each', () => {
    ws = tempWorkspace()
    const e = seedExperiment(ws.db)
    const [a, b, c] = addEdits(ws.db, e.id, [edit(0), edit(1), edit(2)])
    const u = updateEdit(ws.db, a, { target: 'Elsewhere', subject: 'Land0' })
    expect(u).toMatchObject({ target: 'Elsewhere', subject: 'Land0', prompt: 'The capital of Land0 is' })
    expect(updateEdit(ws.db, a, { subject: undefined }).subject).toBeNull()
    deleteEdit(ws.db, b)
    expect(getEdit(ws.db, b)).toBeNull()
    const batch = createNextBatch(ws.db, e.id, 5)!
    expect(batch.editIds).toEqual([a, c])
    expect(storeError(() => updateEdit(ws.db, c, { target: 'x' }), 'not_editable'))
      .toBe(`cannot update edit ${c}: it belongs to batch 1 (id ${batch.id}, queued); only unbatched queued edits can change`)
    ws.db.prepare("UPDATE edits SET status = 'applied' WHERE id = ?").run(a)
    expect(storeError(() => deleteEdit(ws.db, a), 'not_editable')).toBe(`cannot delete edit ${a}: it is applied; only queued edits can change`)
    expect(storeError(() => updateEdit(ws.db, 12345, { target: 'x' }), 'not_found')).toBe('edit 12345 does not exist')
    const kinds = listRecentEvents(ws.db, { limit: 4 }).map((x) => x.kind)
    expect(kinds).toEqual(['batch.created', 'edit.deleted', 'edit.updated', 'edit.updated'])
  })

  it('queue queries use the indexes', () => {
    ws = tempWorkspace()
    const plan = queryPlan(ws.db, 'SELECT * FROM edits WHERE experiment_id = ? AND status = ? ORDER BY position LIMIT 10', 1, 'queued')
    expect(plan).toMatch(/USING INDEX edits_by_experiment_id_status/)
    expect(plan).not.toMatch(/TEMP B-TREE/)
    expect(queryPlan(ws.db, 'SELECT edit_id FROM batch_edits WHERE batch_id = ? ORDER BY row', 1)).toMatch(/batch_edits_by_batch_id_row/)
  })
})
