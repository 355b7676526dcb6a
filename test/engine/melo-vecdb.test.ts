// MELO's cluster rules (elder-spec.md §7) on keys placed at chosen distances in the plane, r_init = 1.
import { describe, expect, it } from 'vitest'
import { VecDb } from '../../src-main/engine/methods/melo/vecdb'

const at = (x: number, y = 0): Float32Array => Float32Array.from([x, y])

describe('MELO vector database', () => {
  it('the first key, and a key beyond radius + r_init of the nearest centre, start a cluster', () => {
    const db = new VecDb(1)
    expect(db.update(at(0), 'Paris', 0, 1, 0)).toBe('new')
    expect(db.update(at(2.5), 'Paris', 1, 2, 0)).toBe('new') // 2.5 > 1 + 1
    expect(db.clusters.map((c) => c.radius)).toEqual([1, 1])
  })

  it('a key of the same label within reach joins: the centre moves to the mean, the radius covers every point', () => {
    const db = new VecDb(1)
    db.update(at(0), 'Paris', 0, 1, 0)
    expect(db.update(at(1.5), 'Paris', 0, 2, 0)).toBe('join')
    expect(db.clusters).toHaveLength(1)
    expect(Array.from(db.clusters[0].center)).toEqual([0.75, 0])
    expect(db.clusters[0].radius).toBe(1) // max(0.75, r_init)
    expect(db.update(at(3), 'Paris', 1, 3, 0)).toBe('new') // 2.25 from the centre > 1 + 1
  })

  it('a key of another label within reach splits the radii at half the distance and drops points outside', () => {
    const db = new VecDb(1)
    db.update(at(0), 'Paris', 0, 1, 0)
    db.update(at(0.9), 'Paris', 0, 2, 0) // centre 0.45, radius 1
    expect(db.update(at(1.45), 'Lyon', 1, 3, 0)).toBe('split') // d = 1 from the centre
    const [old, fresh] = db.clusters
    expect(old.radius).toBeCloseTo(0.5 - 1e-5, 7)
    expect(fresh.radius).toBeCloseTo(0.5, 7)
    expect(old.points.map((p) => p.owner)).toEqual([1, 2]) // both at 0.45 ≤ 0.49999
    expect(db.lookup(at(1.3))).toMatchObject({ block: 1 })
  })

  it('lookup: the block of the nearest live point in the nearest cluster, nothing beyond the radius or when disabled', () => {
    const db = new VecDb(1)
    db.update(at(0), 'Paris', 3, 1, 0)
    db.update(at(0.5), 'Paris', 4, 2, 0)
    expect(db.lookup(at(0.45)).block).toBe(4)
    expect(db.lookup(at(0.1)).block).toBe(3)
    expect(db.lookup(at(5)).block).toBeNull()
    for (const p of db.pointsOf(2)) p.enabled = false
    expect(db.lookup(at(0.45)).block).toBe(3)
  })
})
