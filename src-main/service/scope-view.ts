// The engine's scope explanation (engine/methods/scope.ts) in the queue's terms: stored rows become edit ids with
// their prompt and target, engine batch ids become the batch numbers the history shows, and one sentence says why.
import type Database from 'better-sqlite3'
import type { NearEditView, ScopeView } from '../../src-preload/contract'
import type { ScopeExplanation, ScopeMeasure } from '../engine/methods/scope'
import { getBatch, getEdit, type BatchWithEdits } from '../store'

/** Cosine distances need three decimals to compare with a radius of 0.08; Hamming distances are whole numbers. */
export function formatDistance(measure: ScopeMeasure, d: number): string {
  // Float rounding puts an edit's own distance a hair below zero: "-0.000" would only puzzle.
  return measure === 'code-hamming' ? String(d) : d.toFixed(3).replace(/^-(0\.0+)$/, '$1')
}

/** Looks batches up once per request. */
export function batchLookup(db: Database.Database): (batchId: number) => BatchWithEdits | null {
  const seen = new Map<number, BatchWithEdits | null>()
  return (batchId) => {
    if (!seen.has(batchId)) seen.set(batchId, getBatch(db, batchId))
    return seen.get(batchId) ?? null
  }
}

const GATE_NAMES: Record<string, string> = { answer: 'answer gate', subject: 'subject gate', relation: 'relation gate', query: 'query radius' }

export function scopeView(db: Database.Database, s: ScopeExplanation, batch = batchLookup(db)): ScopeView {
  const nearest = s.nearest.map((n): NearEditView => {
    const b = batch(n.batchId)
    const editId = b?.editIds[n.row] ?? null
    const e = editId === null ? null : getEdit(db, editId)
    return {
      editId, batchSeq: b?.seq ?? null, prompt: e?.prompt ?? '', target: e?.target ?? '', distance: n.distance,
      enabled: n.enabled, failedGates: n.failedGates, relation: e?.relation ?? null
    }
  })
  return {
    measure: s.measure, distance: s.distance, threshold: s.threshold, inScope: s.inScope, reason: s.reason,
    summary: summary(s, s.disabledBatch === null ? null : (batch(s.disabledBatch)?.seq ?? s.disabledBatch), nearest),
    failedGates: s.failedGates, relation: s.relation ?? null, nearest, allocation: s.allocation
  }
}

/** A gate failure: for a near edit (within the threshold), or for every stored edit (then the nearest is far too). */
function gateSentence(s: ScopeExplanation, nearest: NearEditView[]): string {
  const gates = s.failedGates.map((g) => GATE_NAMES[g] ?? g).join(' and ')
  const n = nearest.find((x) => x.enabled && x.failedGates.length > 0)
  if (!n || s.threshold === null) return `deferred: ${gates} failed`
  const d = formatDistance(s.measure, n.distance)
  const t = formatDistance(s.measure, s.threshold)
  const edit = `edit #${n.editId ?? '?'}`
  // The relation gate names both relations: what the prompt reads as, and what the edit is about.
  const relations = n.failedGates.includes('relation') && s.relation && n.relation ? `; of the edited relations the prompt reads as ${s.relation}, the edit is ${n.relation}` : ''
  return n.distance < s.threshold
    ? `deferred: ${gates} failed for ${edit} (distance ${d} < threshold ${t}${relations})`
    : `deferred: no stored edit passes the ${gates}; the nearest, ${edit}, is at distance ${d} ≥ threshold ${t}`
}

/** One sentence: the decision, then the evidence (distance against threshold, the gate, the batch). */
function summary(s: ScopeExplanation, disabledSeq: number | null, nearest: NearEditView[]): string {
  const first = nearest[0]
  const d = (x: number): string => formatDistance(s.measure, x)
  const vs = s.distance !== null && s.threshold !== null ? `distance ${d(s.distance)}` : ''
  const edit = first?.editId != null ? ` (edit #${first.editId})` : ''
  switch (s.reason) {
    case 'in_scope':
      return s.threshold === null ? `in scope${edit}` : `in scope: ${vs} < threshold ${d(s.threshold)}${edit}`
    case 'too_far':
      return s.threshold === null || s.distance === null
        ? 'deferred: no stored edit is near'
        : `deferred: ${vs} ≥ threshold ${d(s.threshold)}`
    case 'gate_failed':
      return gateSentence(s, nearest)
    case 'batch_disabled':
      return `deferred: batch ${disabledSeq} disabled`
    case 'no_edits':
      return 'deferred: no edits stored'
    case 'editor_disabled':
      return 'deferred: the editor is switched off'
    case 'no_scope':
      return 'no scope: every input runs through the edited weights'
  }
}
