import { describe, expect, it } from 'vitest'
import {
  binomial,
  codeFromScores,
  codeKey,
  codeSpaceSize,
  codeWords,
  hamming,
  isKHot,
  packCode,
  popcount32,
  unpackCode
} from '../src-main/engine/elder/codes'
import { AllocationPresets, normaliseLabel } from '../src-main/engine/elder/presets'
import { Prng } from '../src-main/engine/prng'

const naivePopcount = (x: number): number => {
  let n = 0
  for (let i = 0; i < 32; i++) n += (x >>> i) & 1
  return n
}
const naiveHamming = (a: Uint32Array, b: Uint32Array): number => {
  let d = 0
  for (let i = 0; i < a.length * 32; i++) d += ((a[i >>> 5] >>> (i & 31)) & 1) ^ ((b[i >>> 5] >>> (i & 31)) & 1)
  return d
}
const rng = new Prng(12345)
const randomScores = (n: number, ties: boolean): Float32Array =>
  Float32Array.from({ length: n }, () => (ties ? rng.int(3) : rng.next() * 10 - 5))

describe('codes', () => {
  it('sizes: words, binomial, space', () => {
    expect(codeWords(6, 4)).toBe(1)
    expect(codeWords(8, 4)).toBe(1)
    expect(codeWords(9, 4)).toBe(2)
    expect(codeWords(3, 11)).toBe(2)
    expect(binomial(4, 2)).toBe(6)
    expect(binomial(10, 0)).toBe(1)
    expect(binomial(3, 4)).toBe(0)
    expect(codeSpaceSize(6, 4, 2)).toBe(46_656)
    expect(() => codeWords(0, 4)).toThrow(/L must be an integer >= 1, got 0/)
    expect(() => codeWords(6, 2.5)).toThrow(/N must be an integer >= 1, got 2.5/)
  })

  it('pack/unpack round-trip, layer-major bit order', () => {
    const code = packCode([[0, 1], [3, 2], [1, 3], [0, 3], [2, 1], [0, 2]], 6, 4)
    // layer l occupies bits 4l..4l+3
    expect(code[0]).toBe(0b0101_0110_1001_1010_1100_0011)
    expect(unpackCode(code, 6, 4)).toEqual([[0, 1], [2, 3], [1, 3], [0, 3], [1, 2], [0, 2]])
    const wide = packCode([[0, 10], [5, 6], [1, 9]], 3, 11) // straddles a word boundary
    expect(wide.length).toBe(2)
    expect(unpackCode(wide, 3, 11)).toEqual([[0, 10], [5, 6], [1, 9]])
  })

  it('validates inputs with the values seen', () => {
    expect(() => packCode([[0, 1]], 2, 4)).toThrow(/expected 2 layers, got 1/)
    expect(() => packCode([[0, 4]], 1, 4)).toThrow(/expert 4 not an integer in \[0, 4\)/)
    expect(() => packCode([[1, 1]], 1, 4)).toThrow(/lists expert 1 twice/)
    expect(() => packCode([[0, 1], [2]], 2, 4)).toThrow(/layer 1 has 1 experts, layer 0 has 2/)
    expect(() => unpackCode(new Uint32Array(2), 6, 4)).toThrow(/expected Uint32Array\(1\).*got Uint32Array\(2\)/)
    expect(() => unpackCode(Uint32Array.of(1 << 24), 6, 4)).toThrow(/padding bits past bit 24/)
    expect(() => codeFromScores(new Float32Array(23), 6, 4, 2)).toThrow(/expected 24 scores .* got 23/)
    expect(() => codeFromScores(new Float32Array(24), 6, 4, 5)).toThrow(/k must be an integer in \[1, N=4\], got 5/)
    expect(() => codeFromScores(Float32Array.of(0, NaN, 0, 0), 1, 4, 2)).toThrow(/score\[1\] .* is NaN/)
    expect(() => hamming(new Uint32Array(1), new Uint32Array(2))).toThrow(/1 and 2 words/)
  })

  it('codeFromScores: exactly k ones per layer, top-k, ties to the lower index', () => {
    const shapes: [number, number, number][] = [[6, 4, 2], [6, 4, 1], [3, 11, 3], [5, 8, 4], [2, 32, 5]]
    for (const [L, N, k] of shapes) {
      for (let t = 0; t < 300; t++) {
        const scores = randomScores(L * N, t % 2 === 0)
        const code = codeFromScores(scores, L, N, k)
        expect(isKHot(code, L, N, k)).toBe(true)
        expect(code.reduce((s, w) => s + popcount32(w), 0)).toBe(L * k)
        // Reference: stable sort by score descending keeps lower index first on ties.
        const ref = Array.from({ length: L }, (_, l) =>
          Array.from({ length: N }, (_, e) => e)
            .sort((a, b) => scores[l * N + b] - scores[l * N + a] || a - b)
            .slice(0, k)
            .sort((a, b) => a - b)
        )
        expect(unpackCode(code, L, N)).toEqual(ref)
      }
    }
    expect(unpackCode(codeFromScores(Float32Array.of(1, 1, 1, 1), 1, 4, 2), 1, 4)).toEqual([[0, 1]])
  })

  it('popcount32 and hamming agree with bit loops', () => {
    for (const x of [0, 1, 0xffffffff, 0x80000000, 0x55555555, -1]) expect(popcount32(x)).toBe(naivePopcount(x >>> 0))
    for (let t = 0; t < 5000; t++) {
      const x = (rng.next() * 2 ** 32) >>> 0
      expect(popcount32(x)).toBe(naivePopcount(x))
      const a = Uint32Array.from({ length: 3 }, () => rng.next() * 2 ** 32)
      const b = Uint32Array.from({ length: 3 }, () => rng.next() * 2 ** 32)
      expect(hamming(a, b)).toBe(naiveHamming(a, b))
    }
  })

  it('codeKey: a number for one word, distinct strings for longer codes', () => {
    const one = packCode([[0, 1], [2, 3]], 2, 4)
    expect(codeKey(one)).toBe(one[0])
    expect(codeKey(Uint32Array.of(0xffffffff))).toBe(0xffffffff)
    expect(codeKey(Uint32Array.of(1, 0))).not.toBe(codeKey(Uint32Array.of(0, 1)))
    expect(codeKey(Uint32Array.of(0xabc, 0x1))).toBe('00000abc00000001')
  })
})

