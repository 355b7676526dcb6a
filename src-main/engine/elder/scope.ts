// ELDER's scope explained (methods/scope.ts): the decision route() makes for each prompt, with the evidence a
// person needs to believe it — the distance and the threshold, the nearest stored edits (disabled batches
// included), which gate a near edit failed, and the experts the prompt actually ran through with their weights.
// The decision itself is route()'s own (same prefix, same answers, same gates), so explain() cannot disagree
// with predict() or score(); the extra rows only say why.
import * as tf from '@tensorflow/tfjs'
import { NEAREST_SHOWN, finite, type NearestEdit, type ScopeExplanation, type ScopeReason, type ScopeThreshold } from '../methods/scope'
import { hamming, unpackCode } from './codes'
import type { ElderEditor } from './editor'

/** The threshold tuning moves: the query radius under 'key', ε (Hamming) under the code discriminators. */
export function elderThreshold(editor: ElderEditor): ScopeThreshold {
  const c = editor.config
  if (c.discriminator !== 'key') return { measure: 'code-hamming', field: 'eps', value: c.eps }
  return {
    measure: 'query-cosine',
    field: 'queryRadius',
    value: c.queryRadius,
    ...(c.relationGate
      ? { note: `An edit of the relation a prompt reads as matches within ${c.relationScale} × the radius: its distance is shown divided by ${c.relationScale} (relation gate).` }
      : {})
  }
}

export function setElderThreshold(editor: ElderEditor, value: number): void {
  const field = editor.config.discriminator === 'key' ? 'queryRadius' : 'eps'
  editor.config = { ...editor.config, [field]: value }
}

/** Prefix, routing and mixing weights of prompts, read back once; the tensors are freed before returning. */
function routeOf(editor: ElderEditor, prompts: readonly string[], threshold?: number) {
  const { batch, last, hidden, query } = editor.promptPrefix(prompts)
  try {
    const B = prompts.length
    const { answers, features } = editor.baseFor(hidden, B, batch.T, last)
    const queries = query.dataSync() as Float32Array // [B, D]
    const scores = editor.scores(query) // [B·L·N]
    const routing = editor.route(scores, queries, B, answers, prompts, threshold, features)
    const weights = tf.tidy(() => editor.weights(query, editor.mask(routing.codes, routing.deferred)).dataSync() as Float32Array)
    return { B, D: queries.length / B, queries, answers, scores, routing, weights }
  } finally {
    tf.dispose([hidden, query])
  }
}

