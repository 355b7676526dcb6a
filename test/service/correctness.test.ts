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
    expect(list[3].replay).toBe(false)
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
    const waiting = ok(await ws.svc['batches.list']({ experimentId: ws.exp.id })).filter((b) => b.state === 'queued')
    expect(waiting.map((b) => [b.seq, b.replay])).toEqual([[4, true]])
    // The replay's batch 4 waits (applied before the rollback); an apply of size 3 runs it as it was, then cuts 3.
    const job = await applyAndWait(ws.svc, ws.exp.id, 3, null)
    expect(job.state).toBe('done')
    expect(await batches()).toEqual([[1, 'applied', 1], [2, 'applied', 1], [3, 'rolled_back', 1], [4, 'applied', 1], [5, 'applied', 2]])
  })
})

describe('import refusals and CSV rows (issue 13 bug 7)', () => {
  const preview = async (name: string, content: string | Buffer) =>
    ok(await ws.svc['edits.importPreview']({ file: { name, bytes: Buffer.from(content).toString('base64') } }))

  it('a file in an unknown format comes back as a refusal naming the file, line and field, not as a request error', async () => {
    expect(await preview('foo.json', '{"foo":1}')).toEqual({
      format: 'unknown', total: 0, good: 0, errors: [], omittedErrors: 0,
      refused: {
        file: 'foo.json', line: 1, field: 'foo',
        message: 'no record has a known set of fields (zsRE MEND/EasyEdit, CounterFact EasyEdit/ROME, or prompt+target); the first has keys "foo"'
      }
    })
    expect((await preview('edits.csv', 'prompt,answer\nA is,B\n')).refused).toMatchObject({ file: 'edits.csv', line: 1, field: 'target' })
    // Importing it for real is still refused as a request error (the CLI exits 2 on it).
    const r = await ws.svc['edits.import']({ experimentId: ws.exp.id, file: { name: 'foo.json', content: '{"foo":1}' } })
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
  })

  it('a CSV row with 1 or 4 fields under a 3-field header is a field-count error; quoting, line breaks and a BOM are read', async () => {
    const csv = '\uFEFFprompt,target,subject\n"The motto of ""Velmora"" is","Rise,\nagain",Velmora\nonlyone\nx,y,z,w\nThe capital of Hoza is,Brelo,Hoza'
    const r = await preview('rows.csv', csv)
    expect(r).toMatchObject({ format: 'csv', total: 4, good: 1 })
    expect(r.errors).toEqual([
      { line: 4, field: null, message: 'the row has 1 field; the header has 3' },
      { line: 5, field: null, message: 'the row has 4 fields; the header has 3' },
      { line: 6, field: null, message: 'the last row has no line break after it, unlike the rows before it: the file may be cut short (if the row is whole, end it with a line break)' }
    ])
    const done = ok(await ws.svc['edits.import']({ experimentId: ws.exp.id, file: { name: 'rows.csv', content: csv } }))
    expect(done.imported).toBe(1)
    const rows = ok(await ws.svc['edits.list']({ experimentId: ws.exp.id, status: 'queued' })).rows
    expect(rows.at(-1)).toMatchObject({ prompt: 'The motto of "Velmora" is', target: 'Rise,\nagain', subject: 'Velmora', sourceFile: 'rows.csv', sourceLine: 2 })
  })

  it('a stray quote is named on its line and the rows after it are kept', async () => {
    const r = await preview('stray.csv', 'prompt,target\nA "b is,c\nD is,e\nF is,g\n')
    expect(r.errors).toEqual([{ line: 2, field: 'prompt', message: 'a quote inside an unquoted field (quote the field and double the quote)' }])
    expect(r.good).toBe(2)
  })
})

describe('rows of a training batch (issue 13 bug 2)', () => {
  it('edits.list names each row\'s batch by seq and state: training while it trains, then applied', async () => {
    const { ids } = ok(await ws.svc['edits.add']({ experimentId: ws.exp.id, edits: [{ prompt: 'The river of Hoza is the', target: 'Velm' }] }))
    const job = ok(await ws.svc['jobs.apply']({ experimentId: ws.exp.id, batchSize: 10, batches: 1 }))
    let during: unknown = null
    const off = ws.svc.onEvent((e) => {
      if (during === null && e.type === 'job.progress' && e.job.id === job.id && e.job.step >= 1) {
        during = ws.svc['edits.list']({ experimentId: ws.exp.id, status: 'queued' }).then((r) => ok(r).rows.find((x) => x.id === ids[0]))
      }
    })
    await ws.svc.waitForJob(job.id)
    off()
    expect(await during).toMatchObject({ status: 'queued', batchSeq: 6, batchState: 'training' })
    const after = ok(await ws.svc['edits.list']({ experimentId: ws.exp.id })).rows.find((x) => x.id === ids[0])
    expect(after).toMatchObject({ status: 'applied', batchSeq: 6, batchState: 'applied' })
    // Batch 6 took every queued edit: the one imported from rows.csv too.
    expect(ok(await ws.svc['edits.list']({ experimentId: ws.exp.id, status: 'queued' })).total).toBe(0)
  })
})

