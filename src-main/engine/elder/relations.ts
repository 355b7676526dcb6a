// The relation gate of the default scope decision (docs/elder-method.md, "The relation gate"): which relation an
// input asks about, told by a linear classifier fitted on the analyst's own stored edits — their prompts' frozen
// features and the relation each edit names — never on evaluation items.
//
// Why: under the subject and answer gates, the prompts the query radius must still keep out are other facts of an
// edited subject that the base model answers with the same entity (born in and living in one city), and the
// rephrases it lets through least are the other sentence form of an edit (a statement for a question edit). One
// vector at one block cannot do both (at 1,000 edits, 99% of unrelated prompts deferred leaves 95% of rephrases in
// scope). Edits of one relation come in every form, so a classifier fitted on them learns to ignore the form and
// keep the relation; an input whose relation it predicts may then be matched with that relation's edits at a wider
// radius, and edits of any other relation are not compared at all.
//
// Features: the frozen base model's residual stream at the last prompt token after the query block and after every
// block above it (at most 8, evenly spaced), each unit-normalised, and projected to at most 128 dimensions by a fixed
// seeded Gaussian matrix on wider models. Classifier: linear discriminant analysis with a pooled within-relation
// covariance shrunk towards a multiple of the identity (1% of its mean variance), equal priors. Fitted lazily, on the
// first decision after the stored edits changed: one F×F scatter (a matMul) and a Cholesky solve.
import * as tf from '@tensorflow/tfjs'
import { Prng } from '../prng'

const MAX_BLOCKS = 8
const MAX_WIDTH = 128
const SHRINK = 0.01

/** Which blocks' outputs (residual stream) the features read: the query block and those above it, at most 8. */
export function featureBlocks(queryBlock: number, nLayer: number): number[] {
  const all = Array.from({ length: nLayer - queryBlock }, (_, i) => queryBlock + i)
  if (all.length <= MAX_BLOCKS) return all
  return Array.from({ length: MAX_BLOCKS }, (_, i) => all[Math.round((i * (all.length - 1)) / (MAX_BLOCKS - 1))])
}

/** Turns per-block residual rows into one feature vector: each block unit-normalised, projected when wider than 128. */
export class FeatureMap {
  readonly width: number
  private readonly proj: Float32Array | null

  constructor(
    readonly blocks: number,
    readonly D: number,
    seed = 0
  ) {
    this.width = Math.min(D, MAX_WIDTH)
    if (D <= MAX_WIDTH) {
      this.proj = null
      return
    }
    // Gaussian entries (Box–Muller) scaled by 1/√width: distances are kept in expectation (Johnson–Lindenstrauss).
    const rng = new Prng(seed ^ 0x5eed)
    this.proj = new Float32Array(D * this.width)
    for (let i = 0; i < this.proj.length; i++) {
      const u = 1 - rng.next()
      this.proj[i] = (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())) / Math.sqrt(this.width)
    }
  }

  get size(): number {
    return this.blocks * this.width
  }

  /** rows: one [B·D] array per block (the residual stream at each input's last prompt token) → B feature vectors. */
  features(rows: readonly Float32Array[], B: number): Float32Array[] {
    const { D, width, proj } = this
    return Array.from({ length: B }, (_, b) => {
      const out = new Float32Array(this.size)
      rows.forEach((block, j) => {
        const x = block.subarray(b * D, (b + 1) * D)
        let n = 0
        for (let i = 0; i < D; i++) n += x[i] * x[i]
        const inv = 1 / (Math.sqrt(n) || 1)
        const o = j * width
        if (!proj) for (let i = 0; i < D; i++) out[o + i] = x[i] * inv
        else {
          for (let i = 0; i < D; i++) {
            const v = x[i] * inv
            if (v === 0) continue
            const p = i * width
            for (let k = 0; k < width; k++) out[o + k] += v * proj[p + k]
          }
        }
      })
      return out
    })
  }
}

/** A fitted classifier: one weight vector and bias per relation. */
export class RelationClassifier {
  private constructor(
    readonly relations: readonly string[],
    private readonly weights: Float64Array[],
    private readonly bias: Float64Array
  ) {}

  /**
   * Fits LDA on labelled feature rows. Returns null when fewer than two relations are present: one relation
   * cannot tell "another relation" from its own, so the gate stays off.
   */
  static fit(rows: ReadonlyArray<{ features: Float32Array; relation: string }>): RelationClassifier | null {
    const relations = [...new Set(rows.map((r) => r.relation))].sort()
    if (relations.length < 2) return null
    const F = rows[0].features.length
    const C = relations.length
    const index = new Map(relations.map((r, i) => [r, i]))
    const means = relations.map(() => new Float64Array(F))
    const counts = new Array<number>(C).fill(0)
    for (const r of rows) {
      const c = index.get(r.relation) as number
      counts[c]++
      for (let d = 0; d < F; d++) means[c][d] += r.features[d]
    }
    means.forEach((m, c) => m.forEach((_, d) => (m[d] /= counts[c])))
    const centred = new Float32Array(rows.length * F)
    rows.forEach((r, i) => {
      const m = means[index.get(r.relation) as number]
      for (let d = 0; d < F; d++) centred[i * F + d] = r.features[d] - m[d]
    })
    const scatter = tf.tidy(() => {
      const x = tf.tensor2d(centred, [rows.length, F])
      return tf.matMul(x, x, true, false).dataSync() as Float32Array
    })
    const S = Float64Array.from(scatter, (v) => v / rows.length)
    let trace = 0
    for (let d = 0; d < F; d++) trace += S[d * F + d]
    const ridge = (SHRINK * trace) / F || 1e-6
    for (let d = 0; d < F; d++) S[d * F + d] += ridge
    const chol = cholesky(S, F)
    const weights = means.map((m) => solve(chol, F, m))
    const bias = Float64Array.from(weights, (w, c) => -0.5 * dot(w, means[c]))
    return new RelationClassifier(relations, weights, bias)
  }

  /** The relation whose discriminant is highest for a feature vector. */
  predict(x: Float32Array): string {
    let best = -Infinity
    let arg = 0
    this.weights.forEach((w, c) => {
      const s = dot(w, x) + this.bias[c]
      if (s > best) {
        best = s
        arg = c
      }
    })
    return this.relations[arg]
  }
}

function dot(a: Float64Array, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

/** Lower-triangular L with S = L·Lᵀ (S symmetric positive definite, row-major n×n). */
function cholesky(S: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i * n + j]
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k]
      L[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * n + j]
    }
  }
  return L
}

/** x with L·Lᵀ·x = b. */
function solve(L: Float64Array, n: number, b: Float64Array): Float64Array {
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let s = b[i]
    for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k]
    y[i] = s / L[i * n + i]
  }
  const x = new Float64Array(n)
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k]
    x[i] = s / L[i * n + i]
  }
  return x
}
