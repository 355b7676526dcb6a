// MELO's vector database (Yu et al. 2024; elder-spec.md §7): clusters of edit keys, each with a centre, a radius,
// a label and its points, every point naming the LoRA rank-block its edit trained. Distances are Euclidean.
//
// Update, once per edit row before training (nearest centre c at distance d):
//   - no cluster yet, or d > radius[c] + r_init: a new cluster around the key with radius r_init;
//   - same label: the key joins c; the centre becomes the mean of its points and the radius the largest distance
//     from it to a point, at least r_init;
//   - another label: a new cluster around the key; the two radii split the distance (c: d/2 − 1e-5, new: d/2)
//     and c drops the points now outside its radius.
// Lookup: the nearest centre among clusters with a live point; beyond its radius, no block (the base model);
// within it, the block of the cluster's nearest live point.
import { euclidean } from '../grace/codebook'

export interface Point {
  key: Float32Array
  block: number
  /** The batch and its row that stored the key. */
  owner: number
  row: number
  enabled: boolean
}

export interface Cluster {
  center: Float32Array
  radius: number
  label: string
  points: Point[]
}

export type VecDbAction = 'new' | 'join' | 'split'

export interface VecDbJSON {
  clusters: Array<{ center: number[]; radius: number; label: string; points: Array<{ key: number[]; block: number; owner: number; row: number; enabled: boolean }> }>
}

export class VecDb {
  clusters: Cluster[] = []

  constructor(readonly initRadius: number) {}

  private live(c: Cluster): boolean {
    return c.points.some((p) => p.enabled)
  }

  /** The nearest centre of a cluster with a live point (−1 and Infinity when there is none). */
  nearest(q: Float32Array, liveOnly = true): { index: number; distance: number } {
    let index = -1
    let distance = Infinity
    this.clusters.forEach((c, i) => {
      if (liveOnly && !this.live(c)) return
      const d = euclidean(q, c.center)
      if (d < distance) {
        distance = d
        index = i
      }
    })
    return { index, distance }
  }

  update(q: Float32Array, label: string, block: number, owner: number, row: number): VecDbAction {
    const point: Point = { key: q.slice(), block, owner, row, enabled: true }
    const n = this.nearest(q, false)
    const add = (radius: number): void => {
      this.clusters.push({ center: q.slice(), radius, label, points: [point] })
    }
    if (n.index < 0 || n.distance > this.clusters[n.index].radius + this.initRadius) {
      add(this.initRadius)
      return 'new'
    }
    const c = this.clusters[n.index]
    if (c.label === label) {
      c.points.push(point)
      const D = q.length
      const center = new Float32Array(D)
      for (const p of c.points) for (let i = 0; i < D; i++) center[i] += p.key[i] / c.points.length
      c.center = center
      c.radius = Math.max(this.initRadius, ...c.points.map((p) => euclidean(center, p.key)))
      return 'join'
    }
    c.radius = n.distance / 2 - 1e-5
    c.points = c.points.filter((p) => euclidean(c.center, p.key) <= c.radius)
    add(n.distance / 2)
    return 'split'
  }

  /** The block serving an input, or null (beyond the nearest live cluster's radius, or nothing stored). */
  lookup(q: Float32Array): { block: number | null; distance: number; point: Point | null } {
    const n = this.nearest(q)
    if (n.index < 0) return { block: null, distance: Infinity, point: null }
    const c = this.clusters[n.index]
    if (n.distance > c.radius) return { block: null, distance: n.distance, point: null }
    let best: Point | null = null
    let bestD = Infinity
    for (const p of c.points) {
      if (!p.enabled) continue
      const d = euclidean(q, p.key)
      if (d < bestD) {
        bestD = d
        best = p
      }
    }
    return { block: best?.block ?? null, distance: n.distance, point: best }
  }

  /** Every point of a batch, in every cluster. */
  *pointsOf(owner: number): Generator<Point> {
    for (const c of this.clusters) for (const p of c.points) if (p.owner === owner) yield p
  }

  toJSON(): VecDbJSON {
    return {
      clusters: this.clusters.map((c) => ({
        center: Array.from(c.center), radius: c.radius, label: c.label,
        points: c.points.map((p) => ({ ...p, key: Array.from(p.key) }))
      }))
    }
  }

  static fromJSON(initRadius: number, json: VecDbJSON): VecDb {
    const db = new VecDb(initRadius)
    db.clusters = json.clusters.map((c) => ({
      center: Float32Array.from(c.center), radius: c.radius, label: c.label,
      points: c.points.map((p) => ({ ...p, key: Float32Array.from(p.key) }))
    }))
    return db
  }
}
