// Apply, cancel, probe and evaluate through the service: real SQLite file, real engine process, tiny model.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src-main/jobs/checkpoint-file'
import { listBatchCodes, listCheckpoints, listRecentEvents } from '../../src-main/store'
import { applyAndWait, EDITS, ok, testWorkspace, type TestWorkspace } from './helpers'

let ws: TestWorkspace

beforeAll(async () => {
  ws = await testWorkspace({ lr: 1e-2, maxSteps: 60, eps: 1, numExperts: 16 })
})
afterAll(() => ws.close())

const popcount = (words: Uint32Array): number =>
  Array.from(words).reduce((n, w) => n + w.toString(2).split('').filter((b) => b === '1').length, 0)

describe('apply through the service', () => {
  it('queued → training → applied, with the checkpoint row matching its file, codes stored and events sent', async () => {
    const { svc, exp } = ws
    const { ids } = ok(await svc['edits.add']({ experimentId: exp.id, edits: [EDITS[0]] }))
    const seen = ws.events.length
    const job = await applyAndWait(svc, exp.id, 1, 1)
    expect(job).toMatchObject({ kind: 'apply', state: 'done', editsDone: 1, editsTotal: 1, maxSteps: 60 })
    expect(job.step).toBeGreaterThan(0)

    const [batch] = ok(await svc['batches.list']({ experimentId: exp.id }))
    expect(batch).toMatchObject({ seq: 1, state: 'applied', error: null, edits: [{ id: ids[0], ...EDITS[0] }] })
    expect(batch.steps).toBe(job.step)

    const db = ws.db()
    const states = listRecentEvents(db, { entity: 'batch', entityId: batch.id }).reverse()
      .filter((e) => e.kind === 'batch.state').map((e) => `${String(e.detail.from)}→${String(e.detail.to)}`)
    expect(states).toEqual(['queued→training', 'training→applied'])

    const [cp] = listCheckpoints(db, exp.id)
    expect(cp).toMatchObject({ afterBatchId: batch.id, active: true })
    const bytes = readFileSync(join(ws.dir, cp.file))
    expect(cp.file.startsWith('checkpoints/')).toBe(true)
    expect(cp.bytes).toBe(bytes.length)
    expect(sha256Hex(bytes)).toBe(cp.sha256)

    const codes = listBatchCodes(db, batch.id)
    expect(codes.map((c) => c.editId)).toEqual(ids)
    expect(popcount(codes[0].code)).toBe(2) // L = 1 MoLoRA layer × top-2
    expect(popcount(codes[0].preset)).toBe(2)

    const mine = ws.events.slice(seen)
    const progress = mine.filter((e) => e.type === 'job.progress').map((e) => (e.type === 'job.progress' ? e.job : null))
    expect(progress.some((j) => j !== null && j.state === 'running' && j.step > 0 && j.loss !== null && j.etaS !== null)).toBe(true)
    expect(mine.filter((e) => e.type === 'job.finished')).toEqual([{ type: 'job.finished', job }])
    expect(mine.some((e) => e.type === 'batches.changed' && e.experimentId === exp.id)).toBe(true)
    expect(ok(await svc['jobs.current']({}))).toBeNull()
  })

  it('probe: the edited model answers the new target from the stored code; the base model does not', async () => {
    const [p, other] = ok(await ws.svc.probe({ experimentId: ws.exp.id, prompts: [EDITS[0].prompt, 'Hello'] }))
    const [edit] = ok(await ws.svc['edits.list']({ experimentId: ws.exp.id })).rows
    expect(p.base.answer).not.toBe('Lyon')
    expect(p.edited).toMatchObject({ answer: 'Lyon', nearestDistance: 0, nearestEditId: edit.id, deferred: false })
    expect(p.edited.code).toMatch(/^[01]{16}$/)
    expect(p.edited.code.split('').filter((b) => b === '1')).toHaveLength(2)
    expect(p.edited.top5).toHaveLength(5)
    expect(other.edited.deferred).toBe(true)
    expect(other.edited.answer).toBe(other.base.answer)
  })

  it('cancel stops the running batch between steps and puts it back to queued; a queued job is just removed', async () => {
    const { svc, exp } = ws
    ok(await svc['edits.add']({ experimentId: exp.id, edits: [EDITS[1]] }))
    const checkpoints = listCheckpoints(ws.db(), exp.id).length
    const job = ok(await svc['jobs.apply']({ experimentId: exp.id, batchSize: 1, batches: 1 }))
    const second = ok(await svc['jobs.evaluate']({ experimentId: exp.id }))
    expect(second.state).toBe('queued')
    expect(ok(await svc['jobs.cancel']({ jobId: second.id }))).toEqual({ cancelled: true })
    const off = svc.onEvent((e) => {
      if (e.type === 'job.progress' && e.job.id === job.id && e.job.step >= 2) void svc['jobs.cancel']({ jobId: job.id })
    })
    const end = await svc.waitForJob(job.id)
    off()
    expect(end.state).toBe('cancelled')
    expect((await svc.waitForJob(second.id)).state).toBe('cancelled')
    const batches = ok(await svc['batches.list']({ experimentId: exp.id }))
    expect(batches.map((b) => b.state)).toEqual(['applied', 'queued'])
    expect(listCheckpoints(ws.db(), exp.id)).toHaveLength(checkpoints)
    expect(ok(await svc['edits.list']({ experimentId: exp.id, status: 'queued' })).rows.map((e) => e.prompt)).toEqual([EDITS[1].prompt])
    expect(ok(await svc['jobs.cancel']({ jobId: job.id }))).toEqual({ cancelled: false })

    // The cancelled batch re-runs as the same row.
    const again = await applyAndWait(svc, exp.id, 1, 1)
    expect(again.state).toBe('done')
    expect(ok(await svc['batches.list']({ experimentId: exp.id })).map((b) => [b.seq, b.state])).toEqual([[1, 'applied'], [2, 'applied']])
  })

  it('evaluate appends reliability and retention at the current edit count', async () => {
    const { svc, exp, modelDir } = ws
    writeFileSync(join(modelDir, 'retention.jsonl'), '{"prompt":"Zebras are","target":"striped"}\n{"prompt":"Water is","target":"wet"}\n')
    const job = ok(await svc['jobs.evaluate']({ experimentId: exp.id }))
    const end = await svc.waitForJob(job.id)
    expect(end).toMatchObject({ kind: 'evaluate', state: 'done' })
    const series = ok(await svc['metrics.series']({ experimentIds: [exp.id], names: ['reliability', 'retention', 'retention_base', 'generalization'] }))
    const s = series[String(exp.id)]
    expect(s.reliability).toHaveLength(1)
    expect(s.reliability[0].editCount).toBe(2)
    expect(s.reliability[0].value).toBeGreaterThanOrEqual(0.5)
    expect(s.retention).toHaveLength(1)
    expect(s.retention_base).toHaveLength(1)
    expect(s.generalization).toEqual([]) // no rephrases: no point rather than a fake 0
    expect(ws.events.some((e) => e.type === 'metrics.changed')).toBe(true)
    const csv = ok(await svc['export.metrics']({ experimentId: exp.id })).content.trim().split('\n')
    expect(csv[0]).toBe('experiment_id,experiment,batch_id,edit_count,name,value,created_at')
    expect(csv.some((l) => l.includes(',2,reliability,'))).toBe(true)
  })
})
