// The baselines of issue 12 behind the editor interface: no edit = the base output exactly; an edit changes the
// edited prompt's answer; export → import gives identical predictions; a corrupt state is refused by its checksum;
// the tensor count is flat over 20 batches. LoRA, FT-L and MELO run on the tiny fixture; GRACE on the embedded world model,
// because one value per key must be told apart position by position by the blocks above the codebook, and the
// fixture has one block above it (GRACE does not learn "Lyon", three tokens, there).
import { readFileSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { createEditor, restoreEditor } from '../../src-main/engine/methods'
import { EditCancelledError, MethodUnsupportedError } from '../../src-main/engine/methods/editor'
import { promptLogits, scoreRows } from '../../src-main/engine/methods/infer'
import { StateError } from '../../src-main/engine/methods/state'
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load'
import { tinyModelDir } from '../helpers/tiny-model'

interface Case {
  base: LoadedModel
  prompts: string[]
  edit: { prompt: string; target: string }
  other: { prompt: string; target: string }
}
const models: { tiny?: LoadedModel; world?: LoadedModel } = {}
const WORLD = 'resources/models/tiny-world'
const RECS = readFileSync(`${WORLD}/edits.jsonl`, 'utf8').trim().split('\n').slice(0, 3).map((l) => JSON.parse(l) as { prompt: string; target: string })

beforeAll(async () => {
  await initBackend('wasm')
  models.tiny = await loadModel(tinyModelDir())
  models.world = await loadModel(WORLD)
})
afterAll(() => {
  models.tiny?.model.dispose()
  models.world?.model.dispose()
})

const on = (model: 'tiny' | 'world'): Case =>
  model === 'tiny'
    ? {
        base: models.tiny as LoadedModel,
        prompts: ['The capital of France is', 'Q: Who wrote Hamlet? A:', 'Zebras are'],
        edit: { prompt: 'The capital of France is', target: 'Lyon' },
        other: { prompt: 'Water boils at', target: 'ninety degrees' }
      }
    : {
        base: models.world as LoadedModel,
        prompts: RECS.map((r) => r.prompt),
        edit: { prompt: RECS[0].prompt, target: RECS[0].target },
        other: { prompt: RECS[1].prompt, target: RECS[1].target }
      }

// A higher rate than the defaults so that the tiny random model learns an edit in the budget (GRACE's own rate
// already does). `switches`: whether one batch can be switched off alone.
describe.each([
  ['lora', { method: 'lora', lr: 1e-2, maxSteps: 60 }, false, 'tiny'],
  ['ft-l', { method: 'ft-l', lr: 1e-2, maxSteps: 60 }, false, 'tiny'],
  ['grace', { method: 'grace' }, true, 'world'],
  ['melo', { method: 'melo', lr: 1e-2, maxSteps: 60 }, true, 'tiny']
] as const)('%s', (method, config, switches, model) => {
  it('without edits gives the base logits exactly', () => {
    const { base, prompts: PROMPTS } = on(model)
    const e = createEditor(base, config)
    expect(e.method).toBe(method)
    expect(promptLogits(base, e, PROMPTS)).toEqual(promptLogits(base, null, PROMPTS))
    e.dispose()
  })

  it("an edit changes the edited prompt's answer to the target; switched off, the base logits come back", async () => {
    const { base, prompts: PROMPTS, edit: EDIT } = on(model)
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
    const { base, prompts: PROMPTS, edit: EDIT } = on(model)
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
    const { base } = on(model)
    const e = createEditor(base, { ...config, maxSteps: 5 })
    const fact = (i: number) => ({ prompt: `Fact number ${i} is`, target: `value ${i}` })
    // Counted after the first batch: GRACE's values tensor exists from its first key on (then it grows in place).
    await e.applyBatch([fact(0)])
    const before = tf.memory().numTensors
    for (let i = 1; i < 20; i++) await e.applyBatch([fact(i)])
    expect(tf.memory().numTensors).toBe(before)
    expect(e.rowCount).toBe(20)
    e.dispose()
  })

  it('a cancelled batch leaves the state as it was; renumber moves batches; switching one batch off', async () => {
    const { base, prompts: PROMPTS, edit: EDIT, other } = on(model)
    const e = createEditor(base, config)
    await e.applyBatch([EDIT], { batchId: 10 })
    const snapshot = e.exportState()
    const ctl = new AbortController()
    const run = e.applyBatch([other], { signal: ctl.signal, onProgress: (p) => p.step === 3 && ctl.abort() })
    await expect(run).rejects.toBeInstanceOf(EditCancelledError)
    expect(Buffer.from(e.exportState()).equals(Buffer.from(snapshot))).toBe(true)
    e.renumber(new Map([[10, 3]]))
    expect(e.owners()).toEqual([3])
    if (switches) {
      // Off, the batch's edit gives the base output exactly; on again, the edit is back.
      e.disableBatch(3)
      expect(promptLogits(base, e, PROMPTS)).toEqual(promptLogits(base, null, PROMPTS))
      e.enableBatch(3)
      expect(scoreRows(base, e, [EDIT])[0].exact).toBe(true)
    } else {
      expect(() => e.disableBatch(3)).toThrow(MethodUnsupportedError)
    }
    e.dispose()
  })
})

describe('grace', () => {
  it('serves an edit only within its key radius: other prompts get the base logits exactly; parameters grow by key', async () => {
    const { base, edit: EDIT, other } = on('world')
    const e = createEditor(base, { method: 'grace' })
    expect(e.paramCount()).toBe(0)
    await e.applyBatch([EDIT])
    const F = base.model.config.nInner
    expect(e.paramCount()).toBe(F)
    const [edited, unrelated] = scoreRows(base, e, [EDIT, other])
    expect(edited).toMatchObject({ exact: true, deferred: false })
    expect(edited.nearest).toBeCloseTo(0, 4)
    expect(unrelated.deferred).toBe(true)
    expect(promptLogits(base, e, [other.prompt])).toEqual(promptLogits(base, null, [other.prompt]))
    await e.applyBatch([other])
    expect(e.paramCount()).toBe(2 * F)
    e.dispose()
  })
})
