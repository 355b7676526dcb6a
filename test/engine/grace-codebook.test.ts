// GRACE's codebook rules (elder-spec.md §7) on keys placed at chosen distances in the plane, ε_init = 1.
import { describe, expect, it } from 'vitest'
import { Codebook } from '../../src-main/engine/methods/grace/codebook'

const at = (x: number, y = 0): Float32Array => Float32Array.from([x, y])

describe('GRACE codebook', () => {
  it('the first edit, and an edit beyond ε_init + ε of the nearest key, make a new key with ε_init', () => {
    const c = new Codebook(1)
    expect(c.update(at(0), 'Paris', 1, 0)).toEqual({ index: 0, action: 'new' })
    expect(c.update(at(2.5), 'Paris', 2, 0)).toEqual({ index: 1, action: 'new' }) // 2.5 > 1 + 1
    expect(c.entries.map((e) => e.eps)).toEqual([1, 1])
  })

  it('the same label within reach but outside ε widens the key to the distance (coverage); inside, nothing changes', () => {
    const c = new Codebook(1)
    c.update(at(0), 'Paris', 1, 0)
    expect(c.update(at(1.5), 'Paris', 2, 0)).toEqual({ index: 0, action: 'expand' }) // 1 < 1.5 ≤ 1 + 1
    expect(c.size).toBe(1)
    expect(c.entries[0].eps).toBeCloseTo(1.5)
    expect(c.update(at(0, 1.2), 'Paris', 3, 0)).toEqual({ index: 0, action: 'inside' })
    expect(c.entries[0].eps).toBeCloseTo(1.5)
  })

  it('another label within reach splits the distance between the two keys', () => {
    const c = new Codebook(1)
    c.update(at(0), 'Paris', 1, 0)
    expect(c.update(at(0.8), 'Lyon', 2, 0)).toEqual({ index: 1, action: 'split' })
    expect(c.entries[0].eps).toBeCloseTo(0.4 - 1e-5, 7)
    expect(c.entries[1].eps).toBeCloseTo(0.4, 7)
    // The keys no longer overlap: each side of the midpoint is served by its own key.
    expect(c.lookup(at(0.3)).index).toBe(0)
    expect(c.lookup(at(0.5)).index).toBe(1)
  })

  it('lookup serves an input only within the nearest key’s ε, and ignores disabled keys', () => {
    const c = new Codebook(1)
    c.update(at(0), 'Paris', 1, 0)
    c.update(at(5), 'Rome', 2, 0)
    expect(c.lookup(at(0.9))).toEqual({ index: 0, distance: expect.closeTo(0.9, 6) })
    expect(c.lookup(at(2)).index).toBeNull()
    c.entries[0].enabled = false
    expect(c.lookup(at(0.9)).index).toBeNull()
    expect(c.keysOf(2)).toEqual([1])
  })
})
