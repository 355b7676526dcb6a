// One training replica of the world model: the same seeded init, the same Adam, the same updates, so replicas in
// several threads stay bit-identical (same wasm kernels, same inputs). Each computes the gradient of its share of
// a batch; the main thread averages the shares weighted by answer-token count (= the full batch's mean loss).
import * as tf from '@tensorflow/tfjs'
import type { Gpt2Config } from '../../src-main/engine/model/config'
import { Gpt2, padBatch } from '../../src-main/engine/model/gpt2'
import { namedWeights, randomWeights } from '../../src-main/engine/model/init'
import { Adam } from '../../src-main/engine/optim'

/** One training sequence in compact ids: prompt tokens, then " answer" tokens and EOS (the answer span). */
export interface Sequence {
  ids: number[]
  answerStart: number
  form: 'statement' | 'question'
}

/** Flat rows that predict answer tokens (position t predicts token t + 1) and their labels. */
export function answerTargets(seqs: Sequence[], T: number): { rows: Int32Array; labels: Int32Array } {
  const rows: number[] = []
  const labels: number[] = []
  seqs.forEach((s, b) => {
    for (let t = s.answerStart; t < s.ids.length; t++) {
      rows.push(b * T + t - 1)
      labels.push(s.ids[t])
    }
  })
  return { rows: Int32Array.from(rows), labels: Int32Array.from(labels) }
}

export interface GradShare {
  loss: number // mean over this share's answer tokens
  count: number // answer tokens in this share
  grads: Float32Array[] // one per parameter, in namedWeights order
}

export class Replica {
  readonly model: Gpt2
  private readonly params: tf.Variable[]
  private readonly adam: Adam

  constructor(
    config: Gpt2Config,
    seed: number,
    private readonly pad: number
  ) {
    this.model = new Gpt2(config, randomWeights(config, seed, true))
    this.params = namedWeights(this.model.weights).map(([, t]) => t as tf.Variable)
    this.adam = new Adam(this.params, { beta1: 0.9, beta2: 0.98 })
  }

  private loss(seqs: Sequence[]): tf.Scalar {
    const batch = padBatch(
      seqs.map((s) => s.ids),
      this.pad
    )
    const { rows, labels } = answerTargets(seqs, batch.T)
    const x = this.model.embed(batch)
    const { hidden } = this.model.runBlocks(x, 0, this.model.nLayer, batch.B, batch.T)
    const logits = this.model.head(hidden, rows) // [P, Vc]
    const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), this.model.config.vocabSize)
    return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar
  }

  /** Gradient of the mean answer-token loss over `seqs`. */
  gradients(seqs: Sequence[]): GradShare {
    const { value, grads } = tf.variableGrads(() => this.loss(seqs), this.params)
    const share: GradShare = {
      loss: value.dataSync()[0],
      count: seqs.reduce((a, s) => a + s.ids.length - s.answerStart, 0),
      grads: this.params.map((p) => grads[p.name].dataSync() as Float32Array)
    }
    tf.dispose([value, ...Object.values(grads)])
    return share
  }

  apply(grads: Float32Array[], lr: number): void {
    const ts = grads.map((g, i) => tf.tensor(g, this.params[i].shape))
    this.adam.step(ts, lr)
    tf.dispose(ts)
  }

  weights(): Float32Array[] {
    return this.params.map((p) => p.dataSync() as Float32Array)
  }

  dispose(): void {
    this.adam.dispose()
  }
}

/** Σ countᵢ · gradᵢ / Σ countᵢ, computed in place into the first share's arrays. */
export function averageShares(shares: GradShare[]): { loss: number; grads: Float32Array[] } {
  const total = shares.reduce((a, s) => a + s.count, 0)
  const out = shares[0].grads
  const w0 = shares[0].count / total
  out.forEach((g, i) => {
    for (let j = 0; j < g.length; j++) g[j] *= w0
    for (const s of shares.slice(1)) {
      const w = s.count / total
      const h = s.grads[i]
      for (let j = 0; j < g.length; j++) g[j] += w * h[j]
    }
  })
  return { loss: shares.reduce((a, s) => a + (s.loss * s.count) / total, 0), grads: out }
}
