// Differentiable building blocks tuned for tfjs-backend-wasm.
// In tfjs-backend-wasm 4.22 only a plain rank-2 matMul (no transpose flags) takes the fast XNNPACK path; the
// built-in matMul gradient uses transposeA/transposeB and runs 10–40× slower (feasibility.md §2). Every op here
// therefore carries a custom gradient written with plain rank-2 matMuls, and frozen weights keep a
// pre-transposed copy so their backward pass costs one fast matMul.
import * as tf from '@tensorflow/tfjs'
import type { Gpt2Activation } from './config'

/** A weight: frozen tensors are closed over (no gradient work at all); trainable ones are tf.Variables. */
export type Weight = tf.Tensor

const isTrainable = (w: Weight): boolean => w instanceof tf.Variable && w.trainable

/** Lazily kept transposes of frozen 2-D weights; owned by the model that owns the weights. */
export class TransposeCache {
  private readonly cache = new Map<tf.Tensor, tf.Tensor2D>()

  readonly get = (w: tf.Tensor): tf.Tensor2D => {
    let t = this.cache.get(w)
    if (!t) {
      t = tf.keep(tf.tidy(() => tf.transpose(w as tf.Tensor2D)))
      this.cache.set(w, t)
    }
    return t
  }

  dispose(): void {
    for (const t of this.cache.values()) t.dispose()
    this.cache.clear()
  }
}

/** Column sums as a matMul: ones[1, N] · m → [cols]. `tf.sum(axis 0)` is one of wasm's slow spots. */
export function colSum(m: tf.Tensor2D): tf.Tensor1D {
  return tf.matMul(tf.ones([1, m.shape[0]]), m).reshape([m.shape[1]])
}

/** x [N, in] · W [in, out] + b [out] → [N, out], as in GPT-2's Conv1D (weights stored [in, out]). */
/** Gives the transpose of a frozen weight (normally `TransposeCache.get`). */
export type TransposeOf = (w: tf.Tensor) => tf.Tensor2D

export function linear(x: tf.Tensor2D, w: Weight, b: Weight | null, transposeOf: TransposeOf): tf.Tensor2D {
  if (!isTrainable(w)) {
    const f = tf.customGrad((xIn) => {
      const xi = xIn as tf.Tensor2D
      const y = tf.matMul(xi, w as tf.Tensor2D)
      return {
        value: b ? tf.add(y, b) : y,
        gradFunc: (dy) => tf.matMul(dy as tf.Tensor2D, transposeOf(w))
      }
    })
    return f(x) as tf.Tensor2D
  }
  if (!b) throw new Error('linear: a trainable weight needs a bias in this model')
  const f = tf.customGrad((xIn, wIn, bIn, save) => {
    const xi = xIn as tf.Tensor2D
    const wi = wIn as tf.Tensor2D
    ;(save as tf.GradSaveFunc)([xi])
    return {
      value: tf.add(tf.matMul(xi, wi), bIn as tf.Tensor),
      gradFunc: (dy, [xs]) => {
        const d = dy as tf.Tensor2D
        return [
          tf.matMul(d, tf.transpose(wi)), // dX [N, in]
          tf.matMul(tf.transpose(xs as tf.Tensor2D), d), // dW [in, out]
          colSum(d) // db [out]
        ]
      }
    }
  })
  return f(x, w, b) as tf.Tensor2D
}

/** Plain product of two activations a [N, K] · b [K, M] with plain-matMul gradients (LoRA and heads). */
export function matmul2(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((aIn, bIn, save) => {
    const ai = aIn as tf.Tensor2D
    const bi = bIn as tf.Tensor2D
    ;(save as tf.GradSaveFunc)([ai, bi])
    return {
      value: tf.matMul(ai, bi),
      gradFunc: (dy, [as, bs]) => {
        const d = dy as tf.Tensor2D
        return [tf.matMul(d, tf.transpose(bs as tf.Tensor2D)), tf.matMul(tf.transpose(as as tf.Tensor2D), d)]
      }
    }
  })
  return f(a, b) as tf.Tensor2D
}

