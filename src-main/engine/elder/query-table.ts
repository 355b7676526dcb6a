// Stored routing queries of edit rows, for the optional query-radius discriminator (elder-spec.md §10: "a
// discriminator that scales … per-edit radii on the query vector, as GRACE/MELO do").
// The paper's deferral compares 24-bit allocation codes; with thousands of edits nearly every code lies within
// Hamming distance < ε of a stored one, so it stops separating unrelated inputs (§10). This table keeps each edit
// row's unit-normalised query q (the same vector the routers score) and answers the cosine distance 1 − cos from
// an input's query to the nearest stored row of an enabled batch: a brute-force scan, O(rows · D) per query
// (1,000 edits × d 128 ≈ 0.1 M multiply-adds), with removal and disabling per batch for rollback.

interface Entry {
  vectors: Float32Array // [rows · D], unit-normalised
  rows: number
  enabled: boolean
}

export interface QueryTableJSON {
  D: number
  batches: Array<{ owner: number; enabled: boolean; rows: number }>
}

export function normalise(v: Float32Array): Float32Array {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i] * v[i]
  const n = Math.sqrt(s) || 1
  return v.map((x) => x / n)
}

export class QueryTable {
  private readonly batches = new Map<number, Entry>()

  constructor(readonly D: number) {}

  /** Adds a batch's query rows (each D floats; normalised here). */
  add(owner: number, queries: Float32Array[]): void {
    if (this.batches.has(owner)) throw new Error(`batch ${owner} already has stored queries`)
    const vectors = new Float32Array(queries.length * this.D)
    queries.forEach((q, i) => {
      if (q.length !== this.D) throw new RangeError(`query of length ${q.length}, expected ${this.D}`)
      vectors.set(normalise(q), i * this.D)
    })
    this.batches.set(owner, { vectors, rows: queries.length, enabled: true })
  }

  removeBatch(owner: number): void {
    this.batches.delete(owner)
  }

  setEnabled(owner: number, enabled: boolean): void {
    const b = this.batches.get(owner)
    if (b) b.enabled = enabled
  }

  /** Cosine distance 1 − cos(q, nearest enabled row), with that row's batch; Infinity when empty. */
  nearest(query: Float32Array): { distance: number; owner: number | null } {
    const q = normalise(query)
    const D = this.D
    let best = -Infinity
    let owner: number | null = null
    for (const [id, b] of this.batches) {
      if (!b.enabled) continue
      for (let r = 0; r < b.rows; r++) {
        let dot = 0
        const off = r * D
        for (let i = 0; i < D; i++) dot += q[i] * b.vectors[off + i]
        if (dot > best) {
          best = dot
          owner = id
        }
      }
    }
    return owner === null ? { distance: Infinity, owner } : { distance: 1 - best, owner }
  }

  get size(): number {
    let n = 0
    for (const b of this.batches.values()) n += b.rows
    return n
  }

  /** Layout in metadata plus all vectors concatenated in the same batch order (a tensor in the state file). */
  toJSON(): { json: QueryTableJSON; vectors: Float32Array } {
    const list = [...this.batches]
    const vectors = new Float32Array(list.reduce((a, [, b]) => a + b.rows, 0) * this.D)
    let off = 0
    for (const [, b] of list) {
      vectors.set(b.vectors, off)
      off += b.vectors.length
    }
    return {
      json: { D: this.D, batches: list.map(([owner, b]) => ({ owner, enabled: b.enabled, rows: b.rows })) },
      vectors
    }
  }

  static fromJSON(json: QueryTableJSON, vectors: Float32Array): QueryTable {
    const t = new QueryTable(json.D)
    const total = json.batches.reduce((a, b) => a + b.rows, 0)
    if (vectors.length !== total * json.D) {
      throw new RangeError(`stored queries hold ${vectors.length} floats, the layout needs ${total * json.D}`)
    }
    let off = 0
    for (const b of json.batches) {
      const n = b.rows * json.D
      t.batches.set(b.owner, { vectors: vectors.slice(off, off + n), rows: b.rows, enabled: b.enabled })
      off += n
    }
    return t
  }
}
