// GRACE's codebook (Hartvigsen et al. 2023; elder-spec.md §7): keys (a layer's input at the last prompt token),
// one value per key (the layer output it stands for, trained), a radius ε and a label per key. Distances are
// Euclidean. The values live in the editor (tensors); this class holds keys, radii, labels and owners, and the
// rules below decide which key an edit trains and which key an input is served by.
//
// Update, once per edit row before training (nearest enabled key n at distance d):
//   - no key yet, or d > ε_init + ε[n]: a new key with ε = ε_init;
//   - labels differ (d within reach): a new key; the two radii split the distance, ε[n] = d/2 − 1e-5, new ε = d/2;
//   - same label and d > ε[n]: ε[n] = d ("coverage": the key now reaches the edit), and key n's value trains;
//   - same label and d ≤ ε[n]: key n's value trains as it is.
// Lookup, every forward: the nearest enabled key serves the input iff d ≤ its ε.

export interface KeyEntry {
  key: Float32Array
  eps: number
  /** The edit's target: GRACE compares label ids; the target text is the same test without tokenizing. */
  label: string
  /** The batch that created the key, and the row of that batch. */
  owner: number
  row: number
  enabled: boolean
}

export type UpdateAction = 'new' | 'split' | 'expand' | 'inside'

export interface CodebookJSON {
  entries: Array<Omit<KeyEntry, 'key'>>
}

export function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i]
    s += d * d
  }
  return Math.sqrt(s)
}

export class Codebook {
  entries: KeyEntry[] = []

  constructor(readonly epsInit: number) {}

  get size(): number {
    return this.entries.length
  }

  /** The nearest enabled key (index −1 and Infinity when there is none). */
  nearest(q: Float32Array): { index: number; distance: number } {
    let index = -1
    let distance = Infinity
    this.entries.forEach((e, i) => {
      if (!e.enabled) return
      const d = euclidean(q, e.key)
      if (d < distance) {
        distance = d
        index = i
      }
    })
    return { index, distance }
  }

  /** The key serving an input, or null when the nearest key is beyond its radius. */
  lookup(q: Float32Array): { index: number | null; distance: number } {
    const n = this.nearest(q)
    return { index: n.index >= 0 && n.distance <= this.entries[n.index].eps ? n.index : null, distance: n.distance }
  }

  /** Applies the update rules for one edit row; returns the key whose value trains for it and what happened. */
  update(q: Float32Array, label: string, owner: number, row: number): { index: number; action: UpdateAction } {
    const n = this.nearest(q)
    const add = (eps: number): number => this.entries.push({ key: q.slice(), eps, label, owner, row, enabled: true }) - 1
    if (n.index < 0 || n.distance > this.epsInit + this.entries[n.index].eps) return { index: add(this.epsInit), action: 'new' }
    const near = this.entries[n.index]
    if (near.label !== label) {
      near.eps = n.distance / 2 - 1e-5
      return { index: add(n.distance / 2), action: 'split' }
    }
    if (n.distance > near.eps) {
      near.eps = n.distance
      return { index: n.index, action: 'expand' }
    }
    return { index: n.index, action: 'inside' }
  }

  /** Indices of the keys a batch created. */
  keysOf(owner: number): number[] {
    return this.entries.flatMap((e, i) => (e.owner === owner ? [i] : []))
  }

  toJSON(): CodebookJSON {
    return { entries: this.entries.map(({ key: _key, ...rest }) => rest) }
  }

  static fromJSON(epsInit: number, json: CodebookJSON, keys: Float32Array, D: number): Codebook {
    const c = new Codebook(epsInit)
    c.entries = json.entries.map((e, i) => ({ ...e, key: keys.slice(i * D, (i + 1) * D) }))
    return c
  }
}
