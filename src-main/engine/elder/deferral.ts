/**
 * Deferral code table (elder-spec §3, §9, §10; architecture "Rollback"/"disable").
 *
 * Rows are the codes of edit rows, each owned by a batch id. A batch can be removed
 * (rollback) or disabled/enabled (its rows kept but ignored). A query is in scope iff
 * its minimum Hamming distance to an active row's code is < ε; an empty (or fully
 * disabled) table defers everything.
 *
 * Only C(N,k)^L distinct codes exist (46,656 for N=4, k=2, L=6), far fewer than rows
 * after many edits, so the index holds distinct codes with active counts. Two backends:
 *
 * dense — the code space is small (S = C(N,k)^L <= denseLimit, default 2^22). A code is
 *   numbered idx = Σ_l rank_l · C(N,k)^l (rank_l = colex rank of layer l's k-subset).
 *   dist[idx] holds the distance from every possible code to the nearest active one: a
 *   distance transform. Hamming distance between k-hot-per-layer codes equals the
 *   shortest-path distance in the graph whose edges swap one expert in one layer (each
 *   edge costs 2), so the transform is a BFS. deg = L·k·(N−k) neighbours per code.
 *   - query: O(L) to number the code + one byte read.
 *   - add row: O(L); a code becoming active runs a BFS pruned to codes whose distance
 *     drops. Distances only fall, by >= 2, so all adds together cost O(S·deg·maxD/2)
 *     (≈13M steps for the defaults) however many rows there are.
 *   - remove/disable a batch: O(rows·L). If a code's active count reaches 0 the
 *     transform is marked stale and the next query rebuilds it by multi-source BFS,
 *     O(S·deg) (≈1.1M steps for the defaults). Enable is like add.
 *   Memory: S bytes of distances + 4·S of counts + 4·S of BFS queue.
 * scan — larger spaces: a Map of distinct codes plus a packed array of the active ones.
 *   - query: O(D·W) for D distinct active codes of W words (not every row); stops at
 *     distance 0, and inScope stops at the first code closer than ε.
 *   - add: O(L·N); remove/disable: O(rows·L·N); the packed array is rebuilt, O(D), on
 *     the next query after a code leaves the active set.
 */
import { binomial, checkCodeShape, codeKey, codeWords, hamming, layerOnes, popcount32, type CodeKey } from './codes'

/** Largest code space (C(N,k)^L) indexed densely by default: 2^22 codes ≈ 36 MB. */
export const DEFAULT_DENSE_LIMIT = 1 << 22
const FAR = 255 // dist[] value for "no active code": above any real distance (<= 2·L·min(k, N−k))

/** Colex rank Σ_j C(s_j, j+1) of an ascending k-subset: a bijection onto [0, C(N,k)). */
function colexRank(s: readonly number[]): number {
  let r = 0
  for (let j = 0; j < s.length; j++) r += binomial(s[j], j + 1)
  return r
}

interface CodeIndex {
  /** Distinct codes with active count > 0. */
  distinct: number
  /** Throws unless words[off .. off+W) is k-hot per layer (rows are checked before storing). */
  check(words: Uint32Array, off: number): void
  inc(words: Uint32Array, off: number): void
  dec(words: Uint32Array, off: number): void
  /** Exact minimum distance when it is >= below; otherwise some distance < below. Infinity if empty. */
  nearest(code: Uint32Array, below: number): number
}

class DenseIndex implements CodeIndex {
  distinct = 0
  private readonly M: number // C(N,k): subsets per layer
  private readonly stride: Int32Array // [L] M^l
  private readonly rankOf: Int32Array | null // [2^N] layer mask -> colex rank, -1 if not k-hot (N <= 16)
  private readonly adjStart: Int32Array // [M+1] CSR offsets into adj
  private readonly adj: Int32Array // ranks one swap away from each rank
  private readonly counts: Uint32Array // [S] active rows per code
  private readonly dist: Uint8Array // [S] distance to nearest active code, FAR if none
  private readonly queue: Int32Array // [S] BFS queue: each code enters at most once per BFS
  private stale = false

