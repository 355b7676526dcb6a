// Experiment tracking in the store (issue 14): archive, cadence, clone with changes, the shared edit list, edit health.
import { afterEach, describe, expect, it } from 'vitest'
import {
  activeExperimentId, addEdits, cloneExperiment, setActiveExperiment, copyEditList, createExperiment, editHealth, editHealthCounts, getExperiment, listEdits,
  recordEditHealth, recordRunEnvironment, setBatchState, createNextBatch, updateExperiment, StoreError
} from '../../src-main/store/index'
import { edit, seedExperiment, tempWorkspace } from './helpers'

let ws: ReturnType<typeof tempWorkspace>
afterEach(() => ws?.close())

describe('experiments as tracked runs', () => {
  it('a new experiment is evaluated every 50 edits, not archived, with no run environment until a batch ran', () => {
    ws = tempWorkspace()
    const e = seedExperiment(ws.db)
    expect(e).toMatchObject({ evalEvery: 50, archived: false, preset: null, backend: null, appVersion: null })
    const p = createExperiment(ws.db, { name: 'paper', modelId: e.modelId, method: 'elder', config: { preset: 'elder-paper' }, preset: 'elder-paper', evalEvery: 10 })
    expect(p).toMatchObject({ evalEvery: 10, preset: 'elder-paper' })
    recordRunEnvironment(ws.db, p.id, { backend: 'wasm', appVersion: '0.1.0' })
    expect(getExperiment(ws.db, p.id)).toMatchObject({ backend: 'wasm', appVersion: '0.1.0' })
  })

  it('the active experiment is kept in the workspace; an unknown one is refused', () => {
    ws = tempWorkspace()
    const e = seedExperiment(ws.db)
    expect(activeExperimentId(ws.db)).toBeNull()
    setActiveExperiment(ws.db, e.id)
    expect(activeExperimentId(ws.db)).toBe(e.id)
    expect(() => setActiveExperiment(ws.db, 999)).toThrow(StoreError)
    expect(activeExperimentId(ws.db)).toBe(e.id)
  })

  it('update renames, archives and changes the cadence; bad values are refused by field', () => {
    ws = tempWorkspace()
    const e = seedExperiment(ws.db)
    const u = updateExperiment(ws.db, e.id, { name: 'renamed', archived: true, evalEvery: 0 })
    expect(u).toMatchObject({ name: 'renamed', archived: true, evalEvery: 0, tags: e.tags })
    expect(getExperiment(ws.db, e.id)).toEqual(u)
    expect(() => updateExperiment(ws.db, e.id, { evalEvery: -1 })).toThrow(/evalEvery: expected a non-negative integer/)
    expect(() => updateExperiment(ws.db, e.id, { name: '' })).toThrow(/name: expected a non-empty string/)
  })

  it('clone with changes takes the new config and drops the preset name; without changes it keeps it', () => {
    ws = tempWorkspace()
    const e = seedExperiment(ws.db)
    const p = createExperiment(ws.db, { name: 'paper', modelId: e.modelId, method: 'elder', config: { preset: 'elder-paper' }, preset: 'elder-paper' })
    expect(cloneExperiment(ws.db, p.id)).toMatchObject({ preset: 'elder-paper', config: { preset: 'elder-paper' } })
    const c = cloneExperiment(ws.db, p.id, { name: 'no guided loss', config: { preset: 'elder-paper', lambda: 0 }, tags: ['ablation'] })
    expect(c).toMatchObject({ name: 'no guided loss', preset: null, config: { preset: 'elder-paper', lambda: 0 }, tags: ['ablation'], method: 'elder' })
  })

  it('copyEditList appends every edit of one experiment, whatever its status, to another as queued, in order', () => {
    ws = tempWorkspace()
    const a = seedExperiment(ws.db)
    addEdits(ws.db, a.id, [edit(0), edit(1), edit(2)])
    const batch = createNextBatch(ws.db, a.id, 1)!
    setBatchState(ws.db, batch.id, 'training')
    setBatchState(ws.db, batch.id, 'applied', { steps: 1, wallMs: 1 })
    const b = createExperiment(ws.db, { name: 'b', modelId: a.modelId, method: 'grace', config: {} })
    addEdits(ws.db, b.id, [edit(9)])
    expect(copyEditList(ws.db, a.id, b.id)).toBe(3)
    const rows = listEdits(ws.db, b.id, {}).items
    expect(rows.map((r) => [r.position, r.prompt, r.status])).toEqual([
      [0, edit(9).prompt, 'queued'], [1, edit(0).prompt, 'queued'], [2, edit(1).prompt, 'queued'], [3, edit(2).prompt, 'queued']
    ])
    expect(rows[1].rephrases).toEqual(edit(0).rephrases)
    expect(() => copyEditList(ws.db, a.id, 999)).toThrow(StoreError)
  })
})

describe('edit health', () => {
  it('each evaluation replaces the verdicts; counts say how many hold of how many checked; edits of another experiment are refused', () => {
    ws = tempWorkspace()
    const a = seedExperiment(ws.db)
    const [e0, e1, e2] = addEdits(ws.db, a.id, [edit(0), edit(1), edit(2)])
    recordEditHealth(ws.db, a.id, 2, [{ editId: e0, holds: true }, { editId: e1, holds: false }])
    expect(editHealthCounts(ws.db, a.id)).toEqual({ holds: 1, checked: 2 })
    expect(editHealth(ws.db, a.id).get(e1)).toMatchObject({ holds: false, editCount: 2 })
    recordEditHealth(ws.db, a.id, 3, [{ editId: e1, holds: true }, { editId: e2, holds: true }])
    expect(editHealthCounts(ws.db, a.id)).toEqual({ holds: 2, checked: 2 })
    expect(editHealth(ws.db, a.id).has(e0)).toBe(false)
    const b = createExperiment(ws.db, { name: 'b', modelId: a.modelId, method: 'elder', config: {} })
    expect(() => recordEditHealth(ws.db, b.id, 1, [{ editId: e0, holds: true }])).toThrow(/is not an edit of experiment/)
    expect(editHealthCounts(ws.db, b.id)).toEqual({ holds: 0, checked: 0 })
  })
})
