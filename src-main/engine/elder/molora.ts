// Mixture-of-LoRA on the model's target module (model.ts: mlp.c_fc on GPT-2, mlp.down_proj by default on the LLaMA
// family) of L blocks, with one router per layer (elder-spec.md §1, §9).
//   y = W₀x + b + scale · Σᵢ wᵢ (x Aᵢ) Bᵢ,   wᵢ = softmax(q W_r + b_r)ᵢ for the top-k experts (not renormalised), else 0
// The N experts of a layer are stored side by side — A [D, N·r], B [N·r, F] — so the dense mixture is two plain
// rank-2 matMuls (fast on wasm) with the per-sequence weights broadcast over each expert's r columns.
// All L routers are one [D, L·N] matrix: they score the same shared query q.
import * as tf from '@tensorflow/tfjs'
import { matmul2, pickRows } from '../model/ops'

export interface MoLoraShape {
  L: number
  N: number
  r: number
  D: number // target module's input width (c_fc: d; down_proj: intermediate_size)
  F: number // target module's output width
}

export class MoLora {
  readonly A: Array<tf.Variable<tf.Rank.R2>> // per layer [D, N·r]
  readonly B: Array<tf.Variable<tf.Rank.R2>> // per layer [N·r, F]
  readonly routerW: tf.Variable<tf.Rank.R2> // [D, L·N]
  readonly routerB: tf.Variable<tf.Rank.R1> // [L·N]
  /** [N, N·r] 0/1: row i has ones on expert i's r columns. Turns per-expert weights into per-column weights. */
  private readonly expand: tf.Tensor2D

  constructor(
    readonly shape: MoLoraShape,
    readonly scale: number,
    seed: number
  ) {
    const { L, N, r, D, F } = shape
    // A ~ U(±1/√r): Kaiming-uniform(a=√5) on PEFT's [in, r] tensor takes fan_in = r (§1); B = 0 so a fresh
    // adapter changes nothing. Router: PyTorch Linear default U(±1/√in) for weight and bias.
    const aBound = 1 / Math.sqrt(r)
    const rBound = 1 / Math.sqrt(D)
    this.A = Array.from({ length: L }, (_, l) =>
      tf.tidy(() => tf.variable(tf.randomUniform([D, N * r], -aBound, aBound, 'float32', seed * 1000 + l)))
    )
    this.B = Array.from({ length: L }, () => tf.tidy(() => tf.variable(tf.zeros([N * r, F]) as tf.Tensor2D)))
    this.routerW = tf.tidy(() => tf.variable(tf.randomUniform([D, L * N], -rBound, rBound, 'float32', seed * 1000 + 500)))
    this.routerB = tf.tidy(() => tf.variable(tf.randomUniform([L * N], -rBound, rBound, 'float32', seed * 1000 + 501)))
    const e = new Float32Array(N * N * r)
    for (let i = 0; i < N; i++) for (let c = 0; c < r; c++) e[i * N * r + i * r + c] = 1
    this.expand = tf.tensor2d(e, [N, N * r])
  }

  variables(): tf.Variable[] {
    return [...this.A, ...this.B, this.routerW, this.routerB]
  }

  /** Softmax scores of every router on the queries q [B, D] → [B, L·N] (layer-major). */
  routerProbs(q: tf.Tensor2D): tf.Tensor2D {
    const { L, N } = this.shape
    const B = q.shape[0]
    const logits = tf.add(matmul2(q, this.routerW), this.routerB) // [B, L·N]
    return tf.softmax(logits.reshape([B * L, N])).reshape([B, L * N]) as tf.Tensor2D
  }

  /**
   * Adapter output of layer l for x [B·T, D] (c_fc's input), given per-sequence mixing weights w [B, L·N]
   * (zero outside each row's top-k and for deferred rows).
   */
  delta(l: number, x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
    const { N } = this.shape
    const B = w.shape[0]
    const T = x.shape[0] / B
    const wl = tf.slice(w, [0, l * N], [B, N]) as tf.Tensor2D // [B, N]
    const rowOf = Int32Array.from({ length: B * T }, (_, i) => Math.floor(i / T))
    const wCols = pickRows(matmul2(wl, this.expand), rowOf) // [B·T, N·r]
    const h = tf.mul(matmul2(x, this.A[l]), wCols) as tf.Tensor2D // [B·T, N·r]
    return tf.mul(matmul2(h, this.B[l]), this.scale) as tf.Tensor2D // [B·T, F]
  }

  /** A copy of every weight, to restore after a cancelled batch. Caller owns the tensors. */
  snapshot(): tf.Tensor[] {
    return this.variables().map((v) => tf.clone(v))
  }

  restore(saved: tf.Tensor[]): void {
    this.variables().forEach((v, i) => v.assign(saved[i]))
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose()
    this.expand.dispose()
  }
}