  constructor(
    private readonly L: number,
    private readonly N: number,
    private readonly k: number,
    readonly size: number
  ) {
    this.M = binomial(N, k)
    this.stride = new Int32Array(L)
    for (let l = 0, s = 1; l < L; l++, s *= this.M) this.stride[l] = s
    const subsets: number[][] = new Array(this.M) // [M] ascending k-subset by colex rank
    const gen = (cur: number[], from: number): void => {
      if (cur.length === k) subsets[colexRank(cur)] = cur
      else for (let e = from; e < N; e++) gen([...cur, e], e + 1)
    }
    gen([], 0)
    this.rankOf = N <= 16 ? new Int32Array(1 << N).fill(-1) : null
    this.adjStart = new Int32Array(this.M + 1)
    const adj: number[] = []
    subsets.forEach((s, r) => {
      if (this.rankOf) this.rankOf[s.reduce((m, e) => m | (1 << e), 0)] = r
      for (let i = 0; i < k; i++) {
        for (let e = 0; e < N; e++) {
          if (!s.includes(e)) adj.push(colexRank(s.map((x, j) => (j === i ? e : x)).sort((a, b) => a - b)))
        }
      }
      this.adjStart[r + 1] = adj.length
    })
    this.adj = Int32Array.from(adj)
    this.counts = new Uint32Array(size)
    this.dist = new Uint8Array(size).fill(FAR)
    this.queue = new Int32Array(size)
  }

  /** Dense number of the code at words[off..]; throws if a layer is not k-hot. O(L) for N <= 16. */
  private indexAt(words: Uint32Array, off: number): number {
    const { L, N, k } = this
    let idx = 0
    for (let l = 0; l < L; l++) {
      let r: number
      if (this.rankOf) {
        const b = l * N
        const w = off + (b >>> 5)
        const sh = b & 31
        let m = words[w] >>> sh
        if (sh + N > 32) m |= words[w + 1] << (32 - sh) // layer straddles two words
        r = this.rankOf[m & ((1 << N) - 1)]
      } else {
        // Colex rank by bit loop: the j-th set bit (0-based) at expert e adds C(e, j+1).
        r = 0
        let j = 0
        for (let e = 0; e < N && j <= k; e++) {
          const bit = l * N + e
          if (((words[off + (bit >>> 5)] >>> (bit & 31)) & 1) === 0) continue
          if (j < k) r += binomial(e, j + 1)
          j++
        }
        if (j !== k) r = -1
      }
      if (r < 0) throw new RangeError(`deferral: layer ${l} of the code is not ${k}-hot (${layerOnes(words.subarray(off), l, N)} ones of N=${N})`)
      idx += r * this.stride[l]
    }
    return idx
  }

  check(words: Uint32Array, off: number): void {
    this.indexAt(words, off)
  }

  inc(words: Uint32Array, off: number): void {
    const i = this.indexAt(words, off)
    if (this.counts[i]++ !== 0) return
    this.distinct++
    if (!this.stale) {
      this.dist[i] = 0
      this.queue[0] = i
      this.bfs(1)
    }
  }

  dec(words: Uint32Array, off: number): void {
    const i = this.indexAt(words, off)
    if (this.counts[i] === 0) throw new Error(`deferral: internal count underflow at code ${i}`)
    if (--this.counts[i] === 0) {
      this.distinct--
      this.stale = true
    }
  }

  /**
   * Relaxes dist[] outward from queue[0..tail): a neighbour is updated and queued only
   * if its distance drops, which is enough because dist[] is 2-Lipschitz along edges.
   */
  private bfs(tail: number): void {
    const { L, M, stride, adjStart, adj, dist, queue } = this
    for (let head = 0; head < tail; head++) {
      const c = queue[head]
      const nd = dist[c] + 2
      let rest = c // peel off base-M digits: rank of layer l = digit l
      for (let l = 0; l < L; l++) {
        const q = (rest / M) | 0 // S < 2^31, so int math is exact
        const r = rest - q * M
        rest = q
        const s = stride[l]
        const base = c - r * s
        for (let a = adjStart[r]; a < adjStart[r + 1]; a++) {
          const n = base + adj[a] * s
          if (dist[n] > nd) {
            dist[n] = nd
            queue[tail++] = n
          }
        }
      }
    }
  }

  private rebuild(): void {
    this.dist.fill(FAR)
    let tail = 0
    for (let i = 0; i < this.size; i++) {
      if (this.counts[i] !== 0) {
        this.dist[i] = 0
        this.queue[tail++] = i
      }
    }
    this.bfs(tail)
    this.stale = false
  }

  nearest(code: Uint32Array): number {
    const i = this.indexAt(code, 0)
    if (this.distinct === 0) return Infinity
    if (this.stale) this.rebuild()
    return this.dist[i]
  }
}

class ScanIndex implements CodeIndex {
  distinct = 0
  private readonly counts = new Map<CodeKey, { code: Uint32Array; n: number }>()
  private packed = new Uint32Array(0) // active distinct codes, W words each
  private stale = false

  constructor(
    private readonly L: number,
    private readonly N: number,
    private readonly k: number,
    private readonly W: number
  ) {}

