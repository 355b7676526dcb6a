// Pretraining of the embedded world model (recipe measured in world-feasibility.md): answer-only loss, softmax over
// the corpus' own token set (the other embedding rows keep their random init), Adam β (0.9, 0.98), linear warm-up
// then cosine decay, length-bucketed batches of 128 sequences, early stop on a held-in exact-match sample.
import * as tf from '@tensorflow/tfjs'
import type { Gpt2Config } from '../../src-main/engine/model/config'
import { Gpt2, padBatch } from '../../src-main/engine/model/gpt2'
import { namedWeights, randomWeights } from '../../src-main/engine/model/init'
import { Adam } from '../../src-main/engine/optim'
import { Prng } from '../../src-main/engine/prng'

/** One training sequence in compact ids: prompt tokens, then " answer" tokens and EOS (the answer span). */
export interface Sequence {
  ids: number[]
  answerStart: number
  form: 'statement' | 'question'
}

export interface TrainOptions {
  config: Gpt2Config // vocabSize = compact vocabulary size
  seed: number
  batchSize: number
  epochs: number // the cosine schedule spans this many epochs
  lr: number
  warmupSteps: number
  minutes: number // hard wall-clock budget for training
  targetAccuracy: number // stop once the held-in sample reaches it
  onProgress: (line: string) => void
}

export interface TrainResult {
  model: Gpt2
  steps: number
  epochs: number
  seconds: number
  heldInAccuracy: number
  history: Array<{ epoch: number; loss: number; accuracy: number; seconds: number }>
}

/** Batches of similar length (padding ~1%): shuffle, sort chunks of 50 batches by length, shuffle the batches. */
function makeBatches(seqs: Sequence[], size: number, rng: Prng): Sequence[][] {
  const shuffled = rng.shuffle(seqs)
  const batches: Sequence[][] = []
  const chunk = size * 50
  for (let c = 0; c < shuffled.length; c += chunk) {
    const part = shuffled.slice(c, c + chunk).sort((a, b) => a.ids.length - b.ids.length)
    for (let i = 0; i < part.length; i += size) batches.push(part.slice(i, i + size))
  }
  return rng.shuffle(batches)
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

function lossOf(model: Gpt2, seqs: Sequence[], pad: number): tf.Scalar {
  const batch = padBatch(
    seqs.map((s) => s.ids),
    pad
  )
  const { rows, labels } = answerTargets(seqs, batch.T)
  const x = model.embed(batch)
  const { hidden } = model.runBlocks(x, 0, model.nLayer, batch.B, batch.T)
  const logits = model.head(hidden, rows) // [P, Vc]
  const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), model.config.vocabSize)
  return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar
}

/** Fraction of sequences whose every answer token is the argmax under teacher forcing (= greedy exact match). */
export function exactMatch(model: Gpt2, seqs: Sequence[], pad: number, batchSize = 256): number {
  let right = 0
  for (let i = 0; i < seqs.length; i += batchSize) {
    const part = seqs.slice(i, i + batchSize)
    const batch = padBatch(
      part.map((s) => s.ids),
      pad
    )
    const { rows, labels } = answerTargets(part, batch.T)
    const logits = model.logits(batch, rows)
    const pred = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array)
    logits.dispose()
    let k = 0
    for (const s of part) {
      let ok = true
      for (let t = s.answerStart; t < s.ids.length; t++, k++) if (pred[k] !== labels[k]) ok = false
      if (ok) right++
    }
  }
  return right / seqs.length
}

export function train(seqs: Sequence[], heldIn: Sequence[], pad: number, o: TrainOptions): TrainResult {
  const rng = new Prng(o.seed)
  const model = new Gpt2(o.config, randomWeights(o.config, o.seed, true))
  const params = namedWeights(model.weights).map(([, t]) => t as tf.Variable)
  const adam = new Adam(params, { beta1: 0.9, beta2: 0.98 })
  const stepsPerEpoch = Math.ceil(seqs.length / o.batchSize)
  const totalSteps = stepsPerEpoch * o.epochs
  const lrAt = (step: number): number => {
    if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps
    const p = Math.min(1, (step - o.warmupSteps) / Math.max(1, totalSteps - o.warmupSteps))
    return o.lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * p))) // cosine down to 5 %
  }
  const start = performance.now()
  const elapsed = (): number => (performance.now() - start) / 1000
  const history: TrainResult['history'] = []
  let step = 0
  let accuracy = 0
  let epoch = 0
  while (epoch < o.epochs && elapsed() < o.minutes * 60) {
    epoch++
    let lossSum = 0
    let lossCount = 0
    for (const batch of makeBatches(seqs, o.batchSize, rng)) {
      const { value, grads } = tf.variableGrads(() => lossOf(model, batch, pad), params)
      adam.step(
        params.map((p) => grads[p.name]),
        lrAt(step)
      )
      lossSum += value.dataSync()[0]
      lossCount++
      tf.dispose([value, ...Object.values(grads)])
      step++
      if (step % 25 === 0) {
        const perStep = elapsed() / step
        const eta = Math.max(0, (totalSteps - step) * perStep)
        o.onProgress(
          `epoch ${epoch}/${o.epochs} step ${step}/${totalSteps} loss ${(lossSum / lossCount).toFixed(4)} ` +
            `held-in ${(accuracy * 100).toFixed(2)}% ${perStep.toFixed(2)} s/step ETA ${(eta / 60).toFixed(1)} min`
        )
      }
      if (elapsed() >= o.minutes * 60) break
    }
    accuracy = exactMatch(model, heldIn, pad)
    history.push({ epoch, loss: lossSum / lossCount, accuracy, seconds: elapsed() })
    o.onProgress(
      `epoch ${epoch} done: loss ${(lossSum / lossCount).toFixed(4)} held-in exact match ${(accuracy * 100).toFixed(2)}% ` +
        `after ${(elapsed() / 60).toFixed(1)} min`
    )
    if (accuracy >= o.targetAccuracy) break
  }
  adam.dispose()
  return { model, steps: step, epochs: epoch, seconds: elapsed(), heldInAccuracy: accuracy, history }
}
