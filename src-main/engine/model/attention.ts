// Causal multi-head self-attention on plain Float32Arrays, with its own gradient.
// Why JS: on tfjs-backend-wasm the head split/merge transposes (rank 4/5) and batched matMuls are 10–40× slower
// than a plain rank-2 matMul (feasibility.md, world-feasibility.md), while the attention FLOPs themselves are
// tiny at our sequence lengths (T ≤ 64). The projections around it stay plain rank-2 matMuls in tf.
// Right padding needs no key mask: with a causal mask, a real token at t < len only sees positions ≤ t < len.
// Pad positions produce values that are never read.
import * as tf from '@tensorflow/tfjs'

interface Shape {
  B: number
  T: number
  nHead: number
  D: number
}

/** Forward. qkv [B·T, 3D] (q | k | v, heads contiguous inside each) → out [B·T, D], probs [B, nH, T, T]. */
function attendForward(qkv: Float32Array, s: Shape): { out: Float32Array; probs: Float32Array } {
  const { B, T, nHead, D } = s
  const hd = D / nHead
  const scale = 1 / Math.sqrt(hd)
  const out = new Float32Array(B * T * D)
  const probs = new Float32Array(B * nHead * T * T)
  const row = new Float32Array(T)
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nHead; h++) {
      const pBase = (b * nHead + h) * T * T
      for (let i = 0; i < T; i++) {
        const qOff = (b * T + i) * 3 * D + h * hd
        let max = -Infinity
        for (let j = 0; j <= i; j++) {
          const kOff = (b * T + j) * 3 * D + D + h * hd
          let dot = 0
          for (let c = 0; c < hd; c++) dot += qkv[qOff + c] * qkv[kOff + c]
          row[j] = dot * scale
          if (row[j] > max) max = row[j]
        }
        let sum = 0
        for (let j = 0; j <= i; j++) {
          row[j] = Math.exp(row[j] - max)
          sum += row[j]
        }
        const oOff = (b * T + i) * D + h * hd
        for (let j = 0; j <= i; j++) {
          const p = row[j] / sum
          probs[pBase + i * T + j] = p
          const vOff = (b * T + j) * 3 * D + 2 * D + h * hd
          for (let c = 0; c < hd; c++) out[oOff + c] += p * qkv[vOff + c]
        }
      }
    }
  }
  return { out, probs }
}

/** Backward. dOut [B·T, D] → dQKV [B·T, 3D], using the saved probabilities P. */
function attendBackward(qkv: Float32Array, probs: Float32Array, dOut: Float32Array, s: Shape): Float32Array {
  const { B, T, nHead, D } = s
  const hd = D / nHead
  const scale = 1 / Math.sqrt(hd)
  const d = new Float32Array(B * T * 3 * D)
  const dp = new Float32Array(T)
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nHead; h++) {
      const pBase = (b * nHead + h) * T * T
      for (let i = 0; i < T; i++) {
        const qOff = (b * T + i) * 3 * D + h * hd
        const oOff = (b * T + i) * D + h * hd
        // dP_ij = dO_i · V_j ;  dV_j += P_ij dO_i
        let dot = 0
        for (let j = 0; j <= i; j++) {
          const vOff = (b * T + j) * 3 * D + 2 * D + h * hd
          const p = probs[pBase + i * T + j]
          let acc = 0
          for (let c = 0; c < hd; c++) {
            acc += dOut[oOff + c] * qkv[vOff + c]
            d[vOff + c] += p * dOut[oOff + c]
          }
          dp[j] = acc
          dot += p * acc
        }
        // dS_ij = P_ij (dP_ij − Σ_j P dP) ;  dQ_i += scale dS_ij K_j ;  dK_j += scale dS_ij Q_i
        for (let j = 0; j <= i; j++) {
          const ds = probs[pBase + i * T + j] * (dp[j] - dot) * scale
          if (ds === 0) continue
          const kOff = (b * T + j) * 3 * D + D + h * hd
          for (let c = 0; c < hd; c++) {
            d[qOff + c] += ds * qkv[kOff + c]
            d[kOff + c] += ds * qkv[qOff + c]
          }
        }
      }
    }
  }
  return d
}

/** qkv [B·T, 3D] → [B·T, D]. Reads qkv once (dataSync: a memory copy on wasm/cpu). */
export function causalAttention(qkv: tf.Tensor2D, B: number, T: number, nHead: number): tf.Tensor2D {
  const D = qkv.shape[1] / 3
  const shape: Shape = { B, T, nHead, D }
  const f = tf.customGrad((qkvIn) => {
    const data = (qkvIn as tf.Tensor).dataSync() as Float32Array
    const { out, probs } = attendForward(data, shape)
    return {
      value: tf.tensor2d(out, [B * T, D]),
      gradFunc: (dy) => tf.tensor2d(attendBackward(data, probs, dy.dataSync() as Float32Array, shape), [B * T, 3 * D])
    }
  })
  return f(qkv) as tf.Tensor2D
}
