// Random LLaMA-family weights as Hugging Face initialises them (N(0, initializer_range 0.02) for every matrix and
// the embedding, unit RMSNorm gains, zero biases), frozen: for benchmarks of real shapes without a download.
import * as tf from '@tensorflow/tfjs'
import type { LlamaConfig } from './llama-config'
import type { LlamaBlockWeights, LlamaWeights } from './llama'

export function randomLlamaWeights(c: LlamaConfig, seed: number): LlamaWeights {
  let s = seed
  const D = c.nEmbd
  const q = c.nHead * c.headDim
  const kv = c.nKvHead * c.headDim
  const normal = (shape: number[]): tf.Tensor => tf.tidy(() => tf.randomNormal(shape, 0, 0.02, 'float32', s++))
  const ones = (n: number): tf.Tensor => tf.ones([n])
  const zeros = (n: number): tf.Tensor => tf.zeros([n])
  const blocks: LlamaBlockWeights[] = []
  for (let j = 0; j < c.nLayer; j++) {
    // Stored [in, out] as the loader leaves them (llama-load.ts).
    blocks.push({
      inNorm: ones(D),
      qkvW: normal([D, q + 2 * kv]),
      qkvB: c.qkvBias ? zeros(q + 2 * kv) : null,
      oW: normal([q, D]),
      oB: c.oBias ? zeros(D) : null,
      postNorm: ones(D),
      gateW: normal([D, c.nInner]),
      upW: normal([D, c.nInner]),
      downW: normal([c.nInner, D])
    })
  }
  const embed = normal([c.vocabSize, D])
  return { embed, norm: ones(D), blocks, ...(c.tieWordEmbeddings ? {} : { lmHead: normal([c.vocabSize, D]) }) }
}
