// The memory a model needs on a backend, stated before a byte of weights is read, so that a folder too big for the
// backend is refused with one line instead of dying mid-load (wasm aborts at its heap limit; the native backends
// take the machine into swap).
//
// Every backend here holds tensors as float32, whatever the checkpoint stores (F16/BF16 are widened at load):
//   weights     parameters × 4 bytes
//   packed      wasm only: XNNPACK keeps a packed copy of every matrix it multiplies (feasibility.md §2: RSS ≈ 2×
//               the weights), so the matrices count twice there
//   transposes  the kept transposes (ops.ts): the head's [D, V] always (every forward multiplies by it), and the
//               matrices of the edited blocks when training
//   training    activations the edited blocks save for backward, for a batch of rows × tokens, counted twice
//               (values and their gradients)
import { totalmem } from 'node:os'
import type { ModelConfig } from './model'

/** wasm32 addresses at most 4 GiB (feasibility.md §2). */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3
const FLOAT = 4

export interface ParamCounts {
  total: number
  /** Parameters of one block's matrices (what a kept transpose copies). */
  blockMatrices: number
  /** The LM head's table [V, D] (the embedding when tied). */
  head: number
  /** Matrices of the whole model (the embedding and an untied head included). */
  matrices: number
}

export function paramCounts(c: ModelConfig): ParamCounts {
  const D = c.nEmbd
  const F = c.nInner
  const V = c.vocabSize
  if (c.modelType === 'gpt2') {
    const blockMatrices = D * 3 * D + D * D + 2 * D * F
    const block = blockMatrices + 3 * D + D + F + D + 4 * D // biases of c_attn, c_proj, c_fc, mlp.c_proj; two LayerNorms
    const untied = c.tieWordEmbeddings ? 0 : V * D
    const total = V * D + c.nPositions * D + c.nLayer * block + 2 * D + untied
    return { total, blockMatrices, head: V * D, matrices: V * D + c.nPositions * D + untied + c.nLayer * blockMatrices }
  }
  const q = c.nHead * c.headDim
  const kv = c.nKvHead * c.headDim
  const blockMatrices = D * (q + 2 * kv) + q * D + 3 * D * F
  const block = blockMatrices + 2 * D + (c.qkvBias ? q + 2 * kv : 0) + (c.oBias ? D : 0)
  const untied = c.tieWordEmbeddings ? 0 : V * D
  return { total: V * D + untied + c.nLayer * block + D, blockMatrices, head: V * D, matrices: V * D + untied + c.nLayer * blockMatrices }
}

export interface MemoryNeed {
  /** Rows × tokens of a training batch; 0 for inference only. */
  trainTokens: number
  /** Blocks a method trains through (the edited blocks and those above them). */
  trainBlocks: number
}

export interface MemoryEstimate {
  bytes: number
  parts: { weights: number; packed: number; transposes: number; training: number }
  available: number
  /** What limits `available`: the wasm heap or the machine's memory. */
  limit: string
}

export function estimateMemory(c: ModelConfig, backend: string, need: MemoryNeed): MemoryEstimate {
  const p = paramCounts(c)
  const weights = p.total * FLOAT
  const packed = backend === 'wasm' ? p.matrices * FLOAT : 0
  const trains = need.trainTokens > 0 && need.trainBlocks > 0
  const transposes = ((trains ? need.trainBlocks * p.blockMatrices : 0) + p.head) * FLOAT
  // Per token and trained block: the widths each op saves (norm outputs, q/k/v, attention output, the MLP's
  // hidden widths) — about 4·D + 4·F floats — plus attention probabilities (heads × tokens per token).
  const T = Math.min(c.nPositions, 64)
  const perToken = 4 * c.nEmbd + 4 * c.nInner + c.nHead * T
  // Logits are taken at target rows only: about one row in eight of a batch's tokens.
  const logitRows = Math.ceil(need.trainTokens / 8)
  const training = trains ? 2 * (need.trainTokens * need.trainBlocks * perToken + logitRows * c.vocabSize) * FLOAT : 0
  const machine = totalmem()
  const wasm = backend === 'wasm' && WASM_HEAP_BYTES < machine
  return {
    bytes: weights + packed + transposes + training,
    parts: { weights, packed, transposes, training },
    available: wasm ? WASM_HEAP_BYTES : machine,
    limit: wasm ? 'the wasm32 heap limit' : "the machine's memory"
  }
}

export const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(2)} GiB`

/** One line: the model, the estimate and its parts, and what is available. */
export function describeShortfall(model: string, backend: string, e: MemoryEstimate): string {
  const { weights, packed, transposes, training } = e.parts
  const parts = [`weights ${gib(weights)}`]
  if (packed > 0) parts.push(`XNNPACK packed copies ${gib(packed)}`)
  if (transposes > 0) parts.push(`kept transposes ${gib(transposes)}`)
  if (training > 0) parts.push(`training ${gib(training)}`)
  return `${model} needs about ${gib(e.bytes)} on the ${backend} backend (${parts.join(', ')}), more than the ${gib(e.available)} available (${e.limit}); use a smaller model or another backend (ELDER_BACKEND=cpu|tensorflow)`
}
