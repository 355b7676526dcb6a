// ELDER editor identities and properties on a tiny real GPT-2 (elder-spec.md §9; issue: "Identities and properties").
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { unpackCode } from '../../src-main/engine/elder/codes'
import { ElderEditor } from '../../src-main/engine/elder/editor'
import { encodeRows } from '../../src-main/engine/elder/rows'
import { EditCancelledError } from '../../src-main/engine/methods/editor'
import { promptLogits, scoreRows } from '../../src-main/engine/methods/infer'
import { editorFromState, exportState, importState } from '../../src-main/engine/elder/state'
import { StateError } from '../../src-main/engine/methods/state'
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load'
import { tinyModelDir } from '../helpers/tiny-model'

let base: LoadedModel
const PROMPTS = ['The capital of France is', 'Q: Who wrote Hamlet? A:', 'Zebras are']
const EDITS = [
  { prompt: 'The capital of France is', target: 'Lyon' },
  { prompt: 'Water boils at', target: 'ninety degrees' }
]
// The paper's method (learned routers, guided loss, code deferral): the default method has its own tests in
// elder-default.test.ts. A higher rate than the default so that the tiny random model learns an edit in the budget.
const FAST = { preset: 'elder-paper', lr: 1e-2, maxSteps: 60 }

beforeAll(async () => {
  await initBackend('wasm')
  base = await loadModel(tinyModelDir())
})
afterAll(() => base.model.dispose())

const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)