export function elderExplain(editor: ElderEditor, prompts: readonly string[], threshold?: number): ScopeExplanation[] {
  const c = editor.config
  const t = threshold ?? elderThreshold(editor).value ?? 0
  const key = c.discriminator === 'key'
  const { B, D, queries, answers, routing, weights } = routeOf(editor, prompts, threshold)
  const L = editor.L
  const N = c.numExperts
  const LN = L * N
  return Array.from({ length: B }, (_, b): ScopeExplanation => {
    const q = queries.subarray(b * D, (b + 1) * D)
    const inScope = !routing.deferred[b]
    let rows: NearestEdit[]
    let distance: number
    const failedQuery: Array<'query'> = []
    const relation = routing.relation[b]
    // Each stored edit is within its own radius of the input: wider for an edit of the relation it reads as (route()).
    let within = (r: NearestEdit): boolean => r.distance < t
    if (key) {
      distance = routing.queryDistance[b]
      rows = editor.queries
        .scan(q, editor.gateFor(answers ? answers[b] : null, prompts[b], relation))
        .map((r) => ({ batchId: r.owner, row: r.row, distance: r.distance, enabled: r.enabled, failedGates: r.failedGates }))
      within = (r) => r.distance < editor.matchRadius({ owner: r.batchId, row: r.row }, relation, t)
    } else {
      distance = routing.nearest[b]
      rows = codeRows(editor, routing.codes[b])
      // 'code+query' also needs the query within queryRadius: a near code with a far query fails that test.
      if (c.discriminator === 'code+query' && distance < t && !(routing.queryDistance[b] < c.queryRadius)) failedQuery.push('query')
    }
    const near = rows.filter(within)
    // A disabled edit's relation is not among those the classifier knows (it is fitted on enabled edits), so its
    // own prompt may read as another relation: only the other gates count against a disabled edit.
    const disabledHit = near.find((r) => !r.enabled && r.failedGates.every((g) => g === 'relation'))
    // A near edit that fails a gate; when no stored edit passes the gates at all (no distance), the nearest one.
    const gateHit =
      near.find((r) => r.enabled && r.failedGates.length > 0) ??
      (distance === Infinity ? rows.find((r) => r.enabled && r.failedGates.length > 0) : undefined)
    let reason: ScopeReason
    if (!editor.enabled) reason = 'editor_disabled'
    else if (inScope) reason = 'in_scope'
    else if (disabledHit) reason = 'batch_disabled'
    else if (gateHit || failedQuery.length > 0) reason = 'gate_failed'
    else if (!rows.some((r) => r.enabled)) reason = 'no_edits'
    else reason = 'too_far'
    const w = Array.from(weights.subarray(b * LN, (b + 1) * LN), (x) => +x.toFixed(6))
    return {
      measure: key ? 'query-cosine' : 'code-hamming',
      distance: finite(distance),
      threshold: key ? routing.threshold[b] : t,
      inScope,
      reason,
      disabledBatch: reason === 'batch_disabled' && disabledHit ? disabledHit.batchId : null,
      failedGates: reason === 'gate_failed' ? (gateHit ? [...gateHit.failedGates] : failedQuery) : [],
      nearest: rows.slice(0, NEAREST_SHOWN),
      allocation: { rows: L, cols: N, weights: w },
      relation,
      ...(key && routing.threshold[b] !== t && t > 0 ? { scale: routing.threshold[b] / t } : {})
    }
  })
}

/** Every stored code's Hamming distance to `code`, disabled batches included, nearest first (row = row in its batch). */
function codeRows(editor: ElderEditor, code: Uint32Array): NearestEdit[] {
  const out: NearestEdit[] = []
  let owner = NaN
  let row = 0
  for (const e of editor.table.entries()) {
    row = e.owner === owner ? row + 1 : 0
    owner = e.owner
    out.push({ batchId: e.owner, row, distance: hamming(code, e.code), enabled: e.enabled, failedGates: [] })
  }
  return out.sort((x, y) => x.distance - y.distance)
}

/** Router scores [L·N] of each prompt: what the routers see, before top-k and before any scope decision. */
export function elderMapVectors(editor: ElderEditor, prompts: readonly string[]): { feature: string; vectors: Float32Array[] } {
  const { B, D, queries, scores } = routeOf(editor, prompts)
  if (editor.config.routing === 'preset') {
    // Preset routing never reads the routers (their scores are an untrained projection), so map what actually
    // separates inputs: the frozen query the scope decision compares, unit-normalised so that the map's Euclidean
    // neighbourhoods are the decision's cosine ones.
    const vectors = Array.from({ length: B }, (_, b) => {
      const q = queries.slice(b * D, (b + 1) * D)
      const n = Math.hypot(...q) || 1
      return q.map((x) => x / n)
    })
    return { feature: `frozen scope queries (block ${editor.queryBlock} output, last prompt token)`, vectors }
  }
  const LN = editor.L * editor.config.numExperts
  return { feature: `router scores (${editor.L}×${editor.config.numExperts})`, vectors: Array.from({ length: B }, (_, b) => scores.slice(b * LN, (b + 1) * LN)) }
}

/** Per layer and expert, how many live stored edits (enabled batches) are allocated to it. */
export function elderUsage(editor: ElderEditor): { rows: number; cols: number; counts: number[] } {
  const N = editor.config.numExperts
  const counts = new Array<number>(editor.L * N).fill(0)
  for (const ref of editor.queries.live()) {
    const code = editor.queries.meta(ref).code
    if (code.length === 0) continue
    unpackCode(Uint32Array.from(code), editor.L, N).forEach((experts, l) => {
      for (const e of experts) counts[l * N + e]++
    })
  }
  return { rows: editor.L, cols: N, counts }
}
