// Causal grouped-query self-attention with rotary position embeddings, on plain Float32Arrays with its own
// gradient — the LLaMA family's counterpart of attention.ts, for the same reason (on tfjs-backend-wasm only a
// plain rank-2 matMul is fast; the per-head products are tiny at our sequence lengths).
// Query head h reads key/value head ⌊h / (nHead / nKvHead)⌋ (GQA). RoPE is applied to q and k here, in HF's
// half-rotation convention (rope.ts); its backward pass is the inverse rotation of the gradient.
// Right padding needs no key mask: with a causal mask a real token only sees earlier (real) positions, and
// position t of every sequence is its t-th token.
import * as tf from '@tensorflow/tfjs'

export interface RopeAttentionShape {
  B: number
  T: number
  nHead: number
  nKvHead: number
  headDim: number
  /** [T, headDim/2] tables from rope.ts. */
  cos: Float32Array
  sin: Float32Array
}

/** Rotates the heads of `src` (rows of `width` floats, heads of hd from column `col0`) in place; sign −1 inverts. */
function rotate(x: Float32Array, s: RopeAttentionShape, width: number, col0: number, heads: number, sign: 1 | -1): void {
  const { B, T, headDim: hd, cos, sin } = s
  const half = hd / 2
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * width + col0
      const tab = t * half
      for (let h = 0; h < heads; h++) {
        const o = row + h * hd
        for (let i = 0; i < half; i++) {
          const c = cos[tab + i]
          const sn = sign * sin[tab + i]
          const a = x[o + i]
          const z = x[o + i + half]
          // [a, z] → [a·cos − z·sin, z·cos + a·sin]
          x[o + i] = a * c - z * sn
          x[o + i + half] = z * c + a * sn
        }
      }
    }
  }
}

function forward(qkv: Float32Array, s: RopeAttentionShape): { rot: Float32Array; out: Float32Array; probs: Float32Array } {
  const { B, T, nHead, nKvHead, headDim: hd } = s
  const W = (nHead + 2 * nKvHead) * hd // row width of qkv
  const kCol = nHead * hd
  const vCol = kCol + nKvHead * hd
  const group = nHead / nKvHead
  const scale = 1 / Math.sqrt(hd)
  const rot = Float32Array.from(qkv) // q and k rotated; v as is
  rotate(rot, s, W, 0, nHead, 1)
  rotate(rot, s, W, kCol, nKvHead, 1)
  const Dq = nHead * hd
  const out = new Float32Array(B * T * Dq)
  const probs = new Float32Array(B * nHead * T * T)
  const row = new Float32Array(T)
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nHead; h++) {
      const g = Math.floor(h / group)
      const pBase = (b * nHead + h) * T * T
      for (let i = 0; i < T; i++) {
        const qOff = (b * T + i) * W + h * hd
        let max = -Infinity
        for (let j = 0; j <= i; j++) {
          const kOff = (b * T + j) * W + kCol + g * hd
          let dot = 0
          for (let c = 0; c < hd; c++) dot += rot[qOff + c] * rot[kOff + c]
          row[j] = dot * scale
          if (row[j] > max) max = row[j]
        }
        let sum = 0
        for (let j = 0; j <= i; j++) {
          row[j] = Math.exp(row[j] - max)
          sum += row[j]
        }
        const oOff = (b * T + i) * Dq + h * hd
        for (let j = 0; j <= i; j++) {
          const p = row[j] / sum
          probs[pBase + i * T + j] = p
          const vOff = (b * T + j) * W + vCol + g * hd
          for (let c = 0; c < hd; c++) out[oOff + c] += p * rot[vOff + c]
        }
      }
    }
  }
  return { rot, out, probs }
}

/** dOut [B·T, nHead·hd] → dQKV [B·T, (nHead + 2·nKvHead)·hd] with respect to the unrotated qkv. */
function backward(rot: Float32Array, probs: Float32Array, dOut: Float32Array, s: RopeAttentionShape): Float32Array {
  const { B, T, nHead, nKvHead, headDim: hd } = s
  const W = (nHead + 2 * nKvHead) * hd
  const kCol = nHead * hd
  const vCol = kCol + nKvHead * hd
  const group = nHead / nKvHead
  const scale = 1 / Math.sqrt(hd)
  const Dq = nHead * hd
  const d = new Float32Array(B * T * W)
  const dp = new Float32Array(T)
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nHead; h++) {
      const g = Math.floor(h / group)
      const pBase = (b * nHead + h) * T * T
      for (let i = 0; i < T; i++) {
        const qOff = (b * T + i) * W + h * hd
        const oOff = (b * T + i) * Dq + h * hd
        // dP_ij = dO_i · V_j ;  dV_j += P_ij dO_i (summed over the query heads sharing V)
        let dot = 0
        for (let j = 0; j <= i; j++) {
          const vOff = (b * T + j) * W + vCol + g * hd
          const p = probs[pBase + i * T + j]
          let acc = 0
          for (let c = 0; c < hd; c++) {
            acc += dOut[oOff + c] * rot[vOff + c]
            d[vOff + c] += p * dOut[oOff + c]
          }
          dp[j] = acc
          dot += p * acc
        }
        // dS_ij = P_ij (dP_ij − Σ_j P dP) ;  dQ_i += scale dS_ij K_j ;  dK_j += scale dS_ij Q_i  (rotated frame)
        for (let j = 0; j <= i; j++) {
          const ds = probs[pBase + i * T + j] * (dp[j] - dot) * scale
          if (ds === 0) continue
          const kOff = (b * T + j) * W + kCol + g * hd
          for (let c = 0; c < hd; c++) {
            d[qOff + c] += ds * rot[kOff + c]
            d[kOff + c] += ds * rot[qOff + c]
          }
        }
      }
    }
  }
  // Back from the rotated frame: the transpose of a rotation is the rotation by the opposite angle.
  rotate(d, s, W, 0, nHead, -1)
  rotate(d, s, W, kCol, nKvHead, -1)
  return d
}

/** qkv [B·T, (nHead + 2·nKvHead)·hd] (q | k | v, heads contiguous in each) → [B·T, nHead·hd]. */
export function ropeAttention(qkv: tf.Tensor2D, s: RopeAttentionShape): tf.Tensor2D {
  const { B, T, nHead, nKvHead, headDim: hd } = s
  const W = (nHead + 2 * nKvHead) * hd
  if (qkv.shape[0] !== B * T || qkv.shape[1] !== W) {
    throw new Error(`ropeAttention: qkv has shape [${qkv.shape}], expected [${B * T}, ${W}]`)
  }
  const f = tf.customGrad((qkvIn) => {
    const data = (qkvIn as tf.Tensor).dataSync() as Float32Array
    const { rot, out, probs } = forward(data, s)
    return {
      value: tf.tensor2d(out, [B * T, nHead * hd]),
      gradFunc: (dy) => tf.tensor2d(backward(rot, probs, dy.dataSync() as Float32Array, s), [B * T, W])
    }
  })
  return f(qkv) as tf.Tensor2D
}
