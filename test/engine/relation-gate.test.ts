// The relation gate of ELDER's default scope decision (engine/elder/relations.ts): the classifier on constructed
// data, and on the embedded tiny-world model — an edit of another relation about the same subject fails the gate,
// the classifier follows disable/enable, a reloaded editor decides exactly as before, and a rephrase beyond the
// query radius is kept in scope by the wider radius of its relation.
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { ElderEditor } from '../../src-main/engine/elder/editor'
import { FeatureMap, RelationClassifier, featureBlocks } from '../../src-main/engine/elder/relations'
import { editorFromState, exportState } from '../../src-main/engine/elder/state'
import { predict } from '../../src-main/engine/methods/infer'
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load'
import { Prng } from '../../src-main/engine/prng'
import { WORLD_DIR, WORLD_RECS, worldEdit } from '../helpers/world-suite'

describe('RelationClassifier', () => {
  const rng = new Prng(3)
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next())
  const centres = [0, 1, 2].map(() => Float32Array.from({ length: 16 }, gauss))
  const sample = (c: number): Float32Array => centres[c].map((x) => x + 0.3 * gauss())

  it('tells constructed relations apart from samples it never saw', () => {
    const rows = [0, 1, 2].flatMap((c) => Array.from({ length: 20 }, () => ({ features: sample(c), relation: `r${c}` })))
    const clf = RelationClassifier.fit(rows)!
    expect(clf.relations).toEqual(['r0', 'r1', 'r2'])
    const held = [0, 1, 2].flatMap((c) => Array.from({ length: 30 }, () => ({ x: sample(c), c })))
    expect(held.filter((h) => clf.predict(h.x) === `r${h.c}`).length).toBe(held.length)
  })

  it('is not fitted on one relation: one relation cannot tell another from its own', () => {
    expect(RelationClassifier.fit([{ features: sample(0), relation: 'a' }, { features: sample(1), relation: 'a' }])).toBeNull()
  })

  it('reads the query block and those above, at most 8; wide models are projected to 128 dimensions', () => {
    expect(featureBlocks(1, 8)).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(featureBlocks(0, 30)).toEqual([0, 4, 8, 12, 17, 21, 25, 29])
    const wide = new FeatureMap(2, 576)
    expect(wide.size).toBe(256)
    const x = Float32Array.from({ length: 2 * 576 }, (_, i) => Math.sin(i))
    const [a] = wide.features([x.subarray(0, 576), x.subarray(576)], 1)
    const [b] = new FeatureMap(2, 576).features([x.subarray(0, 576), x.subarray(576)], 1)
    expect(Array.from(a)).toEqual(Array.from(b)) // a fixed seeded projection
  })
})

const USED = WORLD_RECS.slice(0, 8)

let base: LoadedModel
let e: ElderEditor
beforeAll(async () => {
  await initBackend('wasm')
  base = await loadModel(WORLD_DIR)
  e = new ElderEditor(base, {})
  for (const [i, r] of USED.entries()) await e.applyBatch([worldEdit(r)], { batchId: i + 1 })
})
afterAll(() => {
  e.dispose()
  base.model.dispose()
})

describe('the relation gate on tiny-world', () => {
  it('a prompt about another relation of an edited subject fails the relation gate of that edit', () => {
    expect(new Set(USED.map((r) => r.relation)).size).toBeGreaterThan(1)
    const other = USED[0].locality[0].prompt // same subject, another relation
    expect(other).toContain(USED[0].subject)
    const [x] = e.explain([other])
    expect(x.inScope).toBe(false)
    const row = x.nearest.find((n) => n.batchId === 1)!
    expect(row.failedGates).toContain('relation')
    // The edit prompt itself passes every gate.
    const [own] = e.explain([USED[0].prompt])
    expect(own).toMatchObject({ inScope: true, reason: 'in_scope' })
    expect(own.nearest[0].failedGates).toEqual([])
  })

  it('a rephrase beyond the query radius is in scope at its relation’s wider radius, and predict agrees', () => {
    const reph = USED.flatMap((r) => r.rephrases)
    const ex = e.explain(reph)
    const wide = ex.filter((x) => x.inScope && x.distance! >= e.config.queryRadius)
    expect(wide.length).toBeGreaterThan(0)
    for (const x of wide) expect(x.threshold).toBeCloseTo(e.config.queryRadius * e.config.relationScale, 12)
    expect(predict(base, e, reph, 2).map((p) => !p.deferred)).toEqual(ex.map((x) => x.inScope))
  })

  it('follows disable and enable: with one relation left the gate is off', () => {
    const first = USED[0].relation
    const others = USED.flatMap((r, i) => (r.relation === first ? [] : [i + 1]))
    expect(e.relationClassifier()).not.toBeNull()
    for (const b of others) e.disableBatch(b)
    expect(e.relationClassifier()).toBeNull()
    for (const b of others) e.enableBatch(b)
    expect(e.relationClassifier()!.relations).toEqual([...new Set(USED.map((r) => r.relation))].sort())
  })

  it('a prompt of a disabled batch says so, though the classifier no longer knows that batch’s relation', () => {
    const k = USED.findIndex((r) => USED.filter((x) => x.relation === r.relation).length === 1)
    expect(k).toBeGreaterThanOrEqual(0)
    e.disableBatch(k + 1)
    expect(e.relationClassifier()!.relations).not.toContain(USED[k].relation)
    expect(e.explain([USED[k].prompt])[0]).toMatchObject({ inScope: false, reason: 'batch_disabled', disabledBatch: k + 1 })
    e.enableBatch(k + 1)
    expect(e.explain([USED[k].prompt])[0]).toMatchObject({ inScope: true, reason: 'in_scope' })
  })

  it('a reloaded editor recomputes the features from the stored prompts and decides exactly as before', () => {
    const prompts = [...USED.flatMap((r) => [...r.rephrases, r.locality[0].prompt])]
    const copy = editorFromState(base, exportState(e))
    const a = e.explain(prompts)
    const before = tf.memory().numTensors
    const b = copy.explain(prompts)
    expect(tf.memory().numTensors).toBe(before)
    expect(b.map((x) => [x.inScope, x.distance, x.threshold])).toEqual(a.map((x) => [x.inScope, x.distance, x.threshold]))
    copy.dispose()
  })
})
