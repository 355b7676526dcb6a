// The LLaMA family (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama; HF `LlamaForCausalLM` layout) on TensorFlow.js.
// Pre-norm blocks: x += o_proj(attn(rope(q), rope(k), v)) on RMSNorm(x); x += down_proj(silu(gate_proj(h)) ·
// up_proj(h)), h = RMSNorm(x); no position embedding (RoPE inside attention); final RMSNorm; LM head tied to the
// token embedding or not. Activations are flattened to [N = B·T, D] so every product is a plain rank-2 matMul.
// Linear weights are stored [in, out] (transposed from HF's [out, in] at load) so that y = x·W, as in GPT-2.
//
// The target module the editing methods hook (model.ts) is one of the MLP's three linears, chosen at load:
//   mlp.down_proj (default; input = silu(gate)·up [N, F], output [N, D]), mlp.up_proj or mlp.gate_proj
//   (input = the post-attention RMSNorm output [N, D], output [N, F]; gate_proj's before the SiLU).
import * as tf from '@tensorflow/tfjs'
import type { RunOptions, TokenBatch } from './gpt2'
import type { LlamaConfig } from './llama-config'
import { rmsNorm, silu } from './llama-ops'
import { logitsAt, runBlockRange, type LanguageModel, type TargetModule } from './model'
import { gatherRows, linear, pickRows, TransposeCache, type Weight } from './ops'
import { ropeAttention } from './rope-attention'
import type { LlamaTarget } from './targets'
import { inverseFrequencies, ropeTables } from './rope'

export interface LlamaBlockWeights {
  inNorm: Weight // [D]
  qkvW: Weight // [D, (nH + 2·nKV)·hd]: q_proj | k_proj | v_proj side by side, one matMul
  qkvB: Weight | null // [(nH + 2·nKV)·hd] (Qwen2)
  oW: Weight // [nH·hd, D]
  oB: Weight | null // [D]
  postNorm: Weight // [D]
  gateW: Weight // [D, F]
  upW: Weight // [D, F]
  downW: Weight // [F, D]
}

export interface LlamaWeights {
  embed: Weight // [V, D]
  norm: Weight // [D]
  blocks: LlamaBlockWeights[]
  /** Untied LM head [V, D] (HF layout); absent when tied to embed. */
  lmHead?: Weight
}

export function llamaTarget(c: LlamaConfig, name: LlamaTarget): TargetModule {
  return name === 'mlp.down_proj' ? { name, inDim: c.nInner, outDim: c.nEmbd } : { name, inDim: c.nEmbd, outDim: c.nInner }
}

export class Llama implements LanguageModel {
  readonly transposes = new TransposeCache()
  readonly target: TargetModule
  private readonly invFreq: Float64Array
  private tables: { T: number; cos: Float32Array; sin: Float32Array } | null = null

  constructor(
    readonly config: LlamaConfig,
    readonly weights: LlamaWeights,
    targetName: LlamaTarget = 'mlp.down_proj'
  ) {
    this.target = llamaTarget(config, targetName)
    this.invFreq = inverseFrequencies(config.headDim, config.ropeTheta, config.ropeScaling)
  }

  get nLayer(): number {
    return this.config.nLayer
  }

  embed(batch: TokenBatch): tf.Tensor2D {
    const c = this.config
    if (c.slidingWindow !== null && batch.T > c.slidingWindow) {
      throw new Error(
        `sequence of ${batch.T} tokens is longer than ${c.modelType}'s sliding window of ${c.slidingWindow} tokens, which this engine does not implement; shorten the prompt`
      )
    }
    if (batch.T > c.nPositions) {
      throw new Error(`sequence of ${batch.T} tokens exceeds the model's max_position_embeddings ${c.nPositions}`)
    }
    return gatherRows(this.weights.embed, batch.ids)
  }

