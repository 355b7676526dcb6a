import { describe, expect, it } from 'vitest'
import { hamming, packCode } from '../src-main/engine/elder/codes'
import { DeferralTable } from '../src-main/engine/elder/deferral'
import { Prng } from '../src-main/engine/prng'

type Shape = { L: number; N: number; k: number }

function randomCode(rng: Prng, { L, N, k }: Shape): Uint32Array {
  const layers: number[][] = []
  for (let l = 0; l < L; l++) {
    const perm = Array.from({ length: N }, (_, i) => i)
    for (let j = 0; j < k; j++) {
      const r = j + rng.int(N - j)
      ;[perm[j], perm[r]] = [perm[r], perm[j]]
    }
    layers.push(perm.slice(0, k))
  }
  return packCode(layers, L, N)
}

/** Reference: every row kept, every query scans all of them. */
class NaiveTable {
  rows: { owner: number; code: Uint32Array }[] = []
  disabled = new Set<number>()
  nearest(code: Uint32Array): number {
    let best = Infinity
    for (const r of this.rows) if (!this.disabled.has(r.owner)) best = Math.min(best, hamming(r.code, code))
    return best
  }
}

const cases: (Shape & { name: string; denseLimit?: number; backend: 'dense' | 'scan' })[] = [
  { name: 'defaults L6 N4 k2, dense', L: 6, N: 4, k: 2, backend: 'dense' },
  { name: 'defaults L6 N4 k2, scan', L: 6, N: 4, k: 2, denseLimit: 0, backend: 'scan' },
  { name: 'L3 N12 k2 (2 words, straddling layer), dense', L: 3, N: 12, k: 2, backend: 'dense' },
  { name: 'L2 N20 k1 (N > 16 rank loop), dense', L: 2, N: 20, k: 1, backend: 'dense' },
  { name: 'L2 N18 k2 (N > 16 rank loop), dense', L: 2, N: 18, k: 2, backend: 'dense' },
  { name: 'L3 N11 k3 (space > dense limit), scan', L: 3, N: 11, k: 3, backend: 'scan' },
  { name: 'L5 N4 k2, scan', L: 5, N: 4, k: 2, denseLimit: 100, backend: 'scan' }
]