/** LayerNorm over the last axis of x [N, D] with gain g and bias b [D]. */
export function layerNorm(x: tf.Tensor2D, g: Weight, b: Weight, eps: number): tf.Tensor2D {
  const trainable = isTrainable(g)
  const forward = (xi: tf.Tensor2D): { xhat: tf.Tensor2D; rstd: tf.Tensor2D } => {
    const mean = tf.mean(xi, 1, true) // [N, 1]
    const xc = tf.sub(xi, mean)
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), 1, true), eps)) as tf.Tensor2D // [N, 1]
    return { xhat: tf.mul(xc, rstd), rstd }
  }
  const backwardX = (dxhat: tf.Tensor2D, xhat: tf.Tensor2D, rstd: tf.Tensor2D): tf.Tensor2D =>
    // dx = rstd · (dxhat − mean(dxhat) − xhat · mean(dxhat · xhat))
    tf.mul(rstd, tf.sub(tf.sub(dxhat, tf.mean(dxhat, 1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), 1, true))))
  if (!trainable) {
    const f = tf.customGrad((xIn, save) => {
      const { xhat, rstd } = forward(xIn as tf.Tensor2D)
      ;(save as tf.GradSaveFunc)([xhat, rstd])
      return {
        value: tf.add(tf.mul(xhat, g), b),
        gradFunc: (dy, [xh, rs]) => backwardX(tf.mul(dy, g), xh as tf.Tensor2D, rs as tf.Tensor2D)
      }
    })
    return f(x) as tf.Tensor2D
  }
  const f = tf.customGrad((xIn, gIn, bIn, save) => {
    const { xhat, rstd } = forward(xIn as tf.Tensor2D)
    ;(save as tf.GradSaveFunc)([xhat, rstd])
    return {
      value: tf.add(tf.mul(xhat, gIn as tf.Tensor), bIn as tf.Tensor),
      gradFunc: (dy, [xh, rs]) => {
        const d = dy as tf.Tensor2D
        return [
          backwardX(tf.mul(d, gIn as tf.Tensor), xh as tf.Tensor2D, rs as tf.Tensor2D),
          colSum(tf.mul(d, xh as tf.Tensor2D)),
          colSum(d)
        ]
      }
    }
  })
  return f(x, g, b) as tf.Tensor2D
}

// tanh-GELU rewritten as x·σ(2√(2/π)(x + 0.044715x³)): identical math, and sigmoid is cheap on wasm where tanh and
// pow are slow (world-feasibility.md).
const GELU_A = 2 * Math.sqrt(2 / Math.PI)
const GELU_B = GELU_A * 0.044715

export function activation(x: tf.Tensor2D, kind: Gpt2Activation): tf.Tensor2D {
  if (kind === 'relu') return tf.relu(x)
  if (kind === 'gelu') {
    // Exact GELU with erf (HF "gelu"); the built-in gradients are fine here, the op is elementwise.
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))))
  }
  const f = tf.customGrad((xIn, save) => {
    const xi = xIn as tf.Tensor2D
    const x2 = tf.square(xi)
    const s = tf.sigmoid(tf.mul(xi, tf.add(GELU_A, tf.mul(x2, GELU_B))))
    ;(save as tf.GradSaveFunc)([xi, x2, s])
    return {
      value: tf.mul(xi, s),
      gradFunc: (dy, [xs, x2s, ss]) => {
        // d/dx x·σ(u) = σ + x·σ(1−σ)·u',  u' = A + 3B·x²
        const du = tf.add(GELU_A, tf.mul(x2s, 3 * GELU_B))
        const g = tf.add(ss, tf.mul(tf.mul(xs, tf.mul(ss, tf.sub(1, ss))), du))
        return tf.mul(dy, g)
      }
    }
  })
  return f(x) as tf.Tensor2D
}

/**
 * Rows idx of x [R, C] → [idx.length, C], differentiable with respect to x. The built-in gather gradient
 * (UnsortedSegmentSum) is not registered in tfjs-backend-wasm (world-feasibility.md), so the backward pass is a
 * scatter-add in JS.
 */
export function pickRows(x: tf.Tensor2D, idx: Int32Array): tf.Tensor2D {
  const [R, C] = x.shape
  const idxT = tf.tensor1d(idx, 'int32')
  const f = tf.customGrad((xIn) => ({
    value: tf.gather(xIn as tf.Tensor2D, idxT) as tf.Tensor2D,
    gradFunc: (dy) => {
      const g = new Float32Array(R * C)
      const d = dy.dataSync() as Float32Array
      for (let r = 0; r < idx.length; r++) {
        const src = r * C
        const dst = idx[r] * C
        for (let c = 0; c < C; c++) g[dst + c] += d[src + c]
      }
      return tf.tensor2d(g, [R, C])
    }
  }))
  return f(x) as tf.Tensor2D
}

/** Rows of an embedding table: a plain gather when frozen, differentiable when it is a trainable variable. */
export function gatherRows(table: Weight, idx: Int32Array): tf.Tensor2D {
  if (isTrainable(table)) return pickRows(table as tf.Tensor2D, idx)
  return tf.gather(table, tf.tensor1d(idx, 'int32')) as tf.Tensor2D
}
