/**
 * How the default scope decision trades generalization against deferral, radius by radius (docs/elder-method.md):
 * store the frozen routing query, base answer and subject of every edit of a suite (no training: the decision only
 * reads the frozen base model), then, for each radius, the share of rephrases whose nearest gated edit is their own
 * within the radius, and the share of unrelated prompts (the suite's locality prompts and a seeded sample of the
 * retention set) deferred. Uses the editor's own prefix, answers, table, relation classifier, gates and radii. Prints JSON lines.
 *
 *   node --import tsx scripts/scope-sweep.ts [--model DIR] [--edits 1000] [--sample 3000] [--config JSON]
 *                                            [--suite FILE --retention FILE]   (default: the model folder's own)
 *                                            [--calibrate]   (also the rejected per-edit radii, docs/elder-method.md)
 *                                            [--relations a,b]  (only edits of these relations: an analyst who
 *                                                               edits a few relations)
 *                                            [--same-subject]  (unrelated = every retention prompt about an edited
 *                                                               subject: the hardest prompts for the scope)
 * With the relation gate on (the default config), each line also has the radius for an edit of the predicted
 * relation (radius × relationScale) and the relation classifier's accuracy on the rephrases.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { describeBackend, initBackend } from '../src-main/engine/backend'
import { ElderEditor } from '../src-main/engine/elder/editor'
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
    retention: { type: 'string' },
    calibrate: { type: 'boolean', default: false },
    'same-subject': { type: 'boolean', default: false },
    relations: { type: 'string' }
  }
})
console.error(describeBackend(await initBackend()))
const dir = o.model as string
const base = await loadModel(dir)
const editor = new ElderEditor(base, JSON.parse(o.config as string))
type Rec = SuiteRecord & { subject?: string }
const readJsonl = (f: string): Rec[] => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Rec)
const only = o.relations?.split(',')
const recs = readJsonl(o.suite ?? `${dir}/edits.jsonl`)
  .filter((r) => !only || only.includes((r as { relation?: string }).relation ?? ''))
  .slice(0, Number(o.edits))
const retention = readJsonl(o.retention ?? `${dir}/retention.jsonl`)
const rng = new Prng(7)
const sample = Array.from({ length: Number(o.sample) }, () => retention[rng.int(retention.length)].prompt)

/** Frozen routing query, base answer and relation features of each prompt, in chunks. */
function keys(prompts: string[]): { queries: Float32Array[]; answers: Int32Array; features: Float32Array[] } {
  const queries: Float32Array[] = []
  const answers: number[] = []
  const features: Float32Array[] = []
  for (let i = 0; i < prompts.length; i += 256) {
    const chunk = prompts.slice(i, i + 256).map((prompt) => ({ prompt, target: 'x' }))
    const rows = encodeRows(base.tokenizer, chunk, false, base.model.config.nPositions)
    const { hidden, query } = editor.prefix(rows)
    const q = query.dataSync() as Float32Array
    const D = query.shape[1]
    for (let b = 0; b < chunk.length; b++) queries.push(q.slice(b * D, (b + 1) * D))
    const r = editor.baseForward(hidden, rows.batch.B, rows.batch.T, rows.lastPrompt, editor.needsFeatures)
    answers.push(...r.answers)
    features.push(...(r.features ?? []))
    tf.dispose([hidden, query])
  }
  return { queries, answers: Int32Array.from(answers), features }
}

const E = keys(recs.map((r) => r.prompt))
// The editor's own table, classifier, gates and radii: the sweep decides exactly as the editor would.
const table = editor.queries
const relationOf = (r: Rec): string | undefined => (r as { relation?: string }).relation
table.add(1, E.queries, recs.map((r, i) => ({ answer: E.answers[i], code: [], prompt: r.prompt, target: r.target, subject: r.subject, relation: relationOf(r) })))
const c = editor.config
const classifier = editor.relationClassifier()
/** Nearest gated edit, with the relation the input reads as (it decides the radius that edit matches within). */
const decide = (K: ReturnType<typeof keys>, i: number, text: string): { distance: number; row: number; relation: string | null } => {
  const relation = classifier ? classifier.predict(K.features[i]) : null
  const n = table.nearest(K.queries[i], editor.gateFor(c.answerGate ? K.answers[i] : null, text, relation))
  return { ...n, relation }
}
const ownNear = recs.map((r, i) => decide(E, i, r.prompt))
const rephrases = recs.flatMap((r, i) => r.rephrases.map((p) => ({ prompt: p, own: i })))
const R = keys(rephrases.map((r) => r.prompt))
const near = rephrases.map((r, i) => decide(R, i, r.prompt))
const edited = new Set(recs.map((r) => r.subject))
const unrelated = o['same-subject']
  ? retention.filter((r) => r.subject !== undefined && edited.has(r.subject)).map((r) => r.prompt)
  : [...recs.flatMap((r) => r.locality.map((l) => l.prompt)), ...sample]
