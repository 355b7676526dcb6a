/**
 * How the default scope decision trades generalization against deferral, radius by radius (docs/elder-method.md):
 * store the frozen routing query, base answer and subject of every edit of a suite (no training: the decision only
 * reads the frozen base model), then, for each radius, the share of rephrases whose nearest gated edit is their own
 * within the radius, and the share of unrelated prompts (the suite's locality prompts and a seeded sample of the
 * retention set) deferred. Uses the editor's own prefix, answer and QueryTable code. Prints JSON lines.
 *
 *   node --import tsx scripts/scope-sweep.ts [--model DIR] [--edits 1000] [--sample 3000] [--config JSON]
 *                                            [--suite FILE --retention FILE]   (default: the model folder's own)
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { describeBackend, initBackend } from '../src-main/engine/backend'
import { ElderEditor } from '../src-main/engine/elder/editor'
import { QueryTable, type Gate } from '../src-main/engine/elder/query-table'
import { encodeRows } from '../src-main/engine/elder/rows'
import type { SuiteRecord } from '../src-main/engine/eval/metrics'
import { loadModel } from '../src-main/engine/model/load'
import { Prng } from '../src-main/engine/prng'

const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: 'resources/models/tiny-world' },
    edits: { type: 'string', default: '1000' },
    sample: { type: 'string', default: '3000' },
    config: { type: 'string', default: '{}' },
    suite: { type: 'string' },
    retention: { type: 'string' }
  }
})
console.error(describeBackend(await initBackend()))
const dir = o.model as string
const base = await loadModel(dir)
const editor = new ElderEditor(base, JSON.parse(o.config as string))
type Rec = SuiteRecord & { subject?: string }
const readJsonl = (f: string): Rec[] => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec)
const recs = readJsonl(o.suite ?? `${dir}/edits.jsonl`).slice(0, Number(o.edits))
const retention = readJsonl(o.retention ?? `${dir}/retention.jsonl`)
const rng = new Prng(7)
const sample = Array.from({ length: Number(o.sample) }, () => retention[rng.int(retention.length)].prompt)

/** Frozen routing query and base answer of each prompt, in chunks. */
function keys(prompts: string[]): { queries: Float32Array[]; answers: Int32Array } {
  const queries: Float32Array[] = []
  const answers: number[] = []
  for (let i = 0; i < prompts.length; i += 256) {
    const chunk = prompts.slice(i, i + 256).map((prompt) => ({ prompt, target: 'x' }))
    const rows = encodeRows(base.tokenizer, chunk, false, base.model.config.nPositions)
    const { hidden, query } = editor.prefix(rows)
    const q = query.dataSync() as Float32Array
    const D = query.shape[1]
    for (let b = 0; b < chunk.length; b++) queries.push(q.slice(b * D, (b + 1) * D))
    answers.push(...editor.baseAnswers(hidden, rows.batch.B, rows.batch.T, rows.lastPrompt))
    tf.dispose([hidden, query])
  }
  return { queries, answers: Int32Array.from(answers) }
}

const E = keys(recs.map((r) => r.prompt))
const table = new QueryTable(base.model.config.nEmbd)
table.add(1, E.queries, recs.map((r, i) => ({ answer: E.answers[i], code: [], prompt: r.prompt, target: r.target, subject: r.subject })))
const c = editor.config
const gate = (answer: number, text: string): Gate => ({
  ...(c.answerGate ? { answer } : {}),
  ...(c.subjectGate ? { text } : {})
})
const rephrases = recs.flatMap((r, i) => r.rephrases.map((p) => ({ prompt: p, own: i })))
const R = keys(rephrases.map((r) => r.prompt))
const near = rephrases.map((r, i) => table.nearest(R.queries[i], gate(R.answers[i], r.prompt)))
const unrelated = [...recs.flatMap((r) => r.locality.map((l) => l.prompt)), ...sample]
const U = keys(unrelated)
const uDist = unrelated.map((p, i) => table.nearest(U.queries[i], gate(U.answers[i], p)).distance)
const pct = (n: number, d: number): number => +((n / d) * 100).toFixed(2)
for (const r of [0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12]) {
  console.log(
    JSON.stringify({
      edits: recs.length,
      radius: r,
      answer_gate: c.answerGate,
      subject_gate: c.subjectGate,
      rephrases_in_scope_own_pct: pct(near.filter((n, i) => n.distance < r && n.row === rephrases[i].own).length, near.length),
      rephrases_in_scope_other_pct: pct(near.filter((n, i) => n.distance < r && n.row !== rephrases[i].own).length, near.length),
      unrelated_deferred_pct: pct(uDist.filter((d) => !(d < r)).length, uDist.length)
    })
  )
}
editor.dispose()
