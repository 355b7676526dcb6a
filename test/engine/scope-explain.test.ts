// The scope explanation (engine/methods/scope.ts) on the embedded tiny-world model: it agrees with the decision
// predict makes, gives the reason (in scope, too far, batch disabled, no edits, gate failed), a threshold override
// moves the decision exactly where the distance says, and the allocation grid has the weights the input ran with.
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { ElderEditor } from '../../src-main/engine/elder/editor'
import { createEditor } from '../../src-main/engine/methods'
import { predict } from '../../src-main/engine/methods/infer'
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load'
import { WORLD_DIR, WORLD_RECS, worldEdit } from '../helpers/world-suite'

let base: LoadedModel
let e: ElderEditor
beforeAll(async () => {
  await initBackend('wasm')
  base = await loadModel(WORLD_DIR)
  e = new ElderEditor(base, {})
  await e.applyBatch([worldEdit(WORLD_RECS[0])], { batchId: 1 })
  await e.applyBatch([worldEdit(WORLD_RECS[1])], { batchId: 2 })
})
afterAll(() => {
  e.dispose()
  base.model.dispose()
})

describe('ELDER scope explanation', () => {
  it('before any edit: every prompt is deferred because no edits are stored', () => {
    const fresh = new ElderEditor(base, {})
    const [x] = fresh.explain([WORLD_RECS[0].prompt])
    expect(x).toMatchObject({ inScope: false, reason: 'no_edits', distance: null, nearest: [], measure: 'query-cosine', threshold: 0.08 })
    fresh.dispose()
  })

  it('agrees with predict, names the edit, and shows the experts used with weight 1/k', () => {
    const prompts = [WORLD_RECS[0].prompt, WORLD_RECS[1].prompt, WORLD_RECS[0].locality[0].prompt, ...WORLD_RECS[0].rephrases]
    const before = tf.memory().numTensors
    const ex = e.explain(prompts)
    expect(tf.memory().numTensors).toBe(before)
    const pr = predict(base, e, prompts, 4)
    expect(ex.map((x) => x.inScope)).toEqual(pr.map((p) => !p.deferred))
    const [own] = ex
    expect(own.reason).toBe('in_scope')
    expect(own.distance).not.toBeNull()
    expect(own.distance!).toBeLessThan(0.08)
    expect(own.nearest[0]).toMatchObject({ batchId: 1, row: 0, enabled: true, failedGates: [] })
    const { rows, cols, weights } = own.allocation!
    expect([rows, cols]).toEqual([e.L, e.config.numExperts])
    // Preset routing: k experts per layer, each weighted 1/k, the edit's own stored allocation.
    for (let l = 0; l < rows; l++) {
      const used = weights.slice(l * cols, (l + 1) * cols).filter((w) => w > 0)
      expect(used).toEqual(Array(e.config.topK).fill(+(1 / e.config.topK).toFixed(6)))
    }
    const unrelated = ex[2]
    expect(unrelated.inScope).toBe(false)
    expect(['too_far', 'gate_failed']).toContain(unrelated.reason)
    expect(unrelated.allocation!.weights.every((w) => w === 0)).toBe(true)
  })

  it('a prompt of a disabled batch is deferred with that batch as the reason; enabling brings it back', () => {
    e.disableBatch(2)
    const [x] = e.explain([WORLD_RECS[1].prompt])
    expect(x).toMatchObject({ inScope: false, reason: 'batch_disabled', disabledBatch: 2 })
    expect(predict(base, e, [WORLD_RECS[1].prompt], 2)[0].deferred).toBe(true)
    e.enableBatch(2)
    expect(e.explain([WORLD_RECS[1].prompt])[0]).toMatchObject({ inScope: true, reason: 'in_scope', disabledBatch: null })
  })

  it('a threshold override decides exactly by distance < threshold, as route() does', () => {
    const prompts = [...WORLD_RECS[0].rephrases, ...WORLD_RECS[1].rephrases, WORLD_RECS[0].locality[0].prompt, WORLD_RECS[1].prompt]
    const own = e.explain(prompts)
    for (const t of [0, 0.02, 0.2, 0.5, 2]) {
      const at = e.explain(prompts, t)
      // The radius is t, or t × relationScale for an edit of the relation the classifier predicts.
      const wide = t * e.config.relationScale
      expect(at.map((x) => x.threshold === t || Math.abs(x.threshold! - wide) < 1e-12)).toEqual(at.map(() => true))
      expect(at.map((x) => x.inScope)).toEqual(at.map((x) => x.distance !== null && x.distance < x.threshold!))
      expect(at.map((x) => x.distance)).toEqual(own.map((x) => x.distance))
    }
  })

  it('setScopeThreshold moves the decision predict makes', () => {
    // A prompt in scope at a clearly positive distance (an edit's own distance rounds to about zero, either side).
    const cands = [...WORLD_RECS[0].rephrases, ...WORLD_RECS[1].rephrases]
    const i = e.explain(cands).findIndex((x) => x.inScope && x.distance! > 1e-3)
    expect(i).toBeGreaterThanOrEqual(0)
    const p = cands[i]
    const d = e.explain([p])[0].distance!
    const saved = e.config.queryRadius
    const t = d / 2 / e.config.relationScale // below d even where the relation gate widens it
    e.setScopeThreshold(t)
    expect(e.scopeThreshold()).toMatchObject({ measure: 'query-cosine', field: 'queryRadius', value: t })
    expect(e.scopeThreshold().note).toMatch(/within 4 × the radius/)
    expect(predict(base, e, [p], 2)[0].deferred).toBe(true)
    e.setScopeThreshold(saved)
    expect(predict(base, e, [p], 2)[0].deferred).toBe(false)
  })

  it('usage counts k experts per layer for each stored edit; map vectors are the unit frozen scope queries', () => {
    const u = e.usage()
    expect(u.counts.reduce((a, b) => a + b, 0)).toBe(2 * e.L * e.config.topK)
    // Preset routing never reads the routers, so the map shows the query the scope decision compares.
    const m = e.mapVectors([WORLD_RECS[0].prompt, WORLD_RECS[2].prompt])
    const D = base.model.config.nEmbd
    expect(m.feature).toBe(`frozen scope queries (block ${e.queryBlock} output, last prompt token)`)
    expect(m.vectors.map((v) => v.length)).toEqual([D, D])
    for (const v of m.vectors) expect(Math.hypot(...v)).toBeCloseTo(1, 5)
    // A stored edit's own prompt sits where its stored query is: the decision's distance to it is 0.
    expect(e.explain([WORLD_RECS[0].prompt])[0].distance).toBeCloseTo(0, 5)
    expect(Array.from(e.mapVectors([WORLD_RECS[0].prompt]).vectors[0])).toEqual(Array.from(m.vectors[0]))
  })
})

