// Stored edit rows for the scope decision and for rehearsal (elder-spec.md §10; docs/elder-method.md).
// Each edit row keeps its unit-normalised routing query q (the frozen base model's c_fc input of the query block,
// at the last prompt token — the vector the routers score), the base model's answer token for its prompt (the
// answer gate), its allocation code, and its prompt and target (for rehearsal and re-editing).
// nearest() answers the cosine distance 1 − cos from an input's query to the nearest stored row of an enabled
// batch, optionally only among rows that pass a gate — the same base answer, an input text that mentions the
// row's subject, and the relation the input reads as (relations.ts). The scan tests the answer and subject gates (an
// integer compare, then a substring test) before the O(D) dot product,
// so with the gates on a decision costs O(rows) compares plus D multiply-adds per row that passes. Batches can be removed or disabled (rollback); single rows are
// superseded when a later edit rewrites the same fact (the latest edit wins).

interface Entry {
  vectors: Float32Array // [rows · D], unit-normalised
  rows: number
  enabled: boolean
  meta: RowMeta[]
  /** meta[r].answer and meta[r].superseded as flat arrays: the scan's hot loop reads only these. */
  answers: Int32Array
  dead: Uint8Array
}

function entry(vectors: Float32Array, enabled: boolean, meta: RowMeta[]): Entry {
  return {
    vectors,
    rows: meta.length,
    enabled,
    meta,
    answers: Int32Array.from(meta, (m) => m.answer),
    dead: Uint8Array.from(meta, (m) => (m.superseded ? 1 : 0))
  }
}

/** What a stored row carries besides its query. Absent in states written before rehearsal existed. */
export interface RowMeta {
  /** Base-model argmax after the prompt (−1: unknown, matches nothing under the gate). */
  answer: number
  /** Packed allocation code the row was trained with. */
  code: number[]
  prompt: string
  target: string
  subject?: string
  relation?: string
  /** Replaced by a later edit of the same fact: out of scope and out of rehearsal. */
  superseded: boolean
}

export interface QueryTableJSON {
  D: number
  batches: Array<{ owner: number; enabled: boolean; rows: number; meta?: RowMeta[] }>
}

export interface RowRef {
  owner: number
  row: number
}

/** What an input must share with a stored row to be compared with it (each part optional). */
export interface Gate {
  /** The input's base-model answer token: only rows with the same answer. */
  answer?: number
  /** The input's text: only rows whose subject (when they have one) it mentions, case-insensitively. */
  text?: string
  /** The input's predicted relation (relations.ts): only rows of that relation, or that name none. */
  relation?: string
}

export type GateName = 'answer' | 'subject' | 'relation'

/**
 * A query this close to a stored one is that edit's own prompt (the same text gives the same frozen query): it
 * passes the relation gate whatever the classifier says, so an edit's own prompt is always compared with it.
 */
const SAME_PROMPT = 1e-6

/** The relation gate: a row of another relation than the input's fails it, unless the input is the row's own prompt. */
function failsRelation(input: string | undefined, row: string | undefined, dot: number): boolean {
  return input !== undefined && !!row && row !== input && !(1 - dot < SAME_PROMPT)
}

const fold = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase()

export function normalise(v: Float32Array): Float32Array {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i] * v[i]
  const n = Math.sqrt(s) || 1
  return v.map((x) => x / n)
}

const emptyMeta = (): RowMeta => ({ answer: -1, code: [], prompt: '', target: '', superseded: false })

/** Same fact: the same prompt (whitespace-insensitive), or the same subject and relation when both are known. */
export function sameFact(a: Pick<RowMeta, 'prompt' | 'subject' | 'relation'>, b: Pick<RowMeta, 'prompt' | 'subject' | 'relation'>): boolean {
  const norm = (s: string): string => s.trim().replace(/\s+/g, ' ')
  if (a.prompt && norm(a.prompt) === norm(b.prompt)) return true
  return !!(a.subject && a.relation && a.subject === b.subject && a.relation === b.relation)
}

export class QueryTable {
  private readonly batches = new Map<number, Entry>()
  /** Bumped by every change of which rows are live: what depends on them (the relation classifier) refits on change. */
  version = 0

  constructor(readonly D: number) {}

  /** Adds a batch's rows: queries (each D floats; normalised here) and, optionally, each row's meta. */
  add(owner: number, queries: Float32Array[], meta?: Array<Omit<RowMeta, 'superseded'>>): void {
    if (this.batches.has(owner)) throw new Error(`batch ${owner} already has stored queries`)
    const vectors = new Float32Array(queries.length * this.D)
    queries.forEach((q, i) => {
      if (q.length !== this.D) throw new RangeError(`query of length ${q.length}, expected ${this.D}`)
      vectors.set(normalise(q), i * this.D)
    })
    const rows = meta ? meta.map((m) => ({ ...m, superseded: false })) : queries.map(emptyMeta)
    this.batches.set(owner, entry(vectors, true, rows))
    this.version++
  }

  removeBatch(owner: number): void {
    if (this.batches.delete(owner)) this.version++
  }

  setEnabled(owner: number, enabled: boolean): void {
    const b = this.batches.get(owner)
    if (b && b.enabled !== enabled) {
      b.enabled = enabled
      this.version++
    }
  }

  isEnabled(owner: number): boolean {
    return this.batches.get(owner)?.enabled ?? false
  }

  /** Renames owners (the workspace renumbers batches when it replays history). */
  renumber(to: ReadonlyMap<number, number>): void {
    const list = [...this.batches]
    this.batches.clear()
    for (const [owner, e] of list) this.batches.set(to.get(owner) ?? owner, e)
  }

