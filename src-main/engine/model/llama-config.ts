// LLaMA-family hyper-parameters (model_type llama, mistral, qwen2) from a Hugging Face `config.json`.
// Field names and defaults follow transformers' LlamaConfig, MistralConfig and Qwen2Config:
// https://github.com/huggingface/transformers/blob/main/src/transformers/models/llama/configuration_llama.py
import { ModelConfigError } from './config'

export const LLAMA_MODEL_TYPES = ['llama', 'mistral', 'qwen2'] as const
export type LlamaModelType = (typeof LLAMA_MODEL_TYPES)[number]

/** rope_scaling kinds we implement (transformers' ROPE_INIT_FUNCTIONS 'linear' and 'llama3'). */
export type RopeScaling =
  | { kind: 'linear'; factor: number }
  | { kind: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }

export interface LlamaConfig {
  modelType: LlamaModelType
  /** hidden_size. */
  nEmbd: number
  nLayer: number
  /** num_attention_heads. */
  nHead: number
  /** num_key_value_heads: grouped-query attention when below nHead. */
  nKvHead: number
  /** head_dim, else hidden_size / num_attention_heads. */
  headDim: number
  /** intermediate_size: the SwiGLU width. */
  nInner: number
  /** max_position_embeddings: the longest sequence accepted. */
  nPositions: number
  vocabSize: number
  rmsNormEps: number
  ropeTheta: number
  ropeScaling: RopeScaling | null
  /** Mistral's (and Qwen2's with use_sliding_window) window: longer sequences are refused, not windowed. */
  slidingWindow: number | null
  /** q/k/v projections carry biases (always for Qwen2, attention_bias for Llama). */
  qkvBias: boolean
  /** o_proj carries a bias (attention_bias for Llama). */
  oBias: boolean
  tieWordEmbeddings: boolean
  eosTokenId: number
  /** null where the config names no BOS token. */
  bosTokenId: number | null
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const describe = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v))

export function parseLlamaConfig(json: Record<string, unknown>, modelType: LlamaModelType, source: string): LlamaConfig {
  const fail = (field: string, want: string, v: unknown = json[field]): never => {
    throw new ModelConfigError(source, field, `${field} in ${source} must be ${want}, got ${describe(v)}`)
  }
  const given = (field: string): boolean => json[field] !== undefined && json[field] !== null
  const positiveInt = (field: string, v: unknown = json[field]): number =>
    typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : fail(field, 'a positive integer', v)
  const positive = (field: string, v: unknown = json[field]): number =>
    typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fail(field, 'a positive number', v)
  const bool = (field: string, fallback: boolean): boolean => {
    if (!given(field)) return fallback
    return typeof json[field] === 'boolean' ? (json[field] as boolean) : fail(field, 'true or false')
  }

  const nEmbd = positiveInt('hidden_size')
  const nLayer = positiveInt('num_hidden_layers')
  const nHead = positiveInt('num_attention_heads')
  const nKvHead = given('num_key_value_heads') ? positiveInt('num_key_value_heads') : nHead
  if (nHead % nKvHead !== 0) {
    throw new ModelConfigError(source, 'num_key_value_heads', `num_attention_heads ${nHead} is not a multiple of num_key_value_heads ${nKvHead} in ${source}`)
  }
  if (!given('head_dim') && nEmbd % nHead !== 0) {
    throw new ModelConfigError(source, 'hidden_size', `hidden_size ${nEmbd} is not divisible by num_attention_heads ${nHead} in ${source}`)
  }
  const headDim = given('head_dim') ? positiveInt('head_dim') : nEmbd / nHead
  if (headDim % 2 !== 0) fail('head_dim', 'even (rotary embeddings rotate pairs)', headDim)
  const nInner = positiveInt('intermediate_size')
  const nPositions = positiveInt('max_position_embeddings')
  const vocabSize = positiveInt('vocab_size')
  const rmsNormEps = given('rms_norm_eps') ? positive('rms_norm_eps') : 1e-6
  const ropeTheta = given('rope_theta') ? positive('rope_theta') : 10000
  const act = json.hidden_act ?? 'silu'
  if (act !== 'silu') fail('hidden_act', '"silu" (SwiGLU)', act)
  if (bool('mlp_bias', false)) fail('mlp_bias', 'false (MLP biases are not supported)')

  const tokenId = (field: string): number | null => {
    // Llama 3 lists several end tokens; the first is the one generation stops on by default.
    const raw = Array.isArray(json[field]) ? (json[field] as unknown[])[0] : json[field]
    if (raw === undefined || raw === null) return null
    return typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 && raw < vocabSize
      ? raw
      : fail(field, `a token id in [0, ${vocabSize})`, raw)
  }
  const eos = tokenId('eos_token_id')
  const eosTokenId = eos ?? fail('eos_token_id', 'a token id (generation needs an end token)')

  const ropeScaling = parseRopeScaling(json.rope_scaling, source, nPositions)
  let slidingWindow: number | null = null
  if (modelType === 'mistral' && given('sliding_window')) slidingWindow = positiveInt('sliding_window')
  if (modelType === 'qwen2' && bool('use_sliding_window', false)) slidingWindow = positiveInt('sliding_window')
  const attentionBias = bool('attention_bias', false)

  return {
    modelType,
    nEmbd,
    nLayer,
    nHead,
    nKvHead,
    headDim,
    nInner,
    nPositions,
    vocabSize,
    rmsNormEps,
    ropeTheta,
    ropeScaling,
    slidingWindow,
    qkvBias: modelType === 'qwen2' || attentionBias,
    oBias: modelType !== 'qwen2' && attentionBias,
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    eosTokenId,
    bosTokenId: tokenId('bos_token_id')
  }
}

function parseRopeScaling(v: unknown, source: string, nPositions: number): RopeScaling | null {
  if (v === undefined || v === null) return null
  const field = 'rope_scaling'
  if (!isRecord(v)) throw new ModelConfigError(source, field, `${field} in ${source} must be an object or null, got ${describe(v)}`)
  // Newer configs write rope_type, older ones type.
  const kind = v.rope_type ?? v.type
  const num = (key: string, fallback?: number): number => {
    const x = v[key] ?? fallback
    if (typeof x === 'number' && Number.isFinite(x) && x > 0) return x
    throw new ModelConfigError(source, field, `${field}.${key} in ${source} must be a positive number, got ${describe(x)}`)
  }
  if (kind === 'default') return null
  if (kind === 'linear') return { kind, factor: num('factor') }
  if (kind === 'llama3') {
    return {
      kind,
      factor: num('factor'),
      lowFreqFactor: num('low_freq_factor'),
      highFreqFactor: num('high_freq_factor'),
      originalMaxPositions: num('original_max_position_embeddings', nPositions)
    }
  }
  throw new ModelConfigError(source, field, `rope_scaling kind ${describe(kind)} in ${source} is not supported (supported: linear, llama3)`)
}
