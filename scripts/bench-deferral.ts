/**
 * Deferral table at scale: store --rows random valid codes (L=6, N=4, k=2, the paper's
 * sizes) in ~1000-row batches, then time --queries inScope(code, ε=12) calls on random
 * codes and the removal of one batch (including the next query, which pays any lazy
 * rebuild). Prints one JSON line.
 *
 *   node --import tsx scripts/bench-deferral.ts [--rows 1000000] [--queries 1000000] [--scan]
 */
import { performance } from 'node:perf_hooks'
import { intArg } from './int-arg'
import { packCode } from '../src-main/engine/elder/codes'
import { DeferralTable } from '../src-main/engine/elder/deferral'
import { Prng } from '../src-main/engine/prng'

const L = 6
const N = 4
const K = 2
const EPS = 12 // elder-spec §3
const BATCH_ROWS = 1000

const rows = intArg('rows', 1_000_000)
const queries = intArg('queries', 1_000_000)
const scan = process.argv.includes('--scan')

// Pre-draw all codes as one word each so the timed loops measure only the table.
const rng = new Prng(20250101)
const PAIRS: number[][] = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]] // the 6 = C(4,2) allocations
const PAIR_WORDS = PAIRS.map((p) => packCode([p], 1, N)[0])
function randomWord(): number {
  let w = 0
  for (let l = 0; l < L; l++) w |= PAIR_WORDS[rng.int(PAIRS.length)] << (l * N)
  return w >>> 0
}
const rowWords = Uint32Array.from({ length: rows }, randomWord)
const queryWords = Uint32Array.from({ length: queries }, randomWord)

const table = new DeferralTable(L, N, K, scan ? { denseLimit: 0 } : {})
const buf = new Uint32Array(1) // add() copies, so one buffer serves every call

let t0 = performance.now()
for (let i = 0; i < rows; i++) {
  buf[0] = rowWords[i]
  table.add(Math.floor(i / BATCH_ROWS), buf)
}
const addMs = performance.now() - t0

// Warm-up (JIT), then the timed pass.
let hits = 0
for (let i = 0; i < Math.min(queries, 10_000); i++) {
  buf[0] = queryWords[i]
  if (table.inScope(buf, EPS)) hits++
}
hits = 0
t0 = performance.now()
for (let i = 0; i < queries; i++) {
  buf[0] = queryWords[i]
  if (table.inScope(buf, EPS)) hits++
}
const queryMs = performance.now() - t0

const distinct = table.distinctCount
const owners = table.owners()
const victim = owners[Math.floor(owners.length / 2)]
t0 = performance.now()
const removed = table.removeBatch(victim)
buf[0] = queryWords[0]
table.inScope(buf, EPS) // pays the lazy rebuild, if the removal emptied any code
const removeMs = performance.now() - t0

// Worst case for removal: a table where the removed batch owns codes no one else has,
// so the next query rebuilds the whole distance transform.
const small = new DeferralTable(L, N, K, scan ? { denseLimit: 0 } : {})
for (let i = 0; i < 10 * BATCH_ROWS; i++) {
  buf[0] = randomWord()
  small.add(Math.floor(i / BATCH_ROWS), buf)
}
t0 = performance.now()
small.removeBatch(0)
buf[0] = queryWords[0]
small.inScope(buf, EPS)
const rebuildMs = performance.now() - t0

console.log(
  JSON.stringify({
    rows,
    distinct,
    query_ns_mean: +((queryMs * 1e6) / queries).toFixed(1),
    add_ns_mean: +((addMs * 1e6) / rows).toFixed(1),
    remove_batch_ms: +removeMs.toFixed(3),
    backend: 'js',
    index: table.backend,
    removed_rows: removed,
    in_scope_rate: +(hits / queries).toFixed(4),
    remove_batch_rebuild_ms: +rebuildMs.toFixed(3)
  })
)