describe('the paper preset explains by code Hamming distance', () => {
  it('agrees with predict; a threshold override is ε; a disabled batch is named', async () => {
    const p = new ElderEditor(base, { preset: 'elder-paper', maxSteps: 5 })
    await p.applyBatch([worldEdit(WORLD_RECS[0])], { batchId: 1 })
    const prompts = [WORLD_RECS[0].prompt, ...WORLD_RECS[0].rephrases, WORLD_RECS[3].prompt]
    const ex = p.explain(prompts)
    expect(ex.map((x) => x.inScope)).toEqual(predict(base, p, prompts, 2).map((q) => !q.deferred))
    expect(ex[0]).toMatchObject({ measure: 'code-hamming', threshold: 12 })
    expect(p.scopeThreshold()).toEqual({ measure: 'code-hamming', field: 'eps', value: 12 })
    for (const t of [0, 3, 24]) expect(p.explain(prompts, t).map((x) => x.inScope)).toEqual(ex.map((x) => x.distance !== null && x.distance < t))
    expect(p.mapVectors([WORLD_RECS[0].prompt])).toMatchObject({ feature: `router scores (${p.L}×${p.config.numExperts})` })
    expect(p.mapVectors([WORLD_RECS[0].prompt]).vectors[0]).toHaveLength(p.L * p.config.numExperts)
    p.disableBatch(1)
    const off = p.explain(prompts)
    expect(off.map((x) => x.inScope)).toEqual(prompts.map(() => false))
    // What was in scope is now deferred because of batch 1.
    expect(off.filter((_, i) => ex[i].inScope).map((x) => x.reason)).toEqual(ex.filter((x) => x.inScope).map(() => 'batch_disabled'))
    p.dispose()
  })
})

describe('other methods explain their own scope', () => {
  it('LoRA has none; GRACE compares the key distance with the key radius', async () => {
    const lora = createEditor(base, { method: 'lora', maxSteps: 2 })
    expect(lora.explain(['x'])[0]).toMatchObject({ reason: 'no_scope', inScope: true, measure: 'none' })
    expect(lora.scopeThreshold().field).toBeNull()
    lora.dispose()
    const grace = createEditor(base, { method: 'grace', maxSteps: 2 })
    expect(grace.explain([WORLD_RECS[0].prompt])[0]).toMatchObject({ reason: 'no_edits', inScope: false })
    await grace.applyBatch([worldEdit(WORLD_RECS[0])], { batchId: 1 })
    const [x] = grace.explain([WORLD_RECS[0].prompt])
    expect(x).toMatchObject({ measure: 'key-euclidean', reason: 'in_scope', inScope: true })
    expect(x.distance!).toBeLessThanOrEqual(x.threshold!)
    grace.dispose()
  })
})
