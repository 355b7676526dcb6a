// Pretraining of the embedded world model (recipe measured in world-feasibility.md): answer-only loss, softmax over
// the corpus' own token set (the other embedding rows keep their random init), Adam β (0.9, 0.98), linear warm-up
// then cosine decay, length-bucketed batches of 128 sequences, early stop on a held-in exact-match sample.
import { Worker } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs'
import type { Gpt2Config } from '../../src-main/engine/model/config'
import { padBatch, type Gpt2 } from '../../src-main/engine/model/gpt2'
import { Prng } from '../../src-main/engine/prng'
import type { WorkerRequest } from './grad-worker'
import { answerTargets, averageShares, Replica, type GradShare, type Sequence } from './replica'

export type { Sequence } from './replica'

export interface TrainOptions {
  config: Gpt2Config // vocabSize = compact vocabulary size
  seed: number
  batchSize: number
  epochs: number // the cosine schedule spans this many epochs
  lr: number
  warmupSteps: number
  minutes: number // hard wall-clock budget for training
  targetAccuracy: number // stop once the held-in sample reaches it
  evalFromEpoch: number // the held-in eval costs ~20 s; before this epoch it cannot reach the target anyway
  workers: number // 2: a second replica in a worker thread (data parallelism over two cores)
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

type WorkerReply = { type: 'ready' } | { type: 'share'; share: GradShare } | { type: 'weights'; weights: Float32Array[] }

/** A second replica in a worker thread; replies resolve the one request in flight. */
export class WorkerReplica {
  private readonly worker: Worker
  private pending: ((m: WorkerReply) => void) | null = null

  private constructor() {
    this.worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./grad-worker.ts', import.meta.url).href }
    })
    this.worker.on('message', (m: WorkerReply) => this.pending?.(m))
  }

  static async start(config: Gpt2Config, seed: number, pad: number): Promise<WorkerReplica> {
    const r = new WorkerReplica()
    await new Promise<void>((resolve, reject) => {
      r.worker.once('error', reject)
      void r.request({ type: 'init', config, seed, pad }).then(() => resolve())
    })
    return r
  }

  send(m: WorkerRequest): void {
    this.worker.postMessage(m)
  }

  private request(m: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve) => {
      this.pending = resolve
      this.send(m)
    })
  }

  async gradients(seqs: Sequence[]): Promise<GradShare> {
    return ((await this.request({ type: 'grads', seqs })) as { share: GradShare }).share
  }

  async weights(): Promise<Float32Array[]> {
    return ((await this.request({ type: 'weights' })) as { weights: Float32Array[] }).weights
  }

  async stop(): Promise<void> {
    await this.worker.terminate()
  }
}

export async function train(seqs: Sequence[], heldIn: Sequence[], pad: number, o: TrainOptions): Promise<TrainResult> {
  const rng = new Prng(o.seed)
  const replica = new Replica(o.config, o.seed, pad)
  const model = replica.model
  const helper = o.workers > 1 ? await WorkerReplica.start(o.config, o.seed, pad) : null
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
      const lr = lrAt(step)
      let loss: number
      if (helper) {
        // Interleaved halves: the batch is sorted by length, so both halves pad alike.
        const theirs = helper.gradients(batch.filter((_, i) => i % 2 === 0))
        const mine = replica.gradients(batch.filter((_, i) => i % 2 === 1))
        const avg = averageShares([mine, await theirs])
        helper.send({ type: 'apply', grads: avg.grads, lr })
        replica.apply(avg.grads, lr)
        loss = avg.loss
      } else {
        const share = replica.gradients(batch)
        replica.apply(share.grads, lr)
        loss = share.loss
      }
      lossSum += loss
      lossCount++
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
    if (epoch < o.evalFromEpoch && epoch < o.epochs && elapsed() < o.minutes * 60) {
      history.push({ epoch, loss: lossSum / lossCount, accuracy: Number.NaN, seconds: elapsed() })
      o.onProgress(`epoch ${epoch} done: loss ${(lossSum / lossCount).toFixed(4)} after ${(elapsed() / 60).toFixed(1)} min`)
      continue
    }
    accuracy = exactMatch(model, heldIn, pad)
    history.push({ epoch, loss: lossSum / lossCount, accuracy, seconds: elapsed() })
    o.onProgress(
      `epoch ${epoch} done: loss ${(lossSum / lossCount).toFixed(4)} held-in exact match ${(accuracy * 100).toFixed(2)}% ` +
        `after ${(elapsed() / 60).toFixed(1)} min`
    )
    if (accuracy >= o.targetAccuracy) break
  }
  replica.dispose()
  await helper?.stop()
  return { model, steps: step, epochs: epoch, seconds: elapsed(), heldInAccuracy: accuracy, history }
}