  /**
   * Marks every enabled, live row that states the same fact as `fact` superseded (re-editing: the latest edit
   * wins). Returns how many rows it replaced.
   */
  supersede(fact: Pick<RowMeta, 'prompt' | 'subject' | 'relation'>): number {
    let n = 0
    for (const b of this.batches.values()) {
      b.meta.forEach((m, r) => {
        if (!m.superseded && sameFact(fact, m)) {
          m.superseded = true
          b.dead[r] = 1
          n++
          this.version++
        }
      })
    }
    return n
  }

  /**
   * Cosine distance 1 − cos(q, nearest live row of an enabled batch), with that row; Infinity when there is none.
   * Only rows that pass the gate are compared.
   */
  nearest(query: Float32Array, gate: Gate = {}): { distance: number; owner: number | null; row: number } {
    const q = normalise(query)
    const { answer, relation } = gate
    const text = gate.text === undefined ? undefined : fold(gate.text)
    const D = this.D
    let best = -Infinity
    let owner: number | null = null
    let row = -1
    const anyAnswer = answer === undefined
    for (const [id, b] of this.batches) {
      if (!b.enabled) continue
      const { answers, dead, vectors, meta } = b
      for (let r = 0; r < b.rows; r++) {
        if (dead[r] === 1 || (!anyAnswer && answers[r] !== answer)) continue
        const { subject, relation: rowRelation } = meta[r]
        if (text !== undefined && subject && !text.includes(fold(subject))) continue
        let dot = 0
        const off = r * D
        for (let i = 0; i < D; i++) dot += q[i] * vectors[off + i]
        if (failsRelation(relation, rowRelation, dot)) continue
        if (dot > best) {
          best = dot
          owner = id
          row = r
        }
      }
    }
    return owner === null ? { distance: Infinity, owner, row } : { distance: 1 - best, owner, row }
  }

  /**
   * Every live row, disabled batches included, with its cosine distance to `query` and the gates it fails, nearest
   * first: what the probe shows of a decision (nearest() is the decision; this explains it). O(rows · D).
   */
  scan(query: Float32Array, gate: Gate = {}): Array<RowRef & { distance: number; enabled: boolean; failedGates: GateName[] }> {
    const q = normalise(query)
    const text = gate.text === undefined ? undefined : fold(gate.text)
    const out: Array<RowRef & { distance: number; enabled: boolean; failedGates: GateName[] }> = []
    for (const [owner, b] of this.batches) {
      for (let r = 0; r < b.rows; r++) {
        if (b.dead[r] === 1) continue
        const failedGates: GateName[] = []
        if (gate.answer !== undefined && b.answers[r] !== gate.answer) failedGates.push('answer')
        const { subject, relation } = b.meta[r]
        if (text !== undefined && subject && !text.includes(fold(subject))) failedGates.push('subject')
        // The same sum in the same order as nearest(), so an explained distance equals the decided one exactly.
        let dot = 0
        const off = r * this.D
        for (let i = 0; i < this.D; i++) dot += q[i] * b.vectors[off + i]
        if (failsRelation(gate.relation, relation, dot)) failedGates.push('relation')
        out.push({ owner, row: r, distance: 1 - dot, enabled: b.enabled, failedGates })
      }
    }
    return out.sort((x, y) => x.distance - y.distance)
  }

  meta(ref: RowRef): RowMeta {
    const b = this.batches.get(ref.owner)
    const m = b?.meta[ref.row]
    if (!m) throw new RangeError(`no stored row ${ref.row} in batch ${ref.owner}`)
    return m
  }

  /** Live rows of enabled batches that name a relation: what the relation classifier is fitted on. */
  labelled(): RowMeta[] {
    const out: RowMeta[] = []
    for (const b of this.batches.values()) {
      if (!b.enabled) continue
      b.meta.forEach((m) => {
        if (!m.superseded && m.relation && m.prompt !== '') out.push(m)
      })
    }
    return out
  }

  /** Rows that rehearsal may draw: enabled, live, with their text known; in batch order. */
  live(): RowRef[] {
    const out: RowRef[] = []
    for (const [owner, b] of this.batches) {
      if (!b.enabled) continue
      b.meta.forEach((m, row) => {
        if (!m.superseded && m.prompt !== '') out.push({ owner, row })
      })
    }
    return out
  }

  get size(): number {
    let n = 0
    for (const b of this.batches.values()) n += b.rows
    return n
  }

  /** Layout and row meta as JSON plus all vectors concatenated in the same batch order (a tensor in the state file). */
  toJSON(): { json: QueryTableJSON; vectors: Float32Array } {
    const list = [...this.batches]
    const vectors = new Float32Array(list.reduce((a, [, b]) => a + b.rows, 0) * this.D)
    let off = 0
    for (const [, b] of list) {
      vectors.set(b.vectors, off)
      off += b.vectors.length
    }
    return {
      json: {
        D: this.D,
        batches: list.map(([owner, b]) => ({ owner, enabled: b.enabled, rows: b.rows, meta: b.meta.map((m) => ({ ...m })) }))
      },
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
      if (b.meta && b.meta.length !== b.rows) throw new RangeError(`batch ${b.owner}: ${b.meta.length} row metas for ${b.rows} rows`)
      const meta = b.meta ? b.meta.map((m) => ({ ...m })) : Array.from({ length: b.rows }, emptyMeta)
      t.batches.set(b.owner, entry(vectors.slice(off, off + n), b.enabled, meta))
      off += n
    }
    return t
  }
}