describe.each(cases)('DeferralTable $name', (c) => {
  const make = (): DeferralTable => new DeferralTable(c.L, c.N, c.k, { denseLimit: c.denseLimit })

  it('picks the expected backend', () => {
    expect(make().backend).toBe(c.backend)
  })

  it('empty or fully disabled table defers everything', () => {
    const t = make()
    const rng = new Prng(1)
    const q = randomCode(rng, c)
    expect(t.nearestDistance(q)).toBe(Infinity)
    expect(t.inScope(q, 12)).toBe(false)
    expect(t.inScope(q, Infinity)).toBe(false)
    t.add(7, q)
    expect(t.nearestDistance(q)).toBe(0)
    expect(t.inScope(q, 1)).toBe(true)
    expect(t.inScope(q, 0)).toBe(false)
    t.disableBatch(7)
    expect(t.nearestDistance(q)).toBe(Infinity)
    expect(t.inScope(q, 12)).toBe(false)
    expect(t.distinctCount).toBe(0)
    expect(t.size).toBe(1)
    expect(t.activeSize).toBe(0)
  })

  it('agrees with a naive scan of all rows through adds, removes, disables and enables', () => {
    const rng = new Prng(c.L * 1000 + c.N * 10 + c.k)
    const t = make()
    const naive = new NaiveTable()
    const live: number[] = []
    let nextOwner = 0
    let queries = 0
    const check = (): void => {
      for (let i = 0; i < 150; i++) {
        // Half the queries are stored codes, so distance 0 is exercised.
        const q = naive.rows.length > 0 && i % 2 === 0 ? naive.rows[rng.int(naive.rows.length)].code : randomCode(rng, c)
        const want = naive.nearest(q)
        const got = t.nearestDistance(q)
        if (got !== want) throw new Error(`nearestDistance ${got}, naive ${want}, query ${Array.from(q)}`)
        if (Number.isFinite(got)) expect(got % 2).toBe(0)
        const eps = 2 * rng.int(c.L * c.k + 2)
        expect(t.inScope(q, eps)).toBe(want < eps)
        queries++
      }
      const active = new Set(naive.rows.filter((r) => !naive.disabled.has(r.owner)).map((r) => Array.from(r.code).join()))
      expect(t.distinctCount).toBe(active.size)
      expect(t.size).toBe(naive.rows.length)
    }
    for (let step = 0; step < 60; step++) {
      const op = rng.int(10)
      if (op < 5 || live.length === 0) {
        const owner = nextOwner++
        const n = 1 + rng.int(c.backend === 'dense' ? 40 : 15)
        const codes = Array.from({ length: n }, () => randomCode(rng, c))
        t.addRows(owner, codes)
        for (const code of codes) naive.rows.push({ owner, code })
        live.push(owner)
      } else if (op < 7) {
        const owner = live.splice(rng.int(live.length), 1)[0]
        const n = naive.rows.filter((r) => r.owner === owner).length
        expect(t.removeBatch(owner)).toBe(n)
        naive.rows = naive.rows.filter((r) => r.owner !== owner)
        naive.disabled.delete(owner)
      } else if (op < 9) {
        const owner = live[rng.int(live.length)]
        t.disableBatch(owner)
        naive.disabled.add(owner)
        expect(t.isBatchEnabled(owner)).toBe(false)
      } else {
        const owner = live[rng.int(live.length)]
        t.enableBatch(owner)
        naive.disabled.delete(owner)
        expect(t.isBatchEnabled(owner)).toBe(true)
      }
      check()
    }
    expect(queries).toBeGreaterThanOrEqual(9000)
  })

  it('removing a batch restores the previous answers exactly', () => {
    const rng = new Prng(99)
    const t = make()
    for (let b = 0; b < 5; b++) t.addRows(b, Array.from({ length: 3 }, () => randomCode(rng, c)))
    const probes = Array.from({ length: 2000 }, () => randomCode(rng, c))
    const before = probes.map((q) => t.nearestDistance(q))
    const json = JSON.stringify(t.toJSON())
    // A batch that shares codes with existing rows plus new ones.
    t.addRows(42, [...t.rowsOf(0), ...Array.from({ length: 20 }, () => randomCode(rng, c))])
    expect(probes.map((q) => t.nearestDistance(q))).not.toEqual(before)
    expect(t.removeBatch(42)).toBe(23)
    expect(probes.map((q) => t.nearestDistance(q))).toEqual(before)
    expect(JSON.stringify(t.toJSON())).toBe(json)
    expect(t.removeBatch(42)).toBe(0)
  })

  it('serialises to plain arrays and reloads with identical answers', () => {
    const rng = new Prng(5)
    const t = make()
    for (let b = 0; b < 8; b++) t.addRows(100 + b, Array.from({ length: 1 + b }, () => randomCode(rng, c)))
    t.disableBatch(103)
    t.addRows(110, [])
    const json = JSON.parse(JSON.stringify(t.toJSON()))
    const back = DeferralTable.fromJSON(json, { denseLimit: c.denseLimit })
    expect(back.toJSON()).toEqual(t.toJSON())
    expect(back.owners()).toEqual(t.owners())
    expect([...back.entries()]).toEqual([...t.entries()])
    expect(back.rowsOf(105)).toEqual(t.rowsOf(105))
    expect(back.isBatchEnabled(103)).toBe(false)
    expect([back.size, back.activeSize, back.distinctCount]).toEqual([t.size, t.activeSize, t.distinctCount])
    for (let i = 0; i < 500; i++) {
      const q = randomCode(rng, c)
      expect(back.nearestDistance(q)).toBe(t.nearestDistance(q))
    }
    back.enableBatch(103)
    expect(back.activeSize).toBe(back.size)
  })

  it('rejects codes that are not k-hot per layer, leaving the table unchanged', () => {
    const t = make()
    const good = randomCode(new Prng(3), c)
    const bad = good.slice()
    bad[0] ^= 1 // flip expert 0 of layer 0: one more or one fewer expert
    expect(() => t.add(1, bad)).toThrow(/layer 0 of the code is not \d+-hot/)
    expect(t.owners()).toEqual([])
    t.add(1, good)
    t.disableBatch(1)
    expect(() => t.add(1, bad)).toThrow(/not \d+-hot/)
    expect(() => t.nearestDistance(bad)).toThrow(/not \d+-hot/)
    expect(() => t.inScope(bad, 12)).toThrow(/not \d+-hot/)
    expect(() => t.nearestDistance(new Uint32Array(good.length + 1))).toThrow(/expected Uint32Array/)
    expect(() => t.inScope(good, NaN)).toThrow(/eps must be a number/)
    expect(() => t.disableBatch(2)).toThrow(/no batch 2/)
    expect(() => t.add(1.5, good)).toThrow(/owner must be a safe integer/)
    expect(t.size).toBe(1)
  })
})

