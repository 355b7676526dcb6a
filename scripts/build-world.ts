// npm run build:world [-- --seed 1 --out resources/models/tiny-world --minutes 28]
// Builds the embedded default from scratch: the world's facts, edit suite and retention set (scripts/world/), a
// truncated GPT-2 BPE tokenizer, and a GPT-2 pretrained on every fact in every template. Same seed → same world.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { describeBackend, initBackend } from '../src-main/engine/backend'
import type { Gpt2Config } from '../src-main/engine/model/config'
import { namedWeights } from '../src-main/engine/model/init'
import { writeSafetensors } from '../src-main/engine/model/safetensors'
import { createTokenizer } from '../src-main/engine/model/tokenizer'
import { WORLD_SEED } from './world/generate'
import { Prng } from '../src-main/engine/prng'
import { WORLD_MERGES, worldTokenizerJson } from './world/tokenizer'
import { train, type Sequence } from './world/train'
import { writeWorldFiles } from './world/write'

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: String(WORLD_SEED) },
    out: { type: 'string', default: 'resources/models/tiny-world' },
    // The cosine schedule spans `epochs`; `minutes` caps training so the whole build stays under 30 minutes.
    minutes: { type: 'string', default: '28.5' },
    epochs: { type: 'string', default: '8' },
    target: { type: 'string', default: '0.997' },
    // Data parallelism: a second replica in a worker thread uses the second core (wasm runs one thread per backend).
    workers: { type: 'string', default: '2' }
  }
})
const seed = Number(args.seed)
const out = args.out as string
const log = (line: string): void => void process.stderr.write(`${line}\n`)

const info = await initBackend()
log(`build:world seed ${seed} → ${out}; ${describeBackend(info)} × ${args.workers} worker(s)`)
const t0 = performance.now()

// 1. The world and its suites.
mkdirSync(out, { recursive: true })
const world = writeWorldFiles(out, seed)
log(`world: ${world.summary.facts} facts, ${world.corpus.length} corpus rows, ${world.summary.edits} edits`)

// 2. Tokenizer.
const tokJson = worldTokenizerJson()
writeFileSync(join(out, 'tokenizer.json'), JSON.stringify(tokJson))
const tok = createTokenizer(tokJson, {}, out)
const eos = tok.eosId

// 3. Sequences in compact ids: the softmax runs over the corpus' own tokens only.
const full = world.corpus.map((r) => {
  const prompt = tok.encode(r.prompt)
  const answer = [...tok.encode(` ${r.answer}`), eos]
  return { ids: [...prompt, ...answer], answerStart: prompt.length, form: r.form }
})
const used = [...new Set(full.flatMap((s) => s.ids))].sort((a, b) => a - b)
const compact = new Map(used.map((id, i) => [id, i]))
const seqs: Sequence[] = full.map((s) => ({ ...s, ids: s.ids.map((id) => compact.get(id) as number) }))
const maxLen = Math.max(...seqs.map((s) => s.ids.length))
log(`corpus: ${used.length} distinct tokens, max sequence ${maxLen} tokens`)

// Held-in sample for early stopping: 25 % of the sequences (every template appears).
const heldIn = new Prng(seed + 7).shuffle(seqs).slice(0, Math.ceil(seqs.length / 4))

const config: Gpt2Config = {
  modelType: 'gpt2',
  nEmbd: 128,
  nLayer: 8, // ≥ 8 so that L = 6 MoLoRA layers fit above a query block (elder-spec §9)
  nHead: 4,
  nPositions: 64,
  vocabSize: 256 + WORLD_MERGES + 1,
  nInner: 512,
  layerNormEpsilon: 1e-5,
  activation: 'gelu_new',
  eosTokenId: eos,
  bosTokenId: eos,
  tieWordEmbeddings: true
}
const result = await train(seqs, heldIn, compact.get(eos) as number, {
  config: { ...config, vocabSize: used.length },
  seed,
  batchSize: 128,
  epochs: Number(args.epochs),
  lr: 2e-3,
  warmupSteps: 150,
  minutes: Number(args.minutes),
  targetAccuracy: Number(args.target),
  evalFromEpoch: 5,
  workers: Number(args.workers),
  onProgress: log
})

// 4. Expand the compact embedding to the full vocabulary; unused rows keep a small random init N(0, 0.02).
const D = config.nEmbd
const wte = new Float32Array(config.vocabSize * D)
const rng = new Prng(seed + 13)
for (let i = 0; i < wte.length; i++) {
  // Box–Muller from the seeded PRNG, so the file is the same for the same seed.
  const u = Math.max(rng.next(), 1e-12)
  wte[i] = 0.02 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())
}
const trained = result.model.weights.wte.dataSync() as Float32Array
used.forEach((id, i) => wte.set(trained.subarray(i * D, (i + 1) * D), id * D))

const tensors = namedWeights(result.model.weights).map(([name, t]) => ({
  name,
  dtype: 'F16' as const,
  shape: name === 'wte.weight' ? [config.vocabSize, D] : t.shape,
  data: name === 'wte.weight' ? wte : (t.dataSync() as Float32Array)
}))
writeSafetensors(join(out, 'model.safetensors'), tensors, { format: 'pt' })
writeFileSync(
  join(out, 'config.json'),
  JSON.stringify(
    {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      activation_function: config.activation,
      vocab_size: config.vocabSize,
      n_positions: config.nPositions,
      n_ctx: config.nPositions,
      n_embd: config.nEmbd,
      n_layer: config.nLayer,
      n_head: config.nHead,
      n_inner: config.nInner,
      layer_norm_epsilon: config.layerNormEpsilon,
      bos_token_id: eos,
      eos_token_id: eos,
      tie_word_embeddings: true,
      torch_dtype: 'float16'
    },
    null,
    2
  ) + '\n'
)
const minutes = (performance.now() - t0) / 60000
writeFileSync(
  join(out, 'world.json'),
  JSON.stringify(
    {
      seed,
      build_command: `npm run build:world -- --seed ${seed}`,
      backend: describeBackend(info),
      workers: Number(args.workers),
      build_minutes: Number(minutes.toFixed(1)),
      train: {
        steps: result.steps,
        epochs: result.epochs,
        seconds: Math.round(result.seconds),
        held_in_exact_match: result.heldInAccuracy,
        history: result.history
      },
      world: world.summary,
      tokenizer: { kind: 'GPT-2 byte-level BPE, first merges', merges: WORLD_MERGES, corpus_tokens: used.length },
      model: { n_layer: config.nLayer, n_embd: config.nEmbd, n_head: config.nHead, n_positions: config.nPositions }
    },
    null,
    2
  ) + '\n'
)
result.model.dispose()
log(`done in ${minutes.toFixed(1)} min; held-in exact match ${(result.heldInAccuracy * 100).toFixed(2)}%; tensors left ${tf.memory().numTensors}`)
