// kill -9 of the engine process mid-batch (issue: "Tests — real SQLite files, a real child process"): the batch
// becomes `interrupted`, nothing the analyst entered is lost, the file passes integrity_check, the previous
// checkpoint stays active, and the batch re-runs fine on a fresh process. scripts/stress-kill.ts does 20.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listCheckpoints, listEdits } from '../../src-main/store'
import { applyAndWait, EDITS, ok, testWorkspace, type TestWorkspace } from './helpers'
import { killMidBatch } from './kill-helpers'

let ws: TestWorkspace

// 120 steps without early stop: a batch lasts about two seconds, so a kill at step ≥ 3 always lands mid-batch.
beforeAll(async () => {
  ws = await testWorkspace({ lr: 1e-2, maxSteps: 120, earlyStop: false, eps: 1, numExperts: 16 })
})
afterAll(() => ws.close())

describe('engine killed mid-batch', () => {
  it('5 kills: batch interrupted, edits intact, integrity ok, previous checkpoint active; then it re-runs', async () => {
    const { svc, exp } = ws
    ok(await svc['edits.add']({ experimentId: exp.id, edits: [EDITS[0]] }))
    expect((await applyAndWait(svc, exp.id, 1, 1)).state).toBe('done')
    ok(await svc['edits.add']({ experimentId: exp.id, edits: [EDITS[1], EDITS[2]] }))
    const db = ws.db()
    const editsBefore = listEdits(db, exp.id).items.map(({ updatedAt, status, ...e }) => e)
    const [first] = listCheckpoints(db, exp.id)
    const pids = new Set<number>()

    for (let i = 0; i < 5; i++) {
      const r = await killMidBatch(svc, exp.id)
      pids.add(r.pid)
      expect(r.job.state).toBe('failed')
      expect(r.job.message).toMatch(/batch 2 interrupted: engine process \d+ exited \(signal SIGKILL\) during its apply request/)
      const batches = ok(await svc['batches.list']({ experimentId: exp.id }))
      expect(batches.map((b) => [b.seq, b.state])).toEqual([[1, 'applied'], [2, 'interrupted']])
      expect(batches[1].error).toMatch(/SIGKILL/)
      expect(listEdits(db, exp.id).items.map(({ updatedAt, status, ...e }) => e)).toEqual(editsBefore)
      expect(ok(await svc['edits.list']({ experimentId: exp.id, status: 'queued' })).total).toBe(2)
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(db.pragma('foreign_key_check')).toEqual([])
      expect(listCheckpoints(db, exp.id)).toEqual([first])
    }
    expect(pids.size).toBe(5) // every attempt ran on a fresh process

    const rerun = await applyAndWait(svc, exp.id, 2, 1)
    expect(rerun).toMatchObject({ state: 'done', editsDone: 2 })
    const batches = ok(await svc['batches.list']({ experimentId: exp.id }))
    expect(batches.map((b) => [b.seq, b.state, b.edits.length])).toEqual([[1, 'applied', 1], [2, 'applied', 2]])
    expect(listCheckpoints(db, exp.id).filter((c) => c.active).map((c) => c.afterBatchId)).toEqual([batches[0].id, batches[1].id])
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  })
})
