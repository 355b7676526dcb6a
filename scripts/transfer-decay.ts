/**
 * Where an edit's rephrases are lost — when it is trained, or later (docs/elder-method.md, "Rehearsing to a
 * margin"): N sequential edits of a suite; right after each edit, and again after all N, the share of its
 * rephrases whose every target token is the argmax when served through that edit's own allocation (the scope
 * decision left out: this measures the adapter, not the radius), and the median margin of the first target token
 * (its logit minus the best other logit). Prints one JSON line.
 *
 *   node --import tsx scripts/transfer-decay.ts [--model DIR] [--suite FILE] [--edits 250] [--config JSON]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import * as tf from '@tensorflow/tfjs'
import { describeBackend, initBackend } from '../src-main/engine/backend'
import type { Code } from '../src-main/engine/elder/codes'
import { ElderEditor } from '../src-main/engine/elder/editor'
import { encodeRows } from '../src-main/engine/elder/rows'
import type { SuiteRecord } from '../src-main/engine/eval/metrics'
import { loadModel } from '../src-main/engine/model/load'
import { intArg } from './int-arg'

const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: 'resources/models/tiny-world' },
    suite: { type: 'string' },
    edits: { type: 'string' },
    config: { type: 'string', default: '{}' }
  }
})
console.error(describeBackend(await initBackend()))
const dir = o.model as string
const base = await loadModel(dir)
const editor = new ElderEditor(base, JSON.parse(o.config as string))
type Rec = SuiteRecord & { subject?: string; relation?: string }
const recs = readFileSync(o.suite ?? `${dir}/edits.jsonl`, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Rec)
  .slice(0, intArg('edits', 250))

/** For record i's rephrases under allocation `code`: right or not, and the first target token's margin. */
function rephrases(i: number, code: Code): Array<{ right: boolean; margin: number }> {
  const r = recs[i]
  const rows = encodeRows(base.tokenizer, r.rephrases.map((prompt) => ({ prompt, target: r.target })), false, base.model.config.nPositions)
  const { B, T } = rows.batch
  const { hidden, query } = editor.prefix(rows)
  const logits = tf.tidy(() => editor.upperLogits(hidden, query, editor.mask(r.rephrases.map(() => code), null), B, T, rows.targetRows))
  const V = logits.shape[1]
  const data = logits.dataSync() as Float32Array
  tf.dispose([hidden, query, logits])
  return rows.spans.map(([s, e]) => {
    let right = true
    for (let t = s; t < e; t++) {
      const row = data.subarray(t * V, (t + 1) * V)
      if (row.indexOf(Math.max(...row)) !== rows.labels[t]) right = false
    }
    const first = data.subarray(s * V, (s + 1) * V)
    const y = rows.labels[s]
    let other = -Infinity
    first.forEach((v, k) => {
      if (k !== y && v > other) other = v
    })
    return { right, margin: first[y] - other }
  })
}

const atEdit: Array<Array<{ right: boolean; margin: number }>> = []
const codes: Code[] = []
for (let i = 0; i < recs.length; i++) {
  const r = recs[i]
  const res = await editor.applyBatch([{ prompt: r.prompt, target: r.target, subject: r.subject, relation: r.relation }])
  codes.push(res.codes[0])
  atEdit.push(rephrases(i, res.codes[0]))
}
const atEnd = recs.map((_, i) => rephrases(i, codes[i]))
const share = (xs: Array<Array<{ right: boolean }>>): number => {
  const all = xs.flat()
  return +((all.filter((x) => x.right).length / all.length) * 100).toFixed(2)
}
const median = (xs: Array<Array<{ margin: number }>>): number => {
  const m = xs.flat().map((x) => x.margin).sort((a, b) => a - b)
  return +m[Math.floor(m.length / 2)].toFixed(2)
}
console.log(
  JSON.stringify({
    edits: recs.length,
    config: JSON.parse(o.config as string),
    rephrases_right_after_own_edit_pct: share(atEdit),
    rephrases_right_after_all_edits_pct: share(atEnd),
    first_token_margin_median_after_own_edit: median(atEdit),
    first_token_margin_median_after_all_edits: median(atEnd)
  })
)
editor.dispose()
base.model.dispose()
