// Loads a checkpoint folder in Hugging Face layout: config.json, model.safetensors (or shards with
// model.safetensors.index.json, LLaMA family), tokenizer.json (or vocab.json + merges.txt). GPT-2 weights are read
// here, the LLaMA family's in llama-load.ts; weight loading is a lookup table from checkpoint key to our tensor.
import { createHash } from 'node:crypto'
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs'
import { basename, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { parseModelConfig, type Gpt2Config } from './config'
import { checkpointFiles, checkpointHash } from './checkpoint'
import { Gpt2, type BlockWeights, type Gpt2Weights } from './gpt2'
import { blockKeyEntries } from './keys'
import { Llama } from './llama'
import { loadLlamaWeights } from './llama-load'
import { describeShortfall, estimateMemory, paramCounts } from './memory'
import type { LanguageModel, ModelConfig } from './model'
import { loadSafetensors, readSafetensorsHeader, type TensorInfo } from './safetensors'
import { resolveTarget, type LlamaTarget } from './targets'
import { loadTokenizer, type TextTokenizer } from './tokenizer'

export class ModelLoadError extends Error {
  override name = 'ModelLoadError'
}

export interface LoadedModel {
  dir: string
  config: ModelConfig
  model: LanguageModel
  tokenizer: TextTokenizer
  /** sha256 of model.safetensors (of the shards' hashes when sharded): identifies the base model (editor state is refused on another one). */
  contentHash: string
}

export interface ModelLoadOptions {
  /** The module the editing methods hook (model.ts, targets.ts): GPT-2 mlp.c_fc; LLaMA family mlp.down_proj (default), mlp.up_proj or mlp.gate_proj. */
  target?: string
  /**
   * Whether the model will be edited: the memory check then counts the training working set of the default
   * edited blocks (the last six) besides the weights. Default true; false for inference only (inspect logits).
   */
  training?: boolean
}

/** Rows × tokens the memory check assumes for a training batch: an edit batch plus rehearsed rows, ≤ 64 tokens. */
const TRAIN_TOKENS = 16 * 64

/** Refuses, with one line, a model the active backend cannot hold (memory.ts). */
export function checkMemory(dir: string, config: ModelConfig, training: boolean): void {
  const backend = tf.getBackend()
  const need = training ? { trainTokens: TRAIN_TOKENS, trainBlocks: Math.min(6, config.nLayer) } : { trainTokens: 0, trainBlocks: 0 }
  const e = estimateMemory(config, backend, need)
  if (e.bytes <= e.available) return
  const params = paramCounts(config).total
  const name = `${basename(dir)} (${config.modelType}, ${(params / 1e9).toFixed(2)} B parameters)`
  throw new ModelLoadError(describeShortfall(name, backend, e))
}

/** Expected shape of every checkpoint key (HF Conv1D stores weights as [in, out]). */
export function expectedShapes(c: Gpt2Config): Map<string, number[]> {
  const D = c.nEmbd
  const F = c.nInner
  const m = new Map<string, number[]>([
    ['wte.weight', [c.vocabSize, D]],
    ['wpe.weight', [c.nPositions, D]],
    ['ln_f.weight', [D]],
    ['ln_f.bias', [D]]
  ])
  const block: Record<keyof BlockWeights, number[]> = {
    ln1g: [D],
    ln1b: [D],
    attnW: [D, 3 * D],
    attnB: [3 * D],
    projW: [D, D],
    projB: [D],
    ln2g: [D],
    ln2b: [D],
    fcW: [D, F],
    fcB: [F],
    fcProjW: [F, D],
    fcProjB: [D]
  }
  for (let j = 0; j < c.nLayer; j++) {
    for (const [k, key] of blockKeyEntries()) m.set(`h.${j}.${key}`, block[k])
  }
  return m
}

// Keys like `h.3.attn.bias` (the causal mask buffer) or `h.3.attn.masked_bias` are not weights.
const IGNORED = /^h\.\d+\.attn\.(bias|masked_bias)$/

function canonical(name: string): string {
  return name.startsWith('transformer.') ? name.slice('transformer.'.length) : name
}

/** SHA-256 of a file, streamed in 16 MiB chunks (a 6 GB checkpoint is never held in memory for this). */
export function sha256File(file: string): string {
  const hash = createHash('sha256')
  const fd = openSync(file, 'r')
  try {
    const buf = Buffer.allocUnsafe(16 << 20)
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      hash.update(buf.subarray(0, n))
    }
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}

/**
 * Reads the checkpoint one tensor at a time and moves each into a tf tensor right away, so the decoded float32
 * copy of one tensor is the most that exists outside the backend at any moment.
 */
export function loadWeights(file: string, config: Gpt2Config): Gpt2Weights {
  const header = readSafetensorsHeader(file)
  const byKey = new Map<string, TensorInfo>()
  for (const t of header.tensors) byKey.set(canonical(t.name), t)
  const shapes = expectedShapes(config)
  const lmHeadInfo = byKey.get('lm_head.weight')
  if (lmHeadInfo) shapes.set('lm_head.weight', [config.vocabSize, config.nEmbd])
  for (const [key, shape] of shapes) {
    const info = byKey.get(key)
    if (!info) throw new ModelLoadError(`${file}: missing weight "${key}" (expected shape [${shape}])`)
    if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw new ModelLoadError(`${file}: weight "${key}" has shape [${info.shape}], expected [${shape}]`)
    }
  }
  for (const key of byKey.keys()) {
    if (!shapes.has(key) && !IGNORED.test(key)) {
      throw new ModelLoadError(`${file}: unexpected tensor "${key}" for a GPT-2 with ${config.nLayer} layers`)
    }
  }
  const take = (key: string): tf.Tensor => {
    const info = byKey.get(key) as TensorInfo
    const { tensors } = loadSafetensors(file, { include: (n) => n === info.name })
    const t = tensors.get(info.name)
    if (!t) throw new ModelLoadError(`${file}: weight "${key}" has dtype ${info.dtype}, expected F32, F16 or BF16`)
    return tf.tensor(t.data, t.shape)
  }
  const blocks: BlockWeights[] = []
  for (let j = 0; j < config.nLayer; j++) {
    const b = {} as BlockWeights
    for (const [k, key] of blockKeyEntries()) b[k] = take(`h.${j}.${key}`)
    blocks.push(b)
  }
  const weights: Gpt2Weights = {
    wte: take('wte.weight'),
    wpe: take('wpe.weight'),
    lnfg: take('ln_f.weight'),
    lnfb: take('ln_f.bias'),
    blocks
  }
  // An lm_head equal to wte is the tied case; keep a separate head only when it differs or ties are off.
  if (lmHeadInfo && !config.tieWordEmbeddings) weights.lmHead = take('lm_head.weight')
  return weights
}

