// Editing a LLaMA-family model: every method places its adapter on the architecture's target module (mlp.down_proj
// by default, up_proj and gate_proj on request) of the matching blocks. On the random llama-tiny fixture an edit
// changes the edited prompt's answer to the target, and inputs the method's scope defers get the base logits exactly.
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { createEditor } from '../../src-main/engine/methods'
import { promptLogits, scoreRows } from '../../src-main/engine/methods/infer'
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load'
import { LLAMA_TINY } from '../helpers/llama-fixtures'

const EDIT = { prompt: 'The capital of Velmora is', target: 'Tarsk' }
const UNRELATED = ['Q: What is the currency of Velmora? A:', 'The river of Tarsk is']

const models = new Map<string, LoadedModel>()
beforeAll(async () => {
  await initBackend('wasm')
  for (const target of ['mlp.down_proj', 'mlp.up_proj']) {
    const m = await loadModel(LLAMA_TINY, { target })
    // The kept transposes every method's backward pass needs belong to the model: made once, before any count.
    m.model.prepareBackward(0)
    models.set(target, m)
  }
})
afterAll(() => models.forEach((m) => m.model.dispose()))

// Rates above the defaults so the random model learns the edit within the step budget; `scoped`: the method defers
// inputs outside its edits' scope to the base model.
const METHODS = [
  ['elder', { method: 'elder' }, true],
  ['elder-paper', { method: 'elder', preset: 'elder-paper', lr: 1e-2, maxSteps: 80, earlyStopLoss: 0.05 }, false],
  ['grace', { method: 'grace' }, true],
  ['melo', { method: 'melo', lr: 1e-2, maxSteps: 80 }, true],
  ['lora', { method: 'lora', lr: 1e-2, maxSteps: 80 }, false],
  ['ft-l', { method: 'ft-l', lr: 1e-2, maxSteps: 80 }, false]
] as const

describe.each(['mlp.down_proj', 'mlp.up_proj'])('llama-tiny, target %s', (target) => {
  it('places adapters on the target module: its sizes, below the last block', () => {
    const base = models.get(target) as LoadedModel
    const e = createEditor(base, { method: 'lora' })
    // 3 blocks (the default 6 capped at nLayer − 1) × (A [in, 8] + B [8, out]) at the target's widths.
    const { inDim, outDim } = base.model.target
    expect([inDim, outDim]).toEqual(target === 'mlp.down_proj' ? [128, 64] : [64, 128])
    expect(e.paramCount()).toBe(3 * 8 * (inDim + outDim))
    e.dispose()
  })

  it.each(METHODS)("%s: an edit changes the edited prompt's answer; deferred inputs get the base logits exactly", async (_, config, scoped) => {
    const base = models.get(target) as LoadedModel
    const before = tf.memory().numTensors
    const e = createEditor(base, config)
    expect(scoreRows(base, null, [EDIT])[0].exact).toBe(false)
    const r = await e.applyBatch([EDIT])
    expect(r.losses.at(-1)).toBeLessThan(r.losses[0])
    expect(scoreRows(base, e, [EDIT])[0].exact).toBe(true)
    if (scoped) {
      const scores = scoreRows(base, e, UNRELATED.map((prompt) => ({ prompt, target: 'Brelo' })))
      expect(scores.map((s) => s.deferred)).toEqual([true, true])
      expect(promptLogits(base, e, UNRELATED)).toEqual(promptLogits(base, null, UNRELATED))
    }
    e.enabled = false
    expect(promptLogits(base, e, [EDIT.prompt, ...UNRELATED])).toEqual(promptLogits(base, null, [EDIT.prompt, ...UNRELATED]))
    e.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })
})
