// The LLaMA family's two extra ops, with plain-matMul-free custom gradients in the style of ops.ts.
import * as tf from '@tensorflow/tfjs'
import type { Weight } from './ops'

/**
 * RMSNorm (Zhang & Sennrich 2019; HF LlamaRMSNorm): x · rsqrt(mean(x²) + eps) · g over the last axis of x [N, D].
 * The gain is frozen here: no method trains a norm.
 */
export function rmsNorm(x: tf.Tensor2D, g: Weight, eps: number): tf.Tensor2D {
  const f = tf.customGrad((xIn, save) => {
    const xi = xIn as tf.Tensor2D
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xi), 1, true), eps)) as tf.Tensor2D // [N, 1]
    const xhat = tf.mul(xi, rstd) as tf.Tensor2D
    ;(save as tf.GradSaveFunc)([xhat, rstd])
    return {
      value: tf.mul(xhat, g),
      // u = dy·g;  dx = rstd · (u − xhat · mean(u · xhat))
      gradFunc: (dy, [xh, rs]) => {
        const u = tf.mul(dy, g)
        return tf.mul(rs, tf.sub(u, tf.mul(xh, tf.mean(tf.mul(u, xh), 1, true))))
      }
    }
  })
  return f(x) as tf.Tensor2D
}

/** SwiGLU's gate activation SiLU(x) = x·σ(x), with d/dx = σ(1 + x(1 − σ)). */
export function silu(x: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad((xIn, save) => {
    const xi = xIn as tf.Tensor2D
    const s = tf.sigmoid(xi)
    ;(save as tf.GradSaveFunc)([xi, s])
    return {
      value: tf.mul(xi, s),
      gradFunc: (dy, [xs, ss]) => tf.mul(dy, tf.mul(ss, tf.add(1, tf.mul(xs, tf.sub(1, ss)))))
    }
  })
  return f(x) as tf.Tensor2D
}
