/**
 * The default method's scope decision at scale (QueryTable.nearest with its gates; docs/elder-method.md): store
 * --rows edit rows (random unit queries, d 128 as in the embedded model) in 1,000-row batches, each with a base
 * answer token drawn from --answers distinct tokens and a subject, then time --queries decisions. Three cases:
 * answer gate on with answers spread over --answers tokens, with every row sharing one answer (the gate passes
 * everything: the worst case), and no gate (a plain scan). Prints one JSON line.
 *
 *   node --import tsx scripts/bench-scope.ts [--rows 100000] [--queries 2000] [--answers 2000]
 */
import { performance } from 'node:perf_hooks'
import { intArg } from './int-arg'
import { QueryTable } from '../src-main/engine/elder/query-table'
import { Prng } from '../src-main/engine/prng'

const D = 128
const BATCH_ROWS = 1000

const rows = intArg('rows', 100_000)
const queries = intArg('queries', 2000)
const answers = intArg('answers', 2000)
const rng = new Prng(20261130)
const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next())
const vector = (): Float32Array => Float32Array.from({ length: D }, gauss)

function build(answerOf: () => number): QueryTable {
  const t = new QueryTable(D)
  for (let b = 0; b * BATCH_ROWS < rows; b++) {
    const n = Math.min(BATCH_ROWS, rows - b * BATCH_ROWS)
    const meta = Array.from({ length: n }, (_, i) => ({
      answer: answerOf(),
      code: [0],
      prompt: `prompt ${b}-${i}`,
      target: 't',
      subject: `S${b}x${i}`
    }))
    t.add(b + 1, Array.from({ length: n }, vector), meta)
  }
  return t
}

const qs = Array.from({ length: queries }, vector)
const qAnswers = Array.from({ length: queries }, () => rng.int(answers))
function time(t: QueryTable, gate: (i: number) => Parameters<QueryTable['nearest']>[1]): number {
  for (let i = 0; i < Math.min(50, queries); i++) t.nearest(qs[i], gate(i)) // warm-up (JIT)
  const t0 = performance.now()
  for (let i = 0; i < queries; i++) t.nearest(qs[i], gate(i))
  return (performance.now() - t0) / queries
}

const spread = build(() => rng.int(answers))
const spreadMs = time(spread, (i) => ({ answer: qAnswers[i], text: `What about S1x${i}?` }))
const plainMs = time(spread, () => ({}))
const same = build(() => 0)
const sameMs = time(same, () => ({ answer: 0 }))
console.log(
  JSON.stringify({
    rows,
    queries,
    answer_tokens: answers,
    decision_ms_answer_gate: +spreadMs.toFixed(4),
    decision_ms_one_answer_for_all: +sameMs.toFixed(4),
    decision_ms_no_gate: +plainMs.toFixed(4),
    bytes_per_row_query: D * 4,
    backend: 'js'
  })
)
