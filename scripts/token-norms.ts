/**
 * Why real text does not take on the embedded model, in two numbers per suite:
 *  - the median norm of the (tied) embedding rows of its target tokens, against the world suite's: tokens the world
 *    never used keep their small initial embeddings;
 *  - the share of its target tokens that ANY final hidden state can make the argmax. The head sees
 *    ln_f(x) = γ ⊙ x̂ + β with x̂ zero-mean and of norm √D, so for each token we search x̂ (Adam on its cross-entropy,
 *    `--steps`) and count the token reachable when it ends up the argmax. A token not reached cannot be produced by
 *    any editor that acts on hidden states (every method here), however it trains. Finding x̂ proves reachability;
 *    not finding it is strong evidence, not proof.
 *
 *   node --import tsx scripts/token-norms.ts --suite ../shared/data/counterfact-val.json [--model DIR] [--limit 200]
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { describeBackend, initBackend } from '../src-main/engine/backend'
import { loadModel } from '../src-main/engine/model/load'
import { Gpt2 } from '../src-main/engine/model/gpt2'
import { importFile } from '../src-main/importers'
import { intArg } from './int-arg'

const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: 'resources/models/tiny-world' },
    suite: { type: 'string' },
    limit: { type: 'string' },
    steps: { type: 'string' }
  }
})
const limit = intArg('limit', 200)
const steps = intArg('steps', 300)
if (!o.suite) throw new Error('--suite FILE is required')
console.error(describeBackend(await initBackend()))
const base = await loadModel(o.model as string)
if (!(base.model instanceof Gpt2)) throw new Error('token-norms reads a GPT-2 wte table and ln_f; this model is not GPT-2')
const w = base.model.weights
const head = (w.lmHead ?? w.wte) as tf.Tensor2D // [V, D]
const norms = tf.tidy(() => tf.norm(w.wte, 'euclidean', 1).dataSync() as Float32Array)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** The distinct `ids` that some ln_f output makes the argmax (see the header). */
function reachable(ids: number[], steps: number): Set<number> {
  const distinct = [...new Set(ids)]
  const d = head.shape[1]
  const u = tf.variable(tf.randomNormal([distinct.length, d], 0, 1, 'float32', 7)) // [n, D]
  const labels = tf.oneHot(tf.tensor1d(distinct, 'int32'), head.shape[0]) // [n, V]
  const headT = tf.transpose(head) // [D, V]
  const logitsOf = () => {
    const centred = tf.sub(u, tf.mean(u, 1, true))
    const xhat = tf.mul(tf.div(centred, tf.norm(centred, 'euclidean', 1, true)), Math.sqrt(d)) // [n, D], |x̂| = √D
    return tf.matMul(tf.add(tf.mul(xhat, w.lnfg), w.lnfb), headT) // [n, V]
  }
  const opt = tf.train.adam(0.05)
  for (let s = 0; s < steps; s++) opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, logitsOf()), true)?.dispose()
  const argmax = tf.tidy(() => tf.argMax(logitsOf(), 1).dataSync())
  tf.dispose([u, labels, headT])
  opt.dispose()
  return new Set(distinct.filter((id, k) => argmax[k] === id))
}

async function measure(file: string) {
  const { records } = await importFile(file, {})
  const targets = records.slice(0, limit).map((r) => base.tokenizer.encode(` ${r.target.trim()}`))
  const ids = targets.flat()
  const reach = reachable(ids, steps)
  const share = (n: number, of: number) => +(n / of).toFixed(3)
  return {
    median_target_embedding_norm: +median(ids.map((i) => norms[i])).toFixed(3),
    reachable_target_tokens: share(reach.size, new Set(ids).size),
    // An edit's exact match needs every one of its target tokens: the ceiling on reliability for any method here.
    edits_with_every_token_reachable: share(targets.filter((t) => t.every((i) => reach.has(i))).length, targets.length)
  }
}
console.log(JSON.stringify({ suite: o.suite, ...(await measure(o.suite)), world: await measure(`${o.model}/edits.jsonl`) }))
