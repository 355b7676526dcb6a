// GPT-2 (Radford et al. 2019; Hugging Face `GPT2LMHeadModel` layout) on TensorFlow.js.
// Pre-LN blocks: x += attn(ln_1(x)); x += mlp(ln_2(x)), mlp = c_proj(act(c_fc(·))); learned positions;
// LM head tied to wte unless the checkpoint has its own lm_head.weight.
// Activations are always flattened to [N = B·T, D] so that every product is a plain rank-2 matMul (ops.ts).
//
// Hooks for the editing methods:
//   (a) `capture`: read the input of block j's mlp.c_fc (the ln_2 output) at one flat row per sequence;
//   (b) `fcHook`: add an adapter's output to block j's c_fc output (the hook closes over its own per-row query
//       and on/off mask);
//   (c) `fcOutHook`: replace block j's c_fc output (after any fcHook) — a method that swaps a layer's output for
//       a stored value (GRACE) rather than adding to it;
//   (d) `runBlocks(x, from, to)`: run any range of blocks, so blocks [0, j) can run once without gradients
//       (prefix cache) and training resumes from block j.
import * as tf from '@tensorflow/tfjs'
import type { Gpt2Config } from './config'
import { activation, gatherRows, layerNorm, linear, matmul2, pickRows, TransposeCache, type Weight } from './ops'
import { causalAttention } from './attention'
import { logitsAt, runBlockRange, type LanguageModel, type TargetModule } from './model'

export interface BlockWeights {
  ln1g: Weight // [D]
  ln1b: Weight // [D]
  attnW: Weight // [D, 3D]
  attnB: Weight // [3D]
  projW: Weight // [D, D]
  projB: Weight // [D]
  ln2g: Weight // [D]
  ln2b: Weight // [D]
  fcW: Weight // [D, F]
  fcB: Weight // [F]
  fcProjW: Weight // [F, D]
  fcProjB: Weight // [D]
}

export interface Gpt2Weights {
  wte: Weight // [V, D]
  wpe: Weight // [P, D]
  lnfg: Weight // [D]
  lnfb: Weight // [D]
  blocks: BlockWeights[]
  /** Untied LM head [V, D]; absent when tied to wte. */
  lmHead?: Weight
}

/** Right-padded token batch, flattened row-major: ids[b·T + t]. */
export interface TokenBatch {
  ids: Int32Array // [B·T]
  B: number
  T: number
  lengths: number[] // real tokens per row
}

/** Adds an adapter's output to c_fc's output of `layer`; x is c_fc's input [B·T, D]. Return null for no change. */
export type FcHook = (layer: number, x: tf.Tensor2D) => tf.Tensor2D | null

/** Replaces c_fc's output `out` [B·T, F] of `layer`, given its input x [B·T, D]. Return null for no change. */
export type FcOutHook = (layer: number, x: tf.Tensor2D, out: tf.Tensor2D) => tf.Tensor2D | null

export interface RunOptions {
  fcHook?: FcHook
  fcOutHook?: FcOutHook
  /** Capture c_fc's input of block `layer` at flat rows `rows` (one per sequence) → result.captured [B, D]. */
  capture?: { layer: number; rows: Int32Array }
}

export function padBatch(rows: number[][], padId: number, minT = 1): TokenBatch {
  const B = rows.length
  const T = Math.max(minT, ...rows.map((r) => r.length))
  const ids = new Int32Array(B * T).fill(padId)
  rows.forEach((r, b) => ids.set(r, b * T))
  return { ids, B, T, lengths: rows.map((r) => r.length) }
}

export class Gpt2 implements LanguageModel {
  readonly transposes = new TransposeCache()
  readonly target: TargetModule

  constructor(
    readonly config: Gpt2Config,
    readonly weights: Gpt2Weights
  ) {
    this.target = { name: 'mlp.c_fc', inDim: config.nEmbd, outDim: config.nInner }
  }

  get nLayer(): number {
    return this.config.nLayer
  }

  /** Token + position embeddings: [B·T, D]. */
  embed(batch: TokenBatch): tf.Tensor2D {
    if (batch.T > this.config.nPositions) {
      throw new Error(`sequence of ${batch.T} tokens exceeds the model's n_positions ${this.config.nPositions}`)
    }
    const pos = new Int32Array(batch.B * batch.T)
    for (let i = 0; i < pos.length; i++) pos[i] = i % batch.T
    return tf.add(gatherRows(this.weights.wte, batch.ids), gatherRows(this.weights.wpe, pos))
  }

