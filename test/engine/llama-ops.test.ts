// The LLaMA-family ops' hand-written gradients (RoPE + GQA attention, RMSNorm, SiLU) against central differences of
// their own forward: a wrong sign, a missed rotation or a head mapped to the wrong key/value head fails here.
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { rmsNorm, silu } from '../../src-main/engine/model/llama-ops'
import { inverseFrequencies, ropeTables } from '../../src-main/engine/model/rope'
import { ropeAttention } from '../../src-main/engine/model/rope-attention'

/** The directional derivative of sum(f(x) · R) along d: analytic (through f's gradient) and by central differences. */
function directional(f: (x: tf.Tensor2D) => tf.Tensor2D, shape: [number, number], seed: number): { analytic: number; numeric: number } {
  return tf.tidy(() => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor2D
    const d = tf.randomNormal(shape, 0, 1, 'float32', seed + 1) as tf.Tensor2D
    const probe = f(x)
    const R = tf.randomNormal(probe.shape, 0, 1, 'float32', seed + 2)
    const loss = (xi: tf.Tensor): tf.Scalar => tf.sum(tf.mul(f(xi as tf.Tensor2D), R))
    const g = tf.grad(loss)(x)
    const eps = 1e-2
    const plus = loss(tf.add(x, tf.mul(d, eps))).dataSync()[0]
    const minus = loss(tf.sub(x, tf.mul(d, eps))).dataSync()[0]
    return { analytic: tf.sum(tf.mul(g, d)).dataSync()[0], numeric: (plus - minus) / (2 * eps) }
  })
}

describe('LLaMA-family op gradients (cpu)', () => {
  it('RoPE + grouped-query attention (4 query heads over 2 key/value heads, llama3 scaling, 2 sequences)', async () => {
    await initBackend('cpu')
    const B = 2
    const T = 5
    const hd = 8
    const inv = inverseFrequencies(hd, 10000, { kind: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8 })
    const shape = { B, T, nHead: 4, nKvHead: 2, headDim: hd, ...ropeTables(T, inv) }
    const { analytic, numeric } = directional((x) => ropeAttention(x, shape), [B * T, (4 + 2 * 2) * hd], 3)
    expect(Math.abs(analytic - numeric)).toBeLessThan(1e-3 * Math.max(1, Math.abs(numeric)))
  })

  it('RMSNorm and SiLU', async () => {
    await initBackend('cpu')
    const g = tf.randomNormal([6], 1, 0.3, 'float32', 9)
    for (const f of [(x: tf.Tensor2D) => rmsNorm(x, g, 1e-5), silu]) {
      const { analytic, numeric } = directional(f, [4, 6], 5)
      expect(Math.abs(analytic - numeric)).toBeLessThan(1e-3 * Math.max(1, Math.abs(numeric)))
    }
    g.dispose()
  })
})
