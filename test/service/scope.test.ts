// Probe explanations, probing a queue row, scope tuning and the allocation map through the real service, a real
// engine process and the embedded tiny-world model (default method), on two applied edits of the world's suite.
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ScopeDistancesView, ScopeGroup } from '../../src-preload/contract'
import { applyAndWait, ok, testWorkspace, type TestWorkspace } from './helpers'
import { WORLD_RECS } from '../helpers/world-suite'

const WORLD = resolve('resources/models/tiny-world')
const RECS = WORLD_RECS.slice(0, 3)

let ws: TestWorkspace
let ids: number[]
beforeAll(async () => {
  ws = await testWorkspace({}, { modelDir: WORLD })
  ids = ok(await ws.svc['edits.add']({
    experimentId: ws.exp.id,
    edits: RECS.map((r) => ({ prompt: r.prompt, target: r.target, rephrases: r.rephrases, locality: r.locality, subject: r.subject, relation: r.relation }))
  })).ids
  expect((await applyAndWait(ws.svc, ws.exp.id, 1, 2)).state).toBe('done')
})
afterAll(() => ws.close())

const probeOne = async (prompt: string) => ok(await ws.svc.probe({ experimentId: ws.exp.id, prompts: [prompt] }))[0]

/** What the renderer counts from the distances: in scope iff distance < threshold. */
function clientCount(d: ScopeDistancesView, t: number): Record<ScopeGroup, number> {
  const n = (g: ScopeGroup): number => d.groups[g].filter((x) => x !== null && x < t).length
  return { edit: n('edit'), rephrase: n('rephrase'), unrelated: n('unrelated') }
}

