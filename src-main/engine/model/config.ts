// GPT-2 hyper-parameters from a Hugging Face `config.json`.
// Field names and defaults follow transformers' GPT2Config:
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/gpt2/configuration_gpt2.py
import * as fs from 'node:fs'
import * as path from 'node:path'
import { LLAMA_MODEL_TYPES, parseLlamaConfig } from './llama-config'
import type { ModelConfig } from './model'

/** The activations GPT-2 checkpoints use (transformers ACT2FN names). */
export const GPT2_ACTIVATIONS = ['gelu_new', 'gelu', 'relu', 'gelu_fast', 'gelu_pytorch_tanh'] as const
export type Gpt2Activation = (typeof GPT2_ACTIVATIONS)[number]

export interface Gpt2Config {
  modelType: 'gpt2'
  /** Model width d (n_embd). */
  nEmbd: number
  nLayer: number
  nHead: number
  /** Context length: rows of the learned position embedding. */
  nPositions: number
  vocabSize: number
  /** MLP hidden width; n_inner null or absent means 4 × nEmbd, as in GPT2MLP. */
  nInner: number
  layerNormEpsilon: number
  activation: Gpt2Activation
  eosTokenId: number
  bosTokenId: number
  /** lm_head shares wte; GPT-2 checkpoints ship no separate lm_head.weight. */
  tieWordEmbeddings: boolean
}

export class ModelConfigError extends Error {
  override name = 'ModelConfigError'
  constructor(
    readonly source: string,
    /** The config.json key at fault, or null for problems with the file as a whole. */
    readonly field: string | null,
    message: string
  ) {
    super(message)
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function describe(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v)
}

/** Validates and converts a parsed config.json of any supported architecture (model_type picks the parser). */
export function parseModelConfig(json: unknown, source: string): ModelConfig {
  if (!isRecord(json)) throw new ModelConfigError(source, null, `${source} is not a JSON object`)
  const llama = LLAMA_MODEL_TYPES.find((t) => t === json.model_type)
  return llama ? parseLlamaConfig(json, llama, source) : parseGpt2Config(json, source)
}

/** Validates and converts a parsed GPT-2 config.json. `source` (usually the file path) is quoted in every error. */
export function parseGpt2Config(json: Record<string, unknown>, source: string): Gpt2Config {
  const fail = (field: string, want: string): never => {
    throw new ModelConfigError(source, field, `${field} in ${source} must be ${want}, got ${describe(json[field])}`)
  }
  const positiveInt = (field: string): number => {
    const v = json[field]
    return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : fail(field, 'a positive integer')
  }
  const optional = <T>(field: string, fallback: T, read: (field: string) => T): T =>
    json[field] === undefined || json[field] === null ? fallback : read(field)

  const modelType = json.model_type
  if (modelType !== 'gpt2') {
    const what = modelType === undefined ? 'missing model_type' : `unsupported model_type ${describe(modelType)}`
    throw new ModelConfigError(source, 'model_type', `${what} in ${source}; supported: gpt2, ${LLAMA_MODEL_TYPES.join(', ')}`)
  }

  const nEmbd = positiveInt('n_embd')
  const nLayer = positiveInt('n_layer')
  const nHead = positiveInt('n_head')
  const nPositions = positiveInt('n_positions')
  const vocabSize = positiveInt('vocab_size')
  if (nEmbd % nHead !== 0) {
    throw new ModelConfigError(source, 'n_embd', `n_embd ${nEmbd} is not divisible by n_head ${nHead} in ${source}`)
  }
  const nInner = optional('n_inner', 4 * nEmbd, positiveInt)

  const layerNormEpsilon = optional('layer_norm_epsilon', 1e-5, (field) => {
    const v = json[field]
    return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fail(field, 'a positive number')
  })
  const activation = optional<Gpt2Activation>('activation_function', 'gelu_new', (field) => {
    const v = json[field]
    return GPT2_ACTIVATIONS.find((a) => a === v) ?? fail(field, `one of ${GPT2_ACTIVATIONS.join(', ')}`)
  })
  const tokenId = (field: string): number => {
    const v = json[field]
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < vocabSize
      ? v
      : fail(field, `a token id in [0, ${vocabSize})`)
  }
  // GPT-2 uses <|endoftext|>, the last id, for both; configs without the fields mean that.
  const eosTokenId = optional('eos_token_id', vocabSize - 1, tokenId)
  const bosTokenId = optional('bos_token_id', eosTokenId, tokenId)
  const tieWordEmbeddings = optional('tie_word_embeddings', true, (field) => {
    const v = json[field]
    return typeof v === 'boolean' ? v : fail(field, 'true or false')
  })

  return {
    modelType,
    nEmbd,
    nLayer,
    nHead,
    nPositions,
    vocabSize,
    nInner,
    layerNormEpsilon,
    activation,
    eosTokenId,
    bosTokenId,
    tieWordEmbeddings
  }
}

/** Reads and parses `<dir>/config.json`. */
export function loadModelConfig(dir: string): ModelConfig {
  const file = path.join(dir, 'config.json')
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    throw new ModelConfigError(file, null, `cannot read ${file}: ${(e as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new ModelConfigError(file, null, `${file} is not valid JSON (${(e as Error).message})`)
  }
  return parseModelConfig(json, file)
}