describe('history with results (issue 13)', () => {
  it('an applied batch carries its final loss; after an evaluation, the newest batch carries the metrics', async () => {
    const list = ok(await ws.svc['batches.list']({ experimentId: ws.exp.id }))
    const last = list.at(-1)!
    expect(last).toMatchObject({ seq: 6, state: 'applied', metrics: [] })
    expect(last.finalLoss).toBeGreaterThanOrEqual(0)
    expect(last.finalLoss).toBeLessThan(5)
    expect(last.startedAt).toBeGreaterThan(0)
    const seen = ws.events.length
    const job = ok(await ws.svc['jobs.evaluate']({ experimentId: ws.exp.id }))
    expect((await ws.svc.waitForJob(job.id)).state).toBe('done')
    // Its progress advances every sampled edit at each chunk (the bar would otherwise sit at 0% until the end).
    const running = ws.events.slice(seen).flatMap((e) => (e.type === 'job.progress' && e.job.id === job.id && e.job.step > 0 ? [e.job] : []))
    expect(running.length).toBeGreaterThan(0)
    expect(running.every((j) => j.batchEdits === j.editsTotal && j.editsTotal > 0)).toBe(true)
    const after = ok(await ws.svc['batches.list']({ experimentId: ws.exp.id }))
    expect(after.at(-1)!.metrics.map((m) => m.name)).toContain('reliability')
    expect(after.at(-1)!.metrics.every((m) => m.value >= 0 && m.value <= 1 && m.editCount > 0)).toBe(true)
    expect(after.slice(0, -1).every((b) => b.metrics.length === 0)).toBe(true)
  })
})

describe('choose what to apply (issue 13)', () => {
  it('a selection of queued edits is applied as one batch, in queue order; rolled-back edits can be queued again', async () => {
    const { ids } = ok(await ws.svc['edits.add']({
      experimentId: ws.exp.id, edits: ['Aber', 'Bost', 'Cair', 'Dovr'].map((t, i) => ({ prompt: `Town number ${i + 1} is`, target: t }))
    }))
    const job = ok(await ws.svc['jobs.applySelection']({ experimentId: ws.exp.id, editIds: [ids[3], ids[1]] }))
    expect(job).toMatchObject({ kind: 'apply', editsTotal: 2 })
    expect((await ws.svc.waitForJob(job.id)).state).toBe('done')
    const last = ok(await ws.svc['batches.list']({ experimentId: ws.exp.id })).at(-1)!
    expect(last).toMatchObject({ seq: 7, state: 'applied' })
    expect(last.edits.map((e) => e.id)).toEqual([ids[1], ids[3]])
    const queued = ok(await ws.svc['edits.list']({ experimentId: ws.exp.id, status: 'queued' })).rows.map((e) => e.id)
    expect(queued).toEqual([ids[0], ids[2]])

    // An applied edit is not a selection; the refusal names it.
    expect(await ws.svc['jobs.applySelection']({ experimentId: ws.exp.id, editIds: [ids[1]] })).toMatchObject({
      ok: false, error: { code: 'conflict', message: `edit ${ids[1]} is in batch 7 (applied); only queued edits no batch has run can be applied as a selection` }
    })

    ok(await ws.svc['rollback.revertTo']({ batchId: last.id }))
    const again = ok(await ws.svc['edits.requeue']({ ids: [ids[1], ids[3]] }))
    expect(again.ids).toHaveLength(2)
    const rows = ok(await ws.svc['edits.list']({ experimentId: ws.exp.id })).rows
    expect(rows.filter((e) => again.ids.includes(e.id)).map((e) => [e.target, e.status, e.batchId])).toEqual([['Bost', 'queued', null], ['Dovr', 'queued', null]])
    expect(rows.filter((e) => e.id === ids[1] || e.id === ids[3]).map((e) => e.status)).toEqual(['rolled_back', 'rolled_back'])
    expect(await ws.svc['edits.requeue']({ ids: [ids[0]] })).toMatchObject({
      ok: false, error: { code: 'conflict', message: `edit ${ids[0]} is queued; only rolled-back or failed edits can be queued again` }
    })
  })
})
