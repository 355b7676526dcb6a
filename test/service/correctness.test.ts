// Issue 13, the service side of what an analyst hits in the first hour: a replay re-applies exactly the batches
// that were applied before the rollback (a cancelled batch stays waiting, and the rollback can be undone), and a
// cancelled batch is cut again to the batch size the analyst asks for next. Real workspace, real engine process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobView } from '../../src-preload/contract'
import { applyAndWait, ok, testWorkspace, type TestWorkspace } from './helpers'

let ws: TestWorkspace

const EDITS = ['Lyon', 'Nice', 'Metz', 'Brest', 'Lille', 'Dijon'].map((t, i) => ({ prompt: `City number ${i + 1} is`, target: t }))

beforeAll(async () => {
  ws = await testWorkspace()
  ok(await ws.svc['edits.add']({ experimentId: ws.exp.id, edits: EDITS }))
})
afterAll(() => ws.close())

const batches = async (): Promise<Array<[number, string, number]>> =>
  ok(await ws.svc['batches.list']({ experimentId: ws.exp.id })).map((b) => [b.seq, b.state, b.edits.length])

/** Starts an apply job and cancels it once its first batch has run two steps. */
async function applyThenCancel(batchSize: number): Promise<JobView> {
  const job = ok(await ws.svc['jobs.apply']({ experimentId: ws.exp.id, batchSize, batches: null }))
  const off = ws.svc.onEvent((e) => {
    if (e.type === 'job.progress' && e.job.id === job.id && e.job.step >= 2) void ws.svc['jobs.cancel']({ jobId: job.id })
  })
  const end = await ws.svc.waitForJob(job.id)
  off()
  return end
}

const undoable = async () => ok(await ws.svc['rollback.undoable']({ experimentId: ws.exp.id }))

describe('cancel, revert only, undo (issue 13 bug 1)', () => {
  it('with nothing to undo, rollback.undoable says so before the analyst tries (bug 8)', async () => {
    expect(await undoable()).toEqual({ op: null, seq: null, blocked: 'no rollback to undo' })
  })

  it('a replay leaves the cancelled batch waiting, and the revert-only can then be undone', async () => {
    for (let i = 0; i < 3; i++) expect((await applyAndWait(ws.svc, ws.exp.id, 1, 1)).state).toBe('done')
    const cancelled = await applyThenCancel(2)
    expect(cancelled).toMatchObject({ state: 'cancelled', message: 'batch 4 cancelled; it is queued again' })
    expect(await batches()).toEqual([[1, 'applied', 1], [2, 'applied', 1], [3, 'applied', 1], [4, 'queued', 2]])

    const list = ok(await ws.svc['batches.list']({ experimentId: ws.exp.id }))
    const replay = ok(await ws.svc['rollback.revertOnly']({ batchId: list[1].id }))
    expect(replay.editsTotal).toBe(1)
    const end = await ws.svc.waitForJob(replay.id)
    expect(end).toMatchObject({ state: 'done', message: '1 batch(es) applied, 1 edit(s)', editsDone: 1 })
    expect(await batches()).toEqual([[1, 'applied', 1], [2, 'rolled_back', 1], [3, 'applied', 1], [4, 'queued', 2]])

    expect(await undoable()).toEqual({ op: 'revertOnly', seq: 2, blocked: null })
    ok(await ws.svc['rollback.undo']({ experimentId: ws.exp.id }))
    expect(await batches()).toEqual([[1, 'applied', 1], [2, 'applied', 1], [3, 'applied', 1], [4, 'queued', 2]])
    expect((await undoable()).blocked).toBe('no rollback to undo')
  })
})

describe('a cancelled batch and the batch size (issue 13 bug 5)', () => {
  it('the waiting batch of 2, never applied, is cut again to the size asked for, and the job says so', async () => {
    const job = await applyAndWait(ws.svc, ws.exp.id, 1, 1)
    expect(job).toMatchObject({
      state: 'done', editsTotal: 1, editsDone: 1,
      message: '1 batch(es) applied, 1 edit(s); batch 4 (2 edit(s), never applied) was cut again to 1 per batch'
    })
    expect(await batches()).toEqual([[1, 'applied', 1], [2, 'applied', 1], [3, 'applied', 1], [4, 'applied', 1]])
    expect(ok(await ws.svc['edits.list']({ experimentId: ws.exp.id, status: 'queued' })).rows.map((e) => e.target)).toEqual(['Lille', 'Dijon'])
  })

  it('a batch queued again for a replay keeps its edits whatever the size', async () => {
    const list = ok(await ws.svc['batches.list']({ experimentId: ws.exp.id }))
    const replay = ok(await ws.svc['rollback.revertOnly']({ batchId: list[2].id }))
    ok(await ws.svc['jobs.cancel']({ jobId: replay.id }))
    await ws.svc.waitForJob(replay.id)
    // The replay's batch 4 waits (applied before the rollback); an apply of size 3 runs it as it was, then cuts 3.
    const job = await applyAndWait(ws.svc, ws.exp.id, 3, null)
    expect(job.state).toBe('done')
    expect(await batches()).toEqual([[1, 'applied', 1], [2, 'applied', 1], [3, 'rolled_back', 1], [4, 'applied', 1], [5, 'applied', 2]])
  })
})