describe('ELDER editor', () => {
  it('places MoLoRA on the blocks above the query block (L = n_layer − 1 for a 2-block model)', () => {
    const e = new ElderEditor(base, {})
    expect([e.first, e.L, e.queryBlock]).toEqual([1, 1, 0])
    e.dispose()
  })

  it('a fresh editor gives the base logits exactly', () => {
    const e = new ElderEditor(base, {})
    expect(maxDiff(promptLogits(base, e, PROMPTS), promptLogits(base, null, PROMPTS))).toBe(0)
    e.dispose()
  })

  it('learns an edit, and deferred or disabled inputs get the base logits exactly', async () => {
    const e = new ElderEditor(base, FAST)
    const before = scoreRows(base, null, [EDITS[0]])[0]
    expect(before.exact).toBe(false)
    const r = await e.applyBatch([EDITS[0]])
    expect(r.losses.at(-1)).toBeLessThan(r.losses[0])
    const after = scoreRows(base, e, [EDITS[0]])[0]
    expect(after.exact).toBe(true)
    expect(after.nearest).toBe(0)
    const baseLogits = promptLogits(base, null, PROMPTS)
    expect(maxDiff(promptLogits(base, e, PROMPTS), baseLogits)).toBeGreaterThan(0)
    // ε = 0: nothing is within distance < 0, so every input is deferred.
    const deferAll = new ElderEditor(base, { ...FAST, eps: 0 })
    importState(deferAll, exportState(e))
    expect(maxDiff(promptLogits(base, deferAll, PROMPTS), baseLogits)).toBe(0)
    e.enabled = false
    expect(maxDiff(promptLogits(base, e, PROMPTS), baseLogits)).toBe(0)
    deferAll.dispose()
    e.dispose()
  })

  it('export → import gives identical predictions and codes; other bases and corrupt bytes are refused', async () => {
    const e = new ElderEditor(base, FAST)
    await e.applyBatch(EDITS)
    const bytes = exportState(e)
    const copy = editorFromState(base, bytes)
    const items = [...EDITS, { prompt: PROMPTS[2], target: 'striped' }]
    const a = scoreRows(base, e, items)
    const b = scoreRows(base, copy, items)
    expect(b.map((s) => [s.predicted, Array.from(s.code ?? []), s.nearest, s.deferred])).toEqual(
      a.map((s) => [s.predicted, Array.from(s.code ?? []), s.nearest, s.deferred])
    )
    expect(copy.table.entries()).toEqual(e.table.entries())
    const corrupt = bytes.slice()
    corrupt[corrupt.length - 5] ^= 0xff
    expect(() => editorFromState(base, corrupt)).toThrow(/checksum/)
    expect(() => editorFromState({ ...base, contentHash: 'f'.repeat(64) }, bytes)).toThrow(StateError)
    copy.dispose()
    e.dispose()
  })

  it('stores one code per row with exactly L×k ones, and the guided loss raises the preset experts’ scores', async () => {
    const e = new ElderEditor(base, { ...FAST, numExperts: 4, topK: 2, lambda: 1 })
    const edit = EDITS[1]
    const preset = e.presets.presetFor(edit.target)
    const presetScore = (): number => {
      const q = e.prefix(encodeForQuery(edit.prompt))
      const scores = e.scores(q.query)
      tf.dispose([q.hidden, q.query])
      return preset.reduce((acc, experts, l) => acc + experts.reduce((a, x) => a + scores[l * 4 + x], 0), 0)
    }
    const before = presetScore()
    const r = await e.applyBatch([edit])
    expect(presetScore()).toBeGreaterThan(before)
    expect(r.codes).toHaveLength(1)
    const ones = Array.from(r.codes[0]).reduce((a, w) => a + popcount(w), 0)
    expect(ones).toBe(e.L * 2)
    e.dispose()
  })

  it("with the 'code+query' discriminator, only inputs near a stored edit query are in scope", async () => {
    const e = new ElderEditor(base, { ...FAST, discriminator: 'code+query', queryRadius: 1e-4 })
    await e.applyBatch([EDITS[0]])
    const [edited, other] = scoreRows(base, e, [EDITS[0], { prompt: 'Zebras are', target: 'striped' }])
    expect(edited.queryDistance).toBeLessThan(1e-4)
    expect(edited.deferred).toBe(false)
    expect(edited.exact).toBe(true)
    expect(other.queryDistance).toBeGreaterThan(1e-4)
    expect(other.deferred).toBe(true)
    // Disabling the batch takes its query out too; the state file keeps the stored queries.
    const copy = editorFromState(base, exportState(e))
    expect(scoreRows(base, copy, [EDITS[0]])[0].queryDistance).toBe(edited.queryDistance)
    e.disableBatch(1)
    expect(scoreRows(base, e, [EDITS[0]])[0].deferred).toBe(true)
    copy.dispose()
    e.dispose()
  })

  it.each([['elder-paper'], ['elder']])('keeps the tensor count flat over 20 sequential batches (%s)', async (preset) => {
    const e = new ElderEditor(base, { preset, maxSteps: 5 })
    const before = tf.memory().numTensors
    for (let i = 0; i < 20; i++) await e.applyBatch([{ prompt: `Fact number ${i} is`, target: `value ${i}` }])
    expect(tf.memory().numTensors).toBe(before)
    expect(e.table.size).toBe(20)
    e.dispose()
  })

  it('a cancelled batch leaves the editor exactly as it was', async () => {
    const e = new ElderEditor(base, FAST)
    await e.applyBatch([EDITS[0]])
    const snapshot = exportState(e)
    const ctl = new AbortController()
    const run = e.applyBatch([EDITS[1]], { signal: ctl.signal, onProgress: (p) => p.step === 3 && ctl.abort() })
    await expect(run).rejects.toBeInstanceOf(EditCancelledError)
    expect(Buffer.from(exportState(e)).equals(Buffer.from(snapshot))).toBe(true)
    e.dispose()
  })

  // Issue 12's reproduction: the workspace once renumbered the deferral table only, so a later batch with the old
  // id trained and then failed on the query table. renumber(map) rewrites every table the editor keeps.
  it('renumber moves a batch in the code table and the query table, so the old id is free again', async () => {
    const e = new ElderEditor(base, { maxSteps: 2 })
    const queryOwners = (): number[] => e.queries.live().map((r) => r.owner)
    await e.applyBatch([EDITS[0]], { batchId: 10 })
    e.renumber(new Map([[10, 3]]))
    expect(e.owners()).toEqual([3])
    expect(queryOwners()).toEqual([3])
    await e.applyBatch([EDITS[1]], { batchId: 10 })
    expect(e.owners()).toEqual([3, 10])
    expect(queryOwners().sort((a, b) => a - b)).toEqual([3, 10])
    e.dispose()
  })

  // The paper's Table 4 ablation: the Switch Transformer's load-balancing loss in place of the guided loss. For one
  // row, N · Σᵢ fᵢPᵢ with fᵢ = 1/k on its top-k experts is N/k times the sum of its top-k scores, per layer.
  it("routerLoss 'balance' adds λ · N/k · Σ top-k scores (one row) to the LM loss", async () => {
    const e = new ElderEditor(base, { ...FAST, routerLoss: 'balance', maxSteps: 1 })
    const { numExperts: N, topK: k, lambda } = e.config
    const rows = encodeRows(base.tokenizer, [EDITS[0]], true, base.model.config.nPositions)
    const { hidden, query } = e.prefix(rows)
    const scores = e.scores(query)
    tf.dispose([hidden, query])
    const [code] = e.codesOf(scores, 1)
    let chosen = 0
    unpackCode(code, e.L, N).forEach((experts, l) => experts.forEach((x) => (chosen += scores[l * N + x])))
    const progress: Array<{ loss: number; lmLoss: number }> = []
    await e.applyBatch([EDITS[0]], { onProgress: (p) => progress.push(p) })
    expect(progress[0].loss - progress[0].lmLoss).toBeCloseTo((lambda * N * chosen) / k, 5)
    e.dispose()
  })
})

function popcount(x: number): number {
  let n = 0
  for (let v = x >>> 0; v; v &= v - 1) n++
  return n
}

function encodeForQuery(prompt: string): { batch: { ids: Int32Array; B: number; T: number; lengths: number[] }; lastPrompt: Int32Array } {
  const ids = base.tokenizer.encode(prompt)
  return { batch: { ids: Int32Array.from(ids), B: 1, T: ids.length, lengths: [ids.length] }, lastPrompt: Int32Array.of(ids.length - 1) }
}