describe('probe: scope explanation', () => {
  it('an edited prompt is in scope with its distance, threshold and edit; the allocation is the L×N weights used', async () => {
    const r = await probeOne(RECS[0].prompt)
    expect(r.edited.deferred).toBe(false)
    expect(r.edited.scope.reason).toBe('in_scope')
    // The queue rows name their subject and relation, and the engine gets them: two relations edited, so the
    // relation gate is on and an edit of the relation the prompt reads as matches at 0.08 × 4.
    expect(r.edited.scope.relation).toBe(RECS[0].relation)
    expect(r.edited.scope.summary).toMatch(/^in scope: distance 0\.\d{3} < threshold 0\.320 \(edit #\d+\)$/)
    expect(r.edited.scope.nearest[0]).toMatchObject({ editId: ids[0], batchSeq: 1, prompt: RECS[0].prompt, target: RECS[0].target, enabled: true })
    const a = r.edited.scope.allocation!
    expect(a.weights).toHaveLength(a.rows * a.cols)
    expect(a.weights.filter((w) => w > 0).length).toBeGreaterThan(0)
  })

  it('an unrelated prompt is deferred and says why', async () => {
    const r = await probeOne(RECS[2].locality[0].prompt)
    expect(r.edited.deferred).toBe(true)
    expect(r.edited.scope.summary).toMatch(/^deferred: (distance \d\.\d{3} ≥ threshold 0\.(080|320)|no stored edit passes the ((answer|subject|relation) gate( and )?)+; the nearest, edit #\d+, is at distance \d\.\d{3} ≥ threshold 0\.(080|320)|((answer|subject|relation) gate( and )?)+ failed for edit #\d+)/)
  })

  it('issue 13 bug 4: a prompt of a disabled batch says "deferred: batch N disabled"', async () => {
    const batches = ok(await ws.svc['batches.list']({ experimentId: ws.exp.id }))
    ok(await ws.svc['rollback.disable']({ batchId: batches[1].id }))
    const r = await probeOne(RECS[1].prompt)
    expect(r.edited.deferred).toBe(true)
    expect(r.edited.scope.summary).toBe(`deferred: batch ${batches[1].seq} disabled`)
    ok(await ws.svc['rollback.enable']({ batchId: batches[1].id }))
    expect((await probeOne(RECS[1].prompt)).edited.scope.reason).toBe('in_scope')
  })
})

describe('probe a queue row', () => {
  it('says whether the edit holds and shows each rephrase', async () => {
    const v = ok(await ws.svc['probe.edit']({ experimentId: ws.exp.id, editId: ids[0] }))
    expect(v.holds).toBe(v.result.edited.answer === RECS[0].target)
    expect(v.holds).toBe(true)
    expect(v.rephrases.map((r) => r.prompt)).toEqual(RECS[0].rephrases)
    for (const r of v.rephrases) expect(r.holds).toBe(r.answer === RECS[0].target)
    // The unapplied third edit does not hold: its prompt is not in scope.
    const q = ok(await ws.svc['probe.edit']({ experimentId: ws.exp.id, editId: ids[2] }))
    expect(q.holds).toBe(false)
    const wrong = await ws.svc['probe.edit']({ experimentId: ws.exp.id + 1, editId: ids[0] })
    expect(wrong.ok ? null : wrong.error.code).toBe('not_found')
  })
})

describe('scope tuning', () => {
  let d: ScopeDistancesView
  it('returns the distances of edit prompts, rephrases and unrelated inputs', async () => {
    d = ok(await ws.svc['scope.distances']({ experimentId: ws.exp.id }))
    expect(d).toMatchObject({ measure: 'query-cosine', field: 'queryRadius', threshold: 0.08 })
    expect(d.groups.edit).toHaveLength(2)
    expect(d.groups.rephrase).toHaveLength(RECS[0].rephrases.length + RECS[1].rephrases.length)
    expect(d.groups.unrelated.length).toBeGreaterThan(RECS[0].locality.length + RECS[1].locality.length)
    expect(d.groups.edit.every((x) => x !== null && x < 0.08)).toBe(true)
  })

  it('the trade-off the service computes at a threshold equals the count from the distances', async () => {
    const all = [...d.groups.edit, ...d.groups.rephrase, ...d.groups.unrelated].filter((x): x is number => x !== null)
    // Around every distance (just below, at, just above): the edges where a strict "<" could go either way.
    const near = all.filter((x) => x > 0.01).slice(0, 2)
    const ts = [0, 0.08, 0.3, ...near.flatMap((x) => [x, x + 1e-9])]
    for (const t of ts) {
      const s = ok(await ws.svc['scope.tradeoff']({ experimentId: ws.exp.id, threshold: t }))
      expect(s.inScope, `threshold ${t}`).toEqual(clientCount(d, t))
      expect(s.total).toEqual({ edit: d.groups.edit.length, rephrase: d.groups.rephrase.length, unrelated: d.groups.unrelated.length })
    }
  })

  it('apply threshold: saved in the config, recorded as a config change, and the next probe and evaluation use it', async () => {
    const exp = ok(await ws.svc['scope.applyThreshold']({ experimentId: ws.exp.id, threshold: 0 }))
    expect(exp.config.queryRadius).toBe(0)
    expect(exp.settings.queryRadius).toBe(0)
    const ev = ws.db().prepare("SELECT detail FROM events WHERE kind = 'experiment.config_changed' AND entity_id = ?").all(ws.exp.id) as Array<{ detail: string }>
    expect(ev.map((e) => JSON.parse(e.detail))).toEqual([{ reason: 'scope tuning: apply threshold', changes: [{ field: 'queryRadius', from: null, to: 0 }] }])
    const r = await probeOne(RECS[0].prompt)
    expect(r.edited.deferred).toBe(true)
    expect(r.edited.scope.summary).toMatch(/^deferred: distance 0\.\d{3} ≥ threshold 0\.000$/)
    // The next evaluation uses it: at threshold 0 the unrelated inputs are all deferred and edits stop holding (an
    // edit's own distance can round a hair below 0, so not necessarily every one); at 0.08 they are back.
    const evaluate = async (): Promise<{ deferred: number; reliability: number }> => {
      const job = ok(await ws.svc['jobs.evaluate']({ experimentId: ws.exp.id }))
      expect((await ws.svc.waitForJob(job.id)).state).toBe('done')
      const series = ok(await ws.svc['metrics.series']({ experimentIds: [ws.exp.id], names: ['locality_deferred_rate', 'reliability'] }))[String(ws.exp.id)]
      return { deferred: series.locality_deferred_rate.at(-1)!.value, reliability: series.reliability.at(-1)!.value }
    }
    const at0 = await evaluate()
    expect(at0.deferred).toBe(1)
    ok(await ws.svc['scope.applyThreshold']({ experimentId: ws.exp.id, threshold: 0.08 }))
    expect((await probeOne(RECS[0].prompt)).edited.deferred).toBe(false)
    const at8 = await evaluate()
    expect(at8.reliability).toBe(1)
    expect(at0.reliability).toBeLessThan(at8.reliability)
  })
})

describe('allocation map', () => {
  it('one vector per input of each group, the frozen scope queries (preset routing); usage counts k experts per layer per edit', async () => {
    const d = ok(await ws.svc['scope.distances']({ experimentId: ws.exp.id }))
    const m = ok(await ws.svc['scope.map']({ experimentId: ws.exp.id }))
    const per = (g: ScopeGroup): number => m.points.filter((p) => p.group === g).length
    expect({ edit: per('edit'), rephrase: per('rephrase'), unrelated: per('unrelated') }).toEqual({
      edit: d.groups.edit.length, rephrase: d.groups.rephrase.length, unrelated: d.groups.unrelated.length
    })
    const u = m.usage!
    expect(m.feature).toMatch(/^frozen scope queries \(block \d+ output, last prompt token\)$/)
    expect(m.points[0].vector.length).toBeGreaterThan(u.rows * u.cols)
    expect(u.counts.reduce((a, b) => a + b, 0)).toBe(2 * u.rows * 2)
  })
})
