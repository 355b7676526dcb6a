// The training loop the baselines share, after ELDER's (elder/editor.ts): blocks [0, from) run once without
// gradients, then per step CE on the target tokens through blocks [from, n) with the method's hooks, Adam fresh per
// batch, early stop once every target token is the argmax and CE is low; a cancelled or failed batch restores vars.
import * as tf from '@tensorflow/tfjs'
import type { RunOptions } from '../model/gpt2'
import type { LanguageModel } from '../model/model'
import { Adam } from '../optim'
import type { EncodedRows } from '../elder/rows'
import { EditCancelledError, type ApplyOptions } from './editor'
import type { TrainConfig } from './train-config'

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export interface TrainResult {
  losses: number[]
  earlyStopped: boolean
}

export async function trainSteps(
  model: LanguageModel,
  from: number,
  rows: EncodedRows,
  vars: tf.Variable[],
  opts: RunOptions,
  c: TrainConfig,
  batchId: number,
  ao: ApplyOptions
): Promise<TrainResult> {
  const { B, T } = rows.batch
  const hidden = tf.tidy(() => model.runBlocks(model.embed(rows.batch), 0, from, B, T).hidden)
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(rows.labels, 'int32'), model.config.vocabSize))
  const saved = vars.map((v) => tf.clone(v))
  const adam = new Adam(vars)
  const losses: number[] = []
  let earlyStopped = false
  try {
    for (let step = 0; step < c.maxSteps; step++) {
      if (ao.signal?.aborted) throw new EditCancelledError(`batch ${batchId} cancelled at step ${step}`)
      const side: { argmax?: tf.Tensor } = {}
      const { value, grads } = tf.variableGrads(() => {
        const { hidden: h } = model.runBlocks(hidden, from, model.nLayer, B, T, opts)
        const logits = model.head(h, rows.targetRows)
        side.argmax = tf.keep(tf.argMax(logits, 1))
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar
      }, vars)
      const loss = value.dataSync()[0]
      const pred = (side.argmax as tf.Tensor).dataSync()
      tf.dispose([value, side.argmax as tf.Tensor])
      losses.push(loss)
      ao.onProgress?.({ step: step + 1, maxSteps: c.maxSteps, loss, lmLoss: loss })
      if (c.earlyStop && loss < c.earlyStopLoss && rows.labels.every((l, i) => pred[i] === l)) {
        earlyStopped = true
        tf.dispose(Object.values(grads))
        break
      }
      adam.step(vars.map((v) => grads[v.name] ?? tf.zerosLike(v)), c.lr)
      tf.dispose(Object.values(grads))
      await nextTick() // let cancel requests and progress messages through
    }
  } catch (e) {
    vars.forEach((v, i) => v.assign(saved[i]))
    throw e
  } finally {
    tf.dispose([...saved, hidden, labels])
    adam.dispose()
  }
  return { losses, earlyStopped }
}