  check(words: Uint32Array, off: number): void {
    const code = words.subarray(off, off + this.W)
    for (let l = 0; l < this.L; l++) {
      const ones = layerOnes(code, l, this.N)
      if (ones !== this.k) throw new RangeError(`deferral: layer ${l} of the code is not ${this.k}-hot (${ones} ones of N=${this.N})`)
    }
  }

  inc(words: Uint32Array, off: number): void {
    this.check(words, off)
    const key = codeKey(words.subarray(off, off + this.W))
    const e = this.counts.get(key)
    if (e) e.n++
    else {
      this.counts.set(key, { code: words.slice(off, off + this.W), n: 1 })
      this.distinct++
      this.stale = true
    }
  }

  dec(words: Uint32Array, off: number): void {
    const key = codeKey(words.subarray(off, off + this.W))
    const e = this.counts.get(key)
    if (!e) throw new Error(`deferral: internal count underflow at code ${String(key)}`)
    if (--e.n === 0) {
      this.counts.delete(key)
      this.distinct--
      this.stale = true
    }
  }

  nearest(code: Uint32Array, below: number): number {
    this.check(code, 0)
    if (this.stale) {
      this.packed = new Uint32Array(this.distinct * this.W)
      let o = 0
      for (const { code: c } of this.counts.values()) {
        this.packed.set(c, o)
        o += this.W
      }
      this.stale = false
    }
    const { W, packed } = this
    let best = Infinity
    for (let o = 0; o < packed.length; o += W) {
      const d = W === 1 ? popcount32(packed[o] ^ code[0]) : hamming(packed.subarray(o, o + W), code)
      if (d < best) {
        best = d
        if (d === 0 || d < below) break
      }
    }
    return best
  }
}

interface Batch {
  words: Uint32Array // [capacity·W], rows packed back to back
  rows: number
  enabled: boolean
}

export interface DeferralTableJSON {
  version: 1
  L: number
  N: number
  k: number
  /** One entry per batch; words = its rows' codes, W words each, back to back. */
  batches: { owner: number; enabled: boolean; words: number[] }[]
}

export interface DeferralTableOptions {
  /** Largest C(N,k)^L for the dense backend; above it the table scans distinct codes. */
  denseLimit?: number
}

export class DeferralTable {
  readonly W: number
  readonly backend: 'dense' | 'scan'
  private readonly index: CodeIndex
  private readonly batches = new Map<number, Batch>()
  private rows = 0
  private activeRows = 0

  constructor(
    readonly L: number,
    readonly N: number,
    readonly k: number,
    opts: DeferralTableOptions = {}
  ) {
    this.W = codeWords(L, N)
    if (!Number.isInteger(k) || k < 1 || k > N) throw new RangeError(`DeferralTable: k must be an integer in [1, N=${N}], got ${k}`)
    const M = binomial(N, k)
    const S = M ** L
    const limit = opts.denseLimit ?? DEFAULT_DENSE_LIMIT
    // Dense also needs a small neighbour list and distances below FAR.
    const dense = S <= limit && M * k * (N - k) <= limit && 2 * L * Math.min(k, N - k) < FAR
    this.backend = dense ? 'dense' : 'scan'
    this.index = dense ? new DenseIndex(L, N, k, S) : new ScanIndex(L, N, k, this.W)
  }

  /** Rows stored, in enabled and disabled batches. */
  get size(): number {
    return this.rows
  }
  /** Rows in enabled batches. */
  get activeSize(): number {
    return this.activeRows
  }
  /** Distinct codes among rows of enabled batches. */
  get distinctCount(): number {
    return this.index.distinct
  }

  /** Batch ids in insertion order. */
  owners(): number[] {
    return [...this.batches.keys()]
  }

  /** Appends one row's code to batch `owner` (created enabled if new). O(L) + see header. */
  add(owner: number, code: Uint32Array): void {
    checkCodeShape(code, this.L, this.N)
    // inc/check validate k-hotness before anything is stored; a bad code leaves no new batch.
    if (!this.batches.has(owner)) this.index.check(code, 0)
    const b = this.batchFor(owner)
    if (b.enabled) {
      this.index.inc(code, 0)
      this.activeRows++
    } else this.index.check(code, 0)
    const { W } = this
    if ((b.rows + 1) * W > b.words.length) {
      const grown = new Uint32Array(Math.max(4 * W, b.words.length * 2))
      grown.set(b.words)
      b.words = grown
    }
    b.words.set(code, b.rows * W)
    b.rows++
    this.rows++
  }

