// Rotary position embeddings as Hugging Face computes them (modeling_rope_utils.py, LlamaRotaryEmbedding):
// inv_freq_i = θ^(−2i/d) for i < d/2, adjusted by rope_scaling; angle(t, i) = t · inv_freq_i; and the
// *half-rotation* convention: the pairs rotated together are (x_i, x_{i+d/2}), not adjacent elements.
import type { RopeScaling } from './llama-config'

export function inverseFrequencies(headDim: number, theta: number, scaling: RopeScaling | null): Float64Array {
  const half = headDim / 2
  const inv = Float64Array.from({ length: half }, (_, i) => 1 / Math.pow(theta, (2 * i) / headDim))
  if (!scaling) return inv
  if (scaling.kind === 'linear') return inv.map((f) => f / scaling.factor)
  // llama3 (_compute_llama3_parameters): long wavelengths slowed by `factor`, short ones kept, a smooth blend between.
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = scaling
  const lowFreqWavelen = originalMaxPositions / lowFreqFactor
  const highFreqWavelen = originalMaxPositions / highFreqFactor
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f
    if (wavelen < highFreqWavelen) return f
    if (wavelen > lowFreqWavelen) return f / factor
    const smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor)
    return (1 - smooth) * (f / factor) + smooth * f
  })
}

/** cos and sin tables [T, d/2] for positions 0..T−1 (row-major). */
export function ropeTables(T: number, inv: Float64Array): { cos: Float32Array; sin: Float32Array } {
  const half = inv.length
  const cos = new Float32Array(T * half)
  const sin = new Float32Array(T * half)
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      // HF computes the angle in float32; rounding it the same way keeps long positions bit-close.
      const a = Math.fround(Math.fround(t) * Math.fround(inv[i]))
      cos[t * half + i] = Math.cos(a)
      sin[t * half + i] = Math.sin(a)
    }
  }
  return { cos, sin }
}
