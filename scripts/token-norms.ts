/**
 * Why real text does not take on the embedded model: the median norm of the (tied) embedding rows of a suite's
 * target tokens, against the world suite's. Tokens the world never used keep their small initial embeddings.
 *
 *   node --import tsx scripts/token-norms.ts --suite ../shared/data/counterfact-val.json [--model DIR] [--limit 200]
 */
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { describeBackend, initBackend } from '../src-main/engine/backend'
import { loadModel } from '../src-main/engine/model/load'
import { Gpt2 } from '../src-main/engine/model/gpt2'
import { importFile } from '../src-main/importers'

const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: 'resources/models/tiny-world' },
    suite: { type: 'string' },
    limit: { type: 'string', default: '200' }
  }
})
if (!o.suite) throw new Error('--suite FILE is required')
console.error(describeBackend(await initBackend()))
const base = await loadModel(o.model as string)
if (!(base.model instanceof Gpt2)) throw new Error('token-norms reads a GPT-2 wte table; this model is not GPT-2')
const wte = base.model.weights.wte
const norms = tf.tidy(() => tf.norm(wte, 'euclidean', 1).dataSync() as Float32Array)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
async function targetNorm(file: string): Promise<number> {
  const { records } = await importFile(file, {})
  const ids = records.slice(0, Number(o.limit)).flatMap((r) => base.tokenizer.encode(` ${r.target.trim()}`))
  return +median(ids.map((i) => norms[i])).toFixed(3)
}
console.log(
  JSON.stringify({
    suite: o.suite,
    median_target_embedding_norm: await targetNorm(o.suite),
    world_median_target_embedding_norm: await targetNorm(`${o.model}/edits.jsonl`)
  })
)