export function readConfig(dir: string): ModelConfig {
  const file = join(dir, 'config.json')
  if (!existsSync(file)) throw new ModelLoadError(`${dir}: no config.json (expected a Hugging Face model folder)`)
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new ModelLoadError(`${file}: not valid JSON (${(e as Error).message})`)
  }
  return parseModelConfig(json, file)
}

/** The identity of a folder's weights (the hash loadBareModel reports), without loading them. */
export function contentHashOf(dir: string): string {
  return checkpointHash(checkpointFiles(dir))
}

/** Config and weights only: enough for logits by token id (no tokenizer needed). */
export function loadBareModel(dir: string, opts: ModelLoadOptions = {}): { config: ModelConfig; model: LanguageModel; contentHash: string } {
  if (!existsSync(dir)) throw new ModelLoadError(`model folder not found: ${dir}`)
  const config = readConfig(dir)
  const files = checkpointFiles(dir)
  // Every refusal that needs no weights comes before the (streamed, but long on a large model) hash.
  const target = resolveTarget(config.modelType, opts.target ?? null)
  if (!target.ok) throw new ModelLoadError(target.message)
  if (config.modelType === 'gpt2') {
    if (files.index !== null) throw new ModelLoadError(`${dir}: sharded GPT-2 checkpoints are not supported; save one model.safetensors`)
    checkMemory(dir, config, opts.training ?? true)
    return { config, model: new Gpt2(config, loadWeights(files.files[0], config)), contentHash: checkpointHash(files) }
  }
  checkMemory(dir, config, opts.training ?? true)
  const contentHash = checkpointHash(files)
  // resolveTarget checked the name against the LLaMA family's list.
  return { config, model: new Llama(config, loadLlamaWeights(files.files, config), target.name as LlamaTarget), contentHash }
}

export async function loadModel(dir: string, opts: ModelLoadOptions = {}): Promise<LoadedModel> {
  if (!existsSync(dir)) throw new ModelLoadError(`model folder not found: ${dir}`)
  // The tokenizer first: it is the cheapest check that this really is a usable model folder.
  const tokenizer = await loadTokenizer(dir, { eosId: readConfig(dir).eosTokenId })
  return { dir, tokenizer, ...loadBareModel(dir, opts) }
}