describe('AllocationPresets', () => {
  it('normalises labels: trim, collapse whitespace, lowercase', () => {
    expect(normaliseLabel('  Paris\t  FRANCE \n')).toBe('paris france')
    const p = new AllocationPresets(6, 4, 2, 7)
    expect(p.presetFor('Paris France')).toEqual(p.presetFor('  paris \n france'))
    expect(p.size).toBe(1)
    expect(p.has('PARIS   france')).toBe(true)
    expect(() => p.presetFor('  \t ')).toThrow(/empty after normalisation/)
  })

  it('k sorted experts per layer, deterministic per seed, copies returned', () => {
    const a = new AllocationPresets(6, 4, 2, 1)
    const b = new AllocationPresets(6, 4, 2, 1)
    const c = new AllocationPresets(6, 4, 2, 2)
    const labels = Array.from({ length: 50 }, (_, i) => `target ${i}`)
    const pa = labels.map((l) => a.presetFor(l))
    expect(labels.map((l) => b.presetFor(l))).toEqual(pa)
    expect(labels.map((l) => c.presetFor(l))).not.toEqual(pa)
    for (const p of pa) {
      expect(p).toHaveLength(6)
      for (const row of p) {
        expect(row).toHaveLength(2)
        expect(row[0]).toBeLessThan(row[1])
        expect(row[1]).toBeLessThan(4)
      }
    }
    pa[0][0][0] = 99
    expect(a.presetFor('target 0')[0][0]).not.toBe(99)
  })

  it('distinct codes until the space is exhausted, then reuse', () => {
    const p = new AllocationPresets(2, 4, 2, 3) // 36 codes
    const keys = new Set<number>()
    for (let i = 0; i < 36; i++) keys.add(packCode(p.presetFor(`l${i}`), 2, 4)[0])
    expect(keys.size).toBe(36)
    const extra = packCode(p.presetFor('one more'), 2, 4)[0]
    expect(keys.has(extra)).toBe(true)
  })

  it('draws each expert about equally often (uniform k of N)', () => {
    const q = new AllocationPresets(6, 4, 2, 11)
    const counts = new Array(4).fill(0)
    for (let i = 0; i < 2000; i++) for (const row of q.presetFor(`x${i}`)) for (const e of row) counts[e]++
    // 24,000 draws: a binomial share has sd ≈ 0.003, so 0.02 is a loose bound.
    for (const c of counts) expect(Math.abs(c / (2000 * 6 * 2) - 0.25)).toBeLessThan(0.02)
  })

  it('reload continues the same stream and keeps existing presets', () => {
    const ref = new AllocationPresets(6, 4, 2, 42)
    const first = Array.from({ length: 30 }, (_, i) => ref.presetFor(`a${i}`))
    const then = Array.from({ length: 30 }, (_, i) => ref.presetFor(`b${i}`))

    const before = new AllocationPresets(6, 4, 2, 42)
    for (let i = 0; i < 30; i++) before.presetFor(`a${i}`)
    const reloaded = AllocationPresets.fromJSON(JSON.parse(JSON.stringify(before.toJSON())))
    expect(Array.from({ length: 30 }, (_, i) => reloaded.presetFor(`a${i}`))).toEqual(first)
    expect(Array.from({ length: 30 }, (_, i) => reloaded.presetFor(`b${i}`))).toEqual(then)
    expect(reloaded.toJSON()).toEqual(ref.toJSON())

    // Exhaustion bookkeeping survives a reload too.
    const small = new AllocationPresets(1, 4, 2, 5)
    for (let i = 0; i < 5; i++) small.presetFor(`s${i}`)
    const back = AllocationPresets.fromJSON(small.toJSON())
    const used = new Set(Array.from({ length: 5 }, (_, i) => back.presetFor(`s${i}`).join()))
    expect(used.has(back.presetFor('last').join())).toBe(false)
  })

  it('fromJSON rejects malformed state', () => {
    const good = new AllocationPresets(2, 4, 2, 1).toJSON()
    expect(() => AllocationPresets.fromJSON({ ...good, presets: [['A', [[0, 1], [0, 1]]]] })).toThrow(/not normalised/)
    expect(() => AllocationPresets.fromJSON({ ...good, presets: [['a', [[0], [0]]]] })).toThrow(/not 2-hot/)
    expect(() => AllocationPresets.fromJSON({ ...good, presets: [['a', [[0, 4], [0, 1]]]] })).toThrow(/expert 4/)
    expect(() => AllocationPresets.fromJSON({ ...good, state: -1 })).toThrow(/uint32, got -1/)
  })
})
