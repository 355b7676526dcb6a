// The baselines of issue 12 behind the editor interface, each on the tiny fixture model: no edit = the base output
// exactly; an edit changes the edited prompt's answer; export → import gives identical predictions; a corrupt state
// is refused by its checksum; the tensor count is flat over 20 batches.
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { createEditor, restoreEditor } from '../../src-main/engine/methods'
import { EditCancelledError, MethodUnsupportedError } from '../../src-main/engine/methods/editor'
import { promptLogits, scoreRows } from '../../src-main/engine/methods/infer'
import { StateError } from '../../src-main/engine/methods/state'
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load'
import { tinyModelDir } from '../helpers/tiny-model'

let base: LoadedModel
const PROMPTS = ['The capital of France is', 'Q: Who wrote Hamlet? A:', 'Zebras are']
const EDIT = { prompt: 'The capital of France is', target: 'Lyon' }

beforeAll(async () => {
  await initBackend('wasm')
  base = await loadModel(tinyModelDir())
})
afterAll(() => base.model.dispose())

// A higher rate than the defaults so that the tiny random model learns an edit in the budget.
describe.each([
  ['lora', { method: 'lora', lr: 1e-2, maxSteps: 60 }],
  ['ft-l', { method: 'ft-l', lr: 1e-2, maxSteps: 60 }]
])('%s', (method, config) => {
  it('without edits gives the base logits exactly', () => {
    const e = createEditor(base, config)
    expect(e.method).toBe(method)
    expect(promptLogits(base, e, PROMPTS)).toEqual(promptLogits(base, null, PROMPTS))
    e.dispose()
  })

  it("an edit changes the edited prompt's answer to the target; switched off, the base logits come back", async () => {
    const e = createEditor(base, config)
    const before = scoreRows(base, null, [EDIT])[0]
    expect(before.exact).toBe(false)
    const r = await e.applyBatch([EDIT])
    expect(r.losses.at(-1)).toBeLessThan(r.losses[0])
    const after = scoreRows(base, e, [EDIT])[0]
    expect(after.exact).toBe(true)
    expect(after.deferred).toBe(false)
    e.enabled = false
    expect(promptLogits(base, e, PROMPTS)).toEqual(promptLogits(base, null, PROMPTS))
    e.dispose()
  })

  it('export → import gives identical predictions; corrupt bytes and other bases are refused', async () => {
    const e = createEditor(base, config)
    await e.applyBatch([EDIT], { batchId: 4 })
    const bytes = e.exportState()
    const copy = restoreEditor(base, bytes)
    expect(copy.method).toBe(method)
    expect(copy.owners()).toEqual([4])
    expect(copy.paramCount()).toBe(e.paramCount())
    expect(promptLogits(base, copy, PROMPTS)).toEqual(promptLogits(base, e, PROMPTS))
    expect(copy.predict(PROMPTS, 4).map((p) => p.answer)).toEqual(e.predict(PROMPTS, 4).map((p) => p.answer))
    const corrupt = bytes.slice()
    corrupt[corrupt.length - 5] ^= 0xff
    expect(() => restoreEditor(base, corrupt)).toThrow(/checksum/)
    expect(() => restoreEditor({ ...base, contentHash: 'f'.repeat(64) }, bytes)).toThrow(StateError)
    copy.dispose()
    e.dispose()
  })

  it('keeps the tensor count flat over 20 sequential batches', async () => {
    const e = createEditor(base, { ...config, maxSteps: 5 })
    const before = tf.memory().numTensors
    for (let i = 0; i < 20; i++) await e.applyBatch([{ prompt: `Fact number ${i} is`, target: `value ${i}` }])
    expect(tf.memory().numTensors).toBe(before)
    expect(e.rowCount).toBe(20)
    e.dispose()
  })

  it('a cancelled batch leaves the state as it was; renumber moves batches; one batch cannot be switched off', async () => {
    const e = createEditor(base, config)
    await e.applyBatch([EDIT], { batchId: 10 })
    const snapshot = e.exportState()
    const ctl = new AbortController()
    const run = e.applyBatch([{ prompt: 'Water boils at', target: 'ninety degrees' }], { signal: ctl.signal, onProgress: (p) => p.step === 3 && ctl.abort() })
    await expect(run).rejects.toBeInstanceOf(EditCancelledError)
    expect(Buffer.from(e.exportState()).equals(Buffer.from(snapshot))).toBe(true)
    e.renumber(new Map([[10, 3]]))
    expect(e.owners()).toEqual([3])
    expect(() => e.disableBatch(3)).toThrow(MethodUnsupportedError)
    e.dispose()
  })
})