describe('DeferralTable at the paper defaults', () => {
  it('bookkeeping per batch: rowsOf, entries, counts of duplicate codes', () => {
    const t = new DeferralTable(6, 4, 2)
    const a = packCode([[0, 1], [0, 1], [0, 1], [0, 1], [0, 1], [0, 1]], 6, 4)
    const b = packCode([[2, 3], [2, 3], [2, 3], [2, 3], [2, 3], [2, 3]], 6, 4)
    t.addRows(1, [a, a, b])
    t.addRows(2, [a])
    expect([t.size, t.distinctCount]).toEqual([4, 2])
    expect(t.rowsOf(1)).toEqual([a, a, b])
    expect(t.rowsOf(3)).toEqual([])
    expect([...t.entries()].map((e) => e.owner)).toEqual([1, 1, 1, 2])
    expect(t.nearestDistance(b)).toBe(0)
    t.removeBatch(1)
    expect([t.size, t.distinctCount]).toEqual([1, 1])
    expect(t.nearestDistance(b)).toBe(24) // disjoint in all 6 layers: 4 bits each
    expect(t.inScope(b, 12)).toBe(false)
    t.add(2, packCode([[0, 2], [0, 1], [0, 1], [0, 1], [0, 1], [1, 3]], 6, 4))
    expect(t.nearestDistance(a)).toBe(0)
    expect(t.nearestDistance(packCode([[0, 2], [0, 1], [0, 1], [0, 1], [0, 1], [2, 3]], 6, 4))).toBe(2)
  })

  it('distance distribution to one stored code, over the whole code space (elder-spec §10)', () => {
    // Per layer the distance to a fixed allocation is 0, 2 or 4 for 1, 4, 1 of the 6
    // allocations, so over L=6 layers the counts are the coefficients of (1 + 4x + x²)^6.
    const pairs: [number, number][] = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    let poly = [1]
    for (let l = 0; l < 6; l++) {
      const next = new Array(poly.length + 2).fill(0)
      poly.forEach((v, i) => [1, 4, 1].forEach((w, j) => (next[i + j] += v * w)))
      poly = next
    }
    const t = new DeferralTable(6, 4, 2)
    t.add(0, packCode(pairs, 6, 4)) // layer l uses pairs[l]
    const hist = new Array(13).fill(0)
    let inScope = 0
    for (let idx = 0; idx < 46_656; idx++) {
      const layers = Array.from({ length: 6 }, (_, l) => pairs[Math.floor(idx / 6 ** l) % 6])
      const code = packCode(layers, 6, 4)
      hist[t.nearestDistance(code) / 2]++
      if (t.inScope(code, 12)) inScope++
    }
    expect(hist).toEqual(poly)
    // 16,710 / 46,656 ≈ 0.358 of random queries are in scope after one edit (§10 quotes ≈0.39 from simulation).
    expect(inScope).toBe(poly.slice(0, 6).reduce((a, b) => a + b, 0))
    expect(inScope).toBe(16_710)
  })
})