  /** cos/sin for positions [0, T), kept for the longest T seen (prefixes of it serve shorter batches). */
  private rope(T: number): { cos: Float32Array; sin: Float32Array } {
    if (!this.tables || this.tables.T < T) this.tables = { T, ...ropeTables(T, this.invFreq) }
    const half = this.config.headDim / 2
    return { cos: this.tables.cos.subarray(0, T * half), sin: this.tables.sin.subarray(0, T * half) }
  }

  block(j: number, x: tf.Tensor2D, B: number, T: number, opts: RunOptions, captured: tf.Tensor2D[]): tf.Tensor2D {
    const w = this.weights.blocks[j]
    const c = this.config
    const tc = this.transposes.get
    const target = this.target.name
    const capture = (input: tf.Tensor2D): void => {
      if (opts.capture && opts.capture.layer === j) captured.push(pickRows(input, opts.capture.rows)) // [B, inDim]
    }
    // The hooks of the target module: add an adapter's output, then let a method replace the result.
    const hooked = (input: tf.Tensor2D, out: tf.Tensor2D): tf.Tensor2D => {
      const delta = opts.fcHook?.(j, input)
      const y = delta ? (tf.add(out, delta) as tf.Tensor2D) : out
      return opts.fcOutHook?.(j, input, y) ?? y
    }
    const h1 = rmsNorm(x, w.inNorm, c.rmsNormEps)
    const qkv = linear(h1, w.qkvW, w.qkvB, tc) // [B·T, (nH + 2·nKV)·hd]
    const att = ropeAttention(qkv, { B, T, nHead: c.nHead, nKvHead: c.nKvHead, headDim: c.headDim, ...this.rope(T) }) // [B·T, nH·hd]
    const x1 = tf.add(x, linear(att, w.oW, w.oB, tc)) as tf.Tensor2D
    const h2 = rmsNorm(x1, w.postNorm, c.rmsNormEps) // [B·T, D]
    if (target !== 'mlp.down_proj') capture(h2)
    let gate = linear(h2, w.gateW, null, tc) // [B·T, F]
    if (target === 'mlp.gate_proj') gate = hooked(h2, gate)
    let up = linear(h2, w.upW, null, tc) // [B·T, F]
    if (target === 'mlp.up_proj') up = hooked(h2, up)
    const act = tf.mul(silu(gate), up) as tf.Tensor2D // [B·T, F]: down_proj's input
    let mlp = linear(act, w.downW, null, tc) // [B·T, D]
    if (target === 'mlp.down_proj') {
      capture(act)
      mlp = hooked(act, mlp)
    }
    return tf.add(x1, mlp)
  }

  runBlocks(x: tf.Tensor2D, from: number, to: number, B: number, T: number, opts: RunOptions = {}): { hidden: tf.Tensor2D; captured: tf.Tensor2D | null } {
    return runBlockRange(this, x, from, to, B, T, opts)
  }

  head(hidden: tf.Tensor2D, rows: Int32Array): tf.Tensor2D {
    const w = this.weights
    const h = rmsNorm(pickRows(hidden, rows), w.norm, this.config.rmsNormEps) // [P, D]
    const table = w.lmHead ?? w.embed // [V, D]
    // logits = h · tableᵀ with the kept transpose [D, V] (a plain matMul); dX = dy · table needs none.
    return linear(h, this.transposes.get(table), null, () => table as tf.Tensor2D)
  }

  prepareBackward(from: number): void {
    for (let j = from; j < this.nLayer; j++) {
      const b = this.weights.blocks[j]
      for (const w of [b.qkvW, b.oW, b.gateW, b.upW, b.downW]) this.transposes.get(w)
    }
    this.transposes.get(this.weights.lmHead ?? this.weights.embed)
  }

  logits(batch: TokenBatch, rows: Int32Array, opts: RunOptions = {}): tf.Tensor2D {
    return logitsAt(this, batch, rows, opts)
  }

  dispose(): void {
    this.transposes.dispose()
    const w = this.weights
    const all: Array<Weight | null | undefined> = [w.embed, w.norm, w.lmHead]
    for (const b of w.blocks) all.push(...Object.values(b))
    for (const t of all) t?.dispose()
  }
}