  /** One transformer block on x [B·T, D]. */
  block(j: number, x: tf.Tensor2D, B: number, T: number, opts: RunOptions, captured: tf.Tensor2D[]): tf.Tensor2D {
    const w = this.weights.blocks[j]
    const c = this.config
    const tc = this.transposes.get
    const h1 = layerNorm(x, w.ln1g, w.ln1b, c.layerNormEpsilon)
    const qkv = linear(h1, w.attnW, w.attnB, tc) // [B·T, 3D]
    const att = causalAttention(qkv, B, T, c.nHead) // [B·T, D]
    const x1 = tf.add(x, linear(att, w.projW, w.projB, tc)) as tf.Tensor2D
    const h2 = layerNorm(x1, w.ln2g, w.ln2b, c.layerNormEpsilon) // c_fc input
    if (opts.capture && opts.capture.layer === j) {
      captured.push(pickRows(h2, opts.capture.rows)) // [B, D]
    }
    let fc = linear(h2, w.fcW, w.fcB, tc) // [B·T, F]
    const delta = opts.fcHook?.(j, h2)
    if (delta) fc = tf.add(fc, delta)
    fc = opts.fcOutHook?.(j, h2, fc) ?? fc
    const mlp = linear(activation(fc, c.activation), w.fcProjW, w.fcProjB, tc) // [B·T, D]
    return tf.add(x1, mlp)
  }

  /** Blocks [from, to) on x [B·T, D]. Not wrapped in tidy: call inside one (or inside a gradient function). */
  runBlocks(x: tf.Tensor2D, from: number, to: number, B: number, T: number, opts: RunOptions = {}): { hidden: tf.Tensor2D; captured: tf.Tensor2D | null } {
    return runBlockRange(this, x, from, to, B, T, opts)
  }

  /** Final LayerNorm and LM head at flat rows only (the V-wide head dominates small-batch cost): [P, V]. */
  head(hidden: tf.Tensor2D, rows: Int32Array): tf.Tensor2D {
    const w = this.weights
    const picked = pickRows(hidden, rows) // [P, D]
    const h = layerNorm(picked, w.lnfg, w.lnfb, this.config.layerNormEpsilon)
    const table = (w.lmHead ?? w.wte) as tf.Tensor2D // [V, D]
    // Pretraining: the tied table is a variable and takes gradients through the transpose.
    if (table instanceof tf.Variable && table.trainable) return matmul2(h, tf.transpose(table))
    // Frozen: logits = h · tableᵀ with the kept transpose [D, V] (a plain matMul), and dX = dy · table needs none.
    return linear(h, this.transposes.get(table), null, () => table)
  }

  /**
   * Creates the kept transposes that backward passes through blocks [from, n) and the head will need, so that
   * the tensor count is flat from the first training step on (they live until dispose()).
   */
  prepareBackward(from: number): void {
    for (let j = from; j < this.nLayer; j++) {
      const b = this.weights.blocks[j]
      for (const w of [b.attnW, b.projW, b.fcW, b.fcProjW]) this.transposes.get(w)
    }
    this.transposes.get(this.weights.lmHead ?? this.weights.wte)
  }

  /** Logits [P, V] at flat rows of a batch, with optional hooks. Caller owns the result. */
  logits(batch: TokenBatch, rows: Int32Array, opts: RunOptions = {}): tf.Tensor2D {
    return logitsAt(this, batch, rows, opts)
  }

  dispose(): void {
    this.transposes.dispose()
    const w = this.weights
    const all: Weight[] = [w.wte, w.wpe, w.lnfg, w.lnfb, ...(w.lmHead ? [w.lmHead] : [])]
    for (const b of w.blocks) all.push(...Object.values(b))
    for (const t of all) t.dispose()
  }
}

/** Flat row of each sequence's last real token: b·T + len − 1. */
export function lastRows(batch: TokenBatch): Int32Array {
  return Int32Array.from(batch.lengths, (len, b) => b * batch.T + len - 1)
}

/**
 * Greedy continuation of each prompt until EOS or maxNewTokens. No KV cache: the prompts are short and the whole
 * forward is recomputed per step. `hooksFor(batch)` lets an editor route once on the prompt and keep that choice.
 */
export function generateGreedy(
  model: LanguageModel,
  prompts: number[][],
  maxNewTokens: number,
  eosId: number,
  opts: RunOptions = {}
): number[][] {
  const seqs = prompts.map((p) => [...p])
  const out: number[][] = prompts.map(() => [])
  const done = prompts.map(() => false)
  for (let step = 0; step < maxNewTokens && done.some((d) => !d); step++) {
    const batch = padBatch(seqs, eosId)
    const logits = model.logits(batch, lastRows(batch), opts)
    const next = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array)
    logits.dispose()
    seqs.forEach((s, b) => {
      if (done[b]) return
      const id = next[b]
      if (id === eosId || s.length >= model.config.nPositions) {
        done[b] = true
        return
      }
      s.push(id)
      out[b].push(id)
    })
  }
  return out
}
