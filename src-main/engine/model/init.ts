// Random GPT-2 weights, as Hugging Face initialises them: N(0, 0.02) for matrices and embeddings, zero biases,
// unit LayerNorm gains, and residual projections (attn.c_proj, mlp.c_proj) scaled by 1/√(2·n_layer)
// (GPT-2 paper §2.3). Used by the world-model build (trainable) and by benchmarks (frozen).
import * as tf from '@tensorflow/tfjs'
import type { Gpt2Config } from './config'
import type { BlockWeights, Gpt2Weights } from './gpt2'
import { blockKeyEntries } from './keys'

export function randomWeights(c: Gpt2Config, seed: number, trainable = false): Gpt2Weights {
  let s = seed
  const D = c.nEmbd
  const F = c.nInner
  const wrap = (t: tf.Tensor): tf.Tensor => (trainable ? tf.variable(t, true) : t)
  const normal = (shape: number[], std = 0.02): tf.Tensor =>
    tf.tidy(() => wrap(tf.randomNormal(shape, 0, std, 'float32', s++)))
  const fill = (shape: number[], v: number): tf.Tensor => tf.tidy(() => wrap(tf.fill(shape, v)))
  const residStd = 0.02 / Math.sqrt(2 * c.nLayer)
  const blocks: BlockWeights[] = []
  for (let j = 0; j < c.nLayer; j++) {
    blocks.push({
      ln1g: fill([D], 1),
      ln1b: fill([D], 0),
      attnW: normal([D, 3 * D]),
      attnB: fill([3 * D], 0),
      projW: normal([D, D], residStd),
      projB: fill([D], 0),
      ln2g: fill([D], 1),
      ln2b: fill([D], 0),
      fcW: normal([D, F]),
      fcB: fill([F], 0),
      fcProjW: normal([F, D], residStd),
      fcProjB: fill([D], 0)
    })
  }
  return {
    wte: normal([c.vocabSize, D]),
    wpe: normal([c.nPositions, D], 0.01),
    lnfg: fill([D], 1),
    lnfb: fill([D], 0),
    blocks
  }
}

/** Every weight tensor of a model, in a fixed order, named by its Hugging Face checkpoint key. */
export function namedWeights(w: Gpt2Weights): Array<[string, tf.Tensor]> {
  const out: Array<[string, tf.Tensor]> = [
    ['wte.weight', w.wte],
    ['wpe.weight', w.wpe],
    ['ln_f.weight', w.lnfg],
    ['ln_f.bias', w.lnfb]
  ]
  w.blocks.forEach((b, j) => blockKeyEntries().forEach(([k, key]) => out.push([`h.${j}.${key}`, b[k]])))
  if (w.lmHead) out.push(['lm_head.weight', w.lmHead])
  return out
}
