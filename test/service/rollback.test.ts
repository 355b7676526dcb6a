// The three rollbacks and their undo, checked against the probe results recorded after each batch: a rollback
// to before batch n gives exactly the predictions recorded after batch n-1, and every undo gives back exactly
// the predictions recorded before it (answers, top-5 probabilities, codes, distances, deferral).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BatchView, ProbeResult } from '../../src-preload/contract'
import { listCheckpoints, listRecentEvents } from '../../src-main/store'
import { applyAndWait, EDITS, ok, testWorkspace, type TestWorkspace } from './helpers'

let ws: TestWorkspace
/** P[i] = probe results after batch i (P[0]: before any). */
const P: ProbeResult[][] = []
let batches: BatchView[]
const PROMPTS = [...EDITS.map((e) => e.prompt), 'Hello']

const probe = async (): Promise<ProbeResult[]> => ok(await ws.svc.probe({ experimentId: ws.exp.id, prompts: PROMPTS }))
const states = async (): Promise<string[]> => ok(await ws.svc['batches.list']({ experimentId: ws.exp.id })).map((b) => b.state)

beforeAll(async () => {
  ws = await testWorkspace()
  ok(await ws.svc['edits.add']({ experimentId: ws.exp.id, edits: EDITS }))
  P.push(await probe())
  for (let i = 0; i < 3; i++) {
    expect((await applyAndWait(ws.svc, ws.exp.id, 1, 1)).state).toBe('done')
    P.push(await probe())
  }
  batches = ok(await ws.svc['batches.list']({ experimentId: ws.exp.id }))
})
afterAll(() => ws.close())

describe('rollback', () => {
  it('the batches changed what the model says (so the comparisons below mean something)', () => {
    expect(P[1][0].edited.answer).toBe('Lyon')
    expect(P[1]).not.toEqual(P[0])
    expect(P[3]).not.toEqual(P[2])
  })

  it.each([3, 2, 1])('revert to before batch %i restores the predictions recorded after the batch before it; undo restores the latest', async (n) => {
    const target = batches[n - 1]
    const after = ok(await ws.svc['rollback.revertTo']({ batchId: target.id }))
    expect(after.map((b) => b.state)).toEqual(['applied', 'applied', 'applied'].map((s, i) => (i >= n - 1 ? 'rolled_back' : s)))
    expect(await probe()).toEqual(P[n - 1])
    const active = listCheckpoints(ws.db(), ws.exp.id).filter((c) => c.active).map((c) => c.afterBatchId)
    expect(active).toEqual(batches.slice(0, n - 1).map((b) => b.id))

    expect(ok(await ws.svc['rollback.undo']({ experimentId: ws.exp.id })).map((b) => b.state)).toEqual(['applied', 'applied', 'applied'])
    expect(await probe()).toEqual(P[3])
  })

  it('disable sends the batch’s inputs to the base model, enable brings them back; both undo', async () => {
    const edit2 = batches[1].edits[0].id
    ok(await ws.svc['rollback.disable']({ batchId: batches[1].id }))
    expect(await states()).toEqual(['applied', 'disabled', 'applied'])
    const disabled = await probe()
    expect(disabled[1].edited.deferred).toBe(true)
    expect(disabled[1].edited.answer).toBe(disabled[1].base.answer)
    expect(disabled.map((p) => p.edited.nearestEditId)).not.toContain(edit2)
    // Other batches' inputs keep their own codes: their predictions are unchanged (only the explanation's list of
    // nearest edits now marks batch 2 disabled).
    const decided = (p: ProbeResult) => ({ ...p, edited: { ...p.edited, scope: { ...p.edited.scope, nearest: [], summary: '' } } })
    expect([disabled[0], disabled[2]].map(decided)).toEqual([P[3][0], P[3][2]].map(decided))
    expect(disabled[1].edited.scope.summary).toBe(`deferred: batch ${batches[1].seq} disabled`)

    ok(await ws.svc['rollback.enable']({ batchId: batches[1].id }))
    expect(await probe()).toEqual(P[3])
    ok(await ws.svc['rollback.undo']({ experimentId: ws.exp.id })) // undo enable → disabled again
    expect(await states()).toEqual(['applied', 'disabled', 'applied'])
    expect(await probe()).toEqual(disabled)
    ok(await ws.svc['rollback.undo']({ experimentId: ws.exp.id })) // undo disable
    expect(await states()).toEqual(['applied', 'applied', 'applied'])
    expect(await probe()).toEqual(P[3])
  })

  it('revert only batch 2 replays batch 3 as a job on top of batch 1; undo restores the original history exactly', async () => {
    const cpsBefore = listCheckpoints(ws.db(), ws.exp.id)
    const job = ok(await ws.svc['rollback.revertOnly']({ batchId: batches[1].id }))
    expect(job).toMatchObject({ kind: 'replay', editsTotal: 1 })
    const end = await ws.svc.waitForJob(job.id)
    expect(end).toMatchObject({ state: 'done', editsDone: 1 })
    expect(end.step).toBeGreaterThan(0)
    expect(await states()).toEqual(['applied', 'rolled_back', 'applied'])
    const replayed = await probe()
    expect(replayed[1].edited.answer).toBe(replayed[1].base.answer)
    expect(replayed.map((p) => p.edited.nearestEditId)).not.toContain(batches[1].edits[0].id)
    expect(replayed[0].edited.answer).toBe('Lyon')
    const active = listCheckpoints(ws.db(), ws.exp.id).filter((c) => c.active)
    expect(active.map((c) => c.afterBatchId)).toEqual([batches[0].id, batches[2].id])
    expect(active[1].id).toBeGreaterThan(cpsBefore.at(-1)?.id ?? 0) // a new checkpoint from the replay

    ok(await ws.svc['rollback.undo']({ experimentId: ws.exp.id }))
    expect(await states()).toEqual(['applied', 'applied', 'applied'])
    expect(await probe()).toEqual(P[3])
    expect(listCheckpoints(ws.db(), ws.exp.id).filter((c) => c.active).map((c) => c.id)).toEqual(cpsBefore.filter((c) => c.active).map((c) => c.id))
  })

  it('every rollback and undo is in the audit log; undo with nothing left to undo, or over a newer batch, is a conflict', async () => {
    const log = listRecentEvents(ws.db(), { entity: 'experiment', entityId: ws.exp.id }).map((e) => e.kind)
    expect(log.filter((k) => k === 'rollback')).toHaveLength(6)
    expect(log.filter((k) => k === 'rollback.undo')).toHaveLength(6)
    expect(await ws.svc['rollback.undo']({ experimentId: ws.exp.id })).toEqual({
      ok: false, error: { code: 'conflict', message: `experiment ${ws.exp.id} has no rollback to undo` }
    })
    ok(await ws.svc['rollback.revertTo']({ batchId: batches[2].id }))
    ok(await ws.svc['edits.add']({ experimentId: ws.exp.id, edits: [{ prompt: 'The sky is', target: 'green' }] }))
    expect((await applyAndWait(ws.svc, ws.exp.id)).state).toBe('done')
    const r = await ws.svc['rollback.undo']({ experimentId: ws.exp.id })
    expect(r).toEqual({ ok: false, error: { code: 'conflict', message: 'cannot undo revertTo of batch 3: batch 4 was applied after it; revert that batch first' } })
    expect(await ws.svc['rollback.revertTo']({ batchId: batches[2].id })).toEqual({
      ok: false, error: { code: 'conflict', message: 'batch 3 is rolled_back; only applied or disabled batches can be reverted' }
    })
  })
})
