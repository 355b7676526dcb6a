/**
 * ELDER allocation codes (elder-spec §3, §9).
 *
 * A code is the concatenation, in layer order, of each router's k-hot top-k
 * choice: L×N bits, bit index = layer*N + expert ("layer-major"), packed
 * little-end first into 32-bit words (bit i lives in word i>>>5 at position
 * i&31). With the defaults L=6, N=4, k=2 a code is 24 bits with 12 ones, so
 * one word; XOR + popcount gives the Hamming distance.
 * Bits past L*N in the last word ("padding") must be zero.
 */

/** Packed code: Uint32Array of length codeWords(L, N). */
export type Code = Uint32Array
/** Map key for a code: the word itself when the code fits one word, else a hex string. */
export type CodeKey = number | string

function checkDims(L: number, N: number): void {
  if (!Number.isInteger(L) || L < 1) throw new RangeError(`codes: L must be an integer >= 1, got ${L}`)
  if (!Number.isInteger(N) || N < 1) throw new RangeError(`codes: N must be an integer >= 1, got ${N}`)
}

function checkK(N: number, k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > N) throw new RangeError(`codes: k must be an integer in [1, N=${N}], got ${k}`)
}

/** Number of 32-bit words holding an L×N-bit code. */
export function codeWords(L: number, N: number): number {
  checkDims(L, N)
  return Math.ceil((L * N) / 32)
}

/** C(n, k) as a float (exact below 2^53). */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0
  let c = 1
  for (let i = 1; i <= Math.min(k, n - k); i++) c = (c * (n - i + 1)) / i
  return Math.round(c)
}

/** Number of distinct valid codes, C(N, k)^L (may be Infinity for huge spaces). */
export function codeSpaceSize(L: number, N: number, k: number): number {
  checkDims(L, N)
  checkK(N, k)
  return binomial(N, k) ** L
}

/** Throws unless `code` has the right length for (L, N) and zero padding bits. */
export function checkCodeShape(code: Uint32Array, L: number, N: number): void {
  const W = codeWords(L, N)
  if (!(code instanceof Uint32Array) || code.length !== W) {
    const got = code instanceof Uint32Array ? `Uint32Array(${code.length})` : typeof code
    throw new TypeError(`codes: expected Uint32Array(${W}) for L=${L}, N=${N}, got ${got}`)
  }
  const used = (L * N) & 31
  if (used !== 0 && code[W - 1] >>> used !== 0) {
    throw new RangeError(`codes: padding bits past bit ${L * N} are set (last word 0x${code[W - 1].toString(16)})`)
  }
}

/**
 * Packs per-layer expert indices into a code. topk[l] lists the experts chosen in
 * layer l (any order, no duplicates, each in [0, N)); every layer must choose the
 * same number of experts.
 */
export function packCode(topk: readonly (readonly number[])[], L: number, N: number): Code {
  const code = new Uint32Array(codeWords(L, N))
  if (topk.length !== L) throw new RangeError(`packCode: expected ${L} layers, got ${topk.length}`)
  const k = topk[0].length
  for (let l = 0; l < L; l++) {
    const row = topk[l]
    if (row.length !== k) throw new RangeError(`packCode: layer ${l} has ${row.length} experts, layer 0 has ${k}`)
    for (const e of row) {
      if (!Number.isInteger(e) || e < 0 || e >= N) throw new RangeError(`packCode: layer ${l} expert ${e} not an integer in [0, ${N})`)
      const bit = l * N + e
      const mask = 1 << (bit & 31)
      if (code[bit >>> 5] & mask) throw new RangeError(`packCode: layer ${l} lists expert ${e} twice`)
      code[bit >>> 5] |= mask
    }
  }
  return code
}

/** Inverse of packCode: per layer, the set experts in ascending order. */
export function unpackCode(code: Uint32Array, L: number, N: number): number[][] {
  checkCodeShape(code, L, N)
  const out: number[][] = []
  for (let l = 0; l < L; l++) {
    const row: number[] = []
    for (let e = 0; e < N; e++) {
      const bit = l * N + e
      if ((code[bit >>> 5] >>> (bit & 31)) & 1) row.push(e)
    }
    out.push(row)
  }
  return out
}

/** Number of set bits in experts [0, N) of layer l. O(N). */
export function layerOnes(code: Uint32Array, l: number, N: number): number {
  let n = 0
  for (let e = 0; e < N; e++) {
    const bit = l * N + e
    n += (code[bit >>> 5] >>> (bit & 31)) & 1
  }
  return n
}

/** True iff the code has the right shape and exactly k ones in every layer. O(L·N). */
export function isKHot(code: Uint32Array, L: number, N: number, k: number): boolean {
  try {
    checkCodeShape(code, L, N)
  } catch {
    return false
  }
  for (let l = 0; l < L; l++) if (layerOnes(code, l, N) !== k) return false
  return true
}

/**
 * Code of one query (ElderGraceLinear.get_bin_code): per layer, k-hot of the top-k
 * raw router logits. scores is [L*N], layer-major. Ties go to the lower expert index,
 * so the result is deterministic. NaN scores are rejected (no meaningful top-k).
 */
export function codeFromScores(scores: ArrayLike<number>, L: number, N: number, k: number): Code {
  const code = new Uint32Array(codeWords(L, N))
  checkK(N, k)
  if (scores.length !== L * N) throw new RangeError(`codeFromScores: expected ${L * N} scores (L=${L} × N=${N}), got ${scores.length}`)
  const taken = new Uint8Array(N)
  for (let l = 0; l < L; l++) {
    const base = l * N
    taken.fill(0)
    // k passes of arg-max: O(N·k), fine for the small N of a router.
    for (let j = 0; j < k; j++) {
      let best = -1
      for (let e = 0; e < N; e++) {
        const s = scores[base + e]
        if (Number.isNaN(s)) throw new RangeError(`codeFromScores: score[${base + e}] (layer ${l}, expert ${e}) is NaN`)
        if (!taken[e] && (best < 0 || s > scores[base + best])) best = e
      }
      taken[best] = 1
      const bit = base + best
      code[bit >>> 5] |= 1 << (bit & 31)
    }
  }
  return code
}

/** Set bits of a 32-bit integer (SWAR, no loop). */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555)
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  x = (x + (x >>> 4)) & 0x0f0f0f0f
  return Math.imul(x, 0x01010101) >>> 24
}

/** Hamming distance between two packed codes of equal length. O(words). */
export function hamming(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) throw new RangeError(`hamming: codes have ${a.length} and ${b.length} words`)
  let d = 0
  for (let i = 0; i < a.length; i++) d += popcount32(a[i] ^ b[i])
  return d
}

/**
 * Compact key for Maps/Sets: for a one-word code (L*N <= 32) the word as an
 * unsigned number; otherwise 8 hex digits per word, word 0 first.
 */
export function codeKey(code: Uint32Array): CodeKey {
  if (code.length === 1) return code[0]
  let s = ''
  for (let i = 0; i < code.length; i++) s += code[i].toString(16).padStart(8, '0')
  return s
}