const U = keys(unrelated)
const uNear = unrelated.map((p, i) => decide(U, i, p))
const pct = (n: number, d: number): number => +((n / d) * 100).toFixed(2)
const within = (n: { distance: number; row: number; relation: string | null }, r: number): boolean =>
  n.row >= 0 && n.distance < editor.matchRadius({ owner: 1, row: n.row }, n.relation, r)
for (const r of [0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12]) {
  console.log(
    JSON.stringify({
      edits: recs.length,
      radius: r,
      answer_gate: c.answerGate,
      subject_gate: c.subjectGate,
      ...(classifier
        ? {
            relation_radius: +(r * c.relationScale).toFixed(4),
            relation_accuracy_pct: pct(rephrases.filter((x, i) => classifier.predict(R.features[i]) === relationOf(recs[x.own])).length, rephrases.length)
          }
        : {}),
      unrelated: unrelated.length,
      edit_prompts_in_scope_pct: pct(ownNear.filter((n, i) => within(n, r) && n.row === i).length, recs.length),
      rephrases_in_scope_own_pct: pct(near.filter((n, i) => within(n, r) && n.row === rephrases[i].own).length, near.length),
      rephrases_in_scope_other_pct: pct(near.filter((n, i) => within(n, r) && n.row !== rephrases[i].own).length, near.length),
      unrelated_deferred_pct: pct(uNear.filter((n) => !within(n, r)).length, uNear.length)
    })
  )
}
if (o.calibrate) {
  // Rejected per-edit radii (docs/elder-method.md): each edit's radius shrinks to beta × the distance to the nearest
  // prompt the gates cannot tell from its rephrases — another relation's template (as seen among the stored edits)
  // filled with this edit's subject, with the same base answer. Built only from the edits, never from eval items.
  const templates = new Map<string, Set<string>>()
  for (const r of recs) {
    const rel = relationOf(r)
    if (!rel || !r.subject || !r.prompt.includes(r.subject)) continue
    templates.set(rel, (templates.get(rel) ?? new Set<string>()).add(r.prompt.replace(r.subject, '\u0000')))
  }
  const negOwner: number[] = []
  const negPrompts: string[] = []
  recs.forEach((r, i) => {
    const rel = relationOf(r)
    if (!rel || !r.subject) return
    for (const [k, set] of templates) {
      if (k === rel) continue
      for (const t of set) {
        negOwner.push(i)
        negPrompts.push(t.replace('\u0000', r.subject))
      }
    }
  })
  const Neg = keys(negPrompts)
  const cosineDistance = (a: Float32Array, b: Float32Array): number => {
    let dot = 0
    for (let d = 0; d < a.length; d++) dot += a[d] * b[d]
    return 1 - dot / (Math.hypot(...a) * Math.hypot(...b))
  }
  const minNeg = new Float64Array(recs.length).fill(Infinity)
  negPrompts.forEach((_, j) => {
    const i = negOwner[j]
    if (Neg.answers[j] === E.answers[i]) minNeg[i] = Math.min(minNeg[i], cosineDistance(E.queries[i], Neg.queries[j]))
  })
  const withNeg = [...minNeg].filter(Number.isFinite).length
  for (const beta of [0.5, 0.75]) {
    const inScope = (d: number, row: number): boolean => row >= 0 && d < Math.min(c.queryRadius, beta * minNeg[row])
    console.log(JSON.stringify({
      edits: recs.length, radius: c.queryRadius, calibrated_beta: beta, negatives: negPrompts.length, edits_with_negative: withNeg,
      rephrases_in_scope_own_pct: pct(near.filter((n, i) => n.row === rephrases[i].own && inScope(n.distance, n.row)).length, near.length),
      unrelated_deferred_pct: pct(uNear.filter((n) => !inScope(n.distance, n.row)).length, uNear.length)
    }))
  }
}
editor.dispose()