  /** Appends rows; an empty list still creates the batch (so it can be disabled). */
  addRows(owner: number, codes: Iterable<Uint32Array>): void {
    this.batchFor(owner)
    for (const c of codes) this.add(owner, c)
  }

  /** Drops every row of a batch (rollback). Returns the rows removed; 0 for an unknown batch. */
  removeBatch(owner: number): number {
    const b = this.batches.get(owner)
    if (!b) return 0
    if (b.enabled) this.deactivate(b)
    this.batches.delete(owner)
    this.rows -= b.rows
    return b.rows
  }

  /** Keeps a batch's rows but ignores them in queries. Throws for an unknown batch. */
  disableBatch(owner: number): void {
    const b = this.mustGet(owner)
    if (!b.enabled) return
    this.deactivate(b)
    b.enabled = false
  }

  enableBatch(owner: number): void {
    const b = this.mustGet(owner)
    if (b.enabled) return
    for (let o = 0; o < b.rows * this.W; o += this.W) this.index.inc(b.words, o)
    this.activeRows += b.rows
    b.enabled = true
  }

  isBatchEnabled(owner: number): boolean {
    return this.mustGet(owner).enabled
  }

  /** Copies of a batch's codes, in insertion order ([] for an unknown batch). */
  rowsOf(owner: number): Uint32Array[] {
    const b = this.batches.get(owner)
    const out: Uint32Array[] = []
    if (b) for (let o = 0; o < b.rows * this.W; o += this.W) out.push(b.words.slice(o, o + this.W))
    return out
  }

  /** Every row, batch by batch in insertion order. */
  *entries(): IterableIterator<{ owner: number; enabled: boolean; code: Uint32Array }> {
    for (const [owner, b] of this.batches) {
      for (let o = 0; o < b.rows * this.W; o += this.W) yield { owner, enabled: b.enabled, code: b.words.slice(o, o + this.W) }
    }
  }

  /** Minimum Hamming distance from `code` to an active row (even); Infinity if none. */
  nearestDistance(code: Uint32Array): number {
    checkCodeShape(code, this.L, this.N)
    return this.index.nearest(code, 0)
  }

  /** In edit scope iff nearestDistance(code) < eps (elder-spec §3: ε = 12). Empty table → false. */
  inScope(code: Uint32Array, eps: number): boolean {
    if (typeof eps !== 'number' || Number.isNaN(eps)) throw new RangeError(`DeferralTable.inScope: eps must be a number, got ${eps}`)
    checkCodeShape(code, this.L, this.N)
    return this.index.nearest(code, eps) < eps
  }

  toJSON(): DeferralTableJSON {
    const batches = [...this.batches].map(([owner, b]) => ({ owner, enabled: b.enabled, words: Array.from(b.words.subarray(0, b.rows * this.W)) }))
    return { version: 1, L: this.L, N: this.N, k: this.k, batches }
  }

  static fromJSON(json: DeferralTableJSON, opts: DeferralTableOptions = {}): DeferralTable {
    if (json?.version !== 1) throw new RangeError(`DeferralTable.fromJSON: unsupported version ${String(json?.version)}`)
    const t = new DeferralTable(json.L, json.N, json.k, opts)
    for (const { owner, enabled, words } of json.batches) {
      if (t.batches.has(owner)) throw new RangeError(`DeferralTable.fromJSON: batch ${owner} appears twice`)
      if (words.length % t.W !== 0) throw new RangeError(`DeferralTable.fromJSON: batch ${owner} has ${words.length} words, not a multiple of ${t.W}`)
      if (words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) throw new RangeError(`DeferralTable.fromJSON: batch ${owner} has a word that is not a uint32`)
      const all = Uint32Array.from(words)
      t.addRows(owner, [])
      if (!enabled) t.disableBatch(owner)
      for (let o = 0; o < all.length; o += t.W) t.add(owner, all.subarray(o, o + t.W))
    }
    return t
  }

  private batchFor(owner: number): Batch {
    let b = this.batches.get(owner)
    if (!b) {
      if (!Number.isSafeInteger(owner)) throw new RangeError(`DeferralTable: owner must be a safe integer, got ${owner}`)
      b = { words: new Uint32Array(0), rows: 0, enabled: true }
      this.batches.set(owner, b)
    }
    return b
  }

  private mustGet(owner: number): Batch {
    const b = this.batches.get(owner)
    if (!b) throw new RangeError(`DeferralTable: no batch ${owner}`)
    return b
  }

  private deactivate(b: Batch): void {
    for (let o = 0; o < b.rows * this.W; o += this.W) this.index.dec(b.words, o)
    this.activeRows -= b.rows
  }
}
