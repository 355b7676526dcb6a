// The model interface every architecture implements (GPT-2: gpt2.ts; the LLaMA family: llama.ts). Editing methods,
// inference, the workspace and the CLI hold a `LanguageModel` and never an architecture's class.
//
// Every architecture exposes one *target module* per block: the linear layer the editing methods hook (`fcHook`
// adds to its output, `fcOutHook` replaces its output, `capture` reads its input). GPT-2's is mlp.c_fc; the LLaMA
// family's is chosen at load (mlp.down_proj by default, see llama.ts). The hook names keep GPT-2's "fc" because
// that is where they started; they mean "the target module" on every architecture.
import * as tf from '@tensorflow/tfjs'
import type { Gpt2Config } from './config'
import type { RunOptions, TokenBatch } from './gpt2'
import type { LlamaConfig } from './llama-config'

export type ModelConfig = Gpt2Config | LlamaConfig

export interface TargetModule {
  /** Hugging Face name inside a block, e.g. 'mlp.c_fc' or 'mlp.down_proj'. */
  name: string
  /** Width of the module's input: the hooks' x and the captured query are [rows, inDim]. */
  inDim: number
  /** Width of the module's output: what fcHook adds to and fcOutHook replaces, [rows, outDim]. */
  outDim: number
}

export interface LanguageModel {
  readonly config: ModelConfig
  readonly nLayer: number
  readonly target: TargetModule
  /** Token (and, for GPT-2, position) embeddings of a right-padded batch: [B·T, D]. */
  embed(batch: TokenBatch): tf.Tensor2D
  /** Blocks [from, to) on x [B·T, D]. Not wrapped in tidy: call inside one (or inside a gradient function). */
  runBlocks(
    x: tf.Tensor2D,
    from: number,
    to: number,
    B: number,
    T: number,
    opts?: RunOptions
  ): { hidden: tf.Tensor2D; captured: tf.Tensor2D | null }
  /** Final norm and LM head at flat rows only: [P, V]. */
  head(hidden: tf.Tensor2D, rows: Int32Array): tf.Tensor2D
  /** Creates the kept transposes that backward passes through blocks [from, n) and the head need. */
  prepareBackward(from: number): void
  /** Logits [P, V] at flat rows of a batch, with optional hooks. Caller owns the result. */
  logits(batch: TokenBatch, rows: Int32Array, opts?: RunOptions): tf.Tensor2D
  dispose(): void
}

/** What `runBlocks` needs of an architecture: its depth and one block. */
interface BlockStack {
  readonly nLayer: number
  block(j: number, x: tf.Tensor2D, B: number, T: number, opts: RunOptions, captured: tf.Tensor2D[]): tf.Tensor2D
}

/** `LanguageModel.runBlocks` for any architecture: blocks [from, to) on x [B·T, D], the first capture kept. */
export function runBlockRange(
  m: BlockStack, x: tf.Tensor2D, from: number, to: number, B: number, T: number, opts: RunOptions = {}
): { hidden: tf.Tensor2D; captured: tf.Tensor2D | null } {
  if (from < 0 || to > m.nLayer || from > to) throw new Error(`block range [${from}, ${to}) is outside [0, ${m.nLayer})`)
  const captured: tf.Tensor2D[] = []
  let h = x
  for (let j = from; j < to; j++) h = m.block(j, h, B, T, opts, captured)
  return { hidden: h, captured: captured[0] ?? null }
}

/** `LanguageModel.logits` for any architecture: the whole stack, then the head at flat rows [P, V]. Caller owns it. */
export function logitsAt(m: LanguageModel, batch: TokenBatch, rows: Int32Array, opts: RunOptions = {}): tf.Tensor2D {
  return tf.tidy(() => {
    const { hidden } = m.runBlocks(m.embed(batch), 0, m.nLayer, batch.B, batch.T, opts)
    return m.head(hidden, rows)
  })
}
