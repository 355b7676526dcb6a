// Why an input was or wasn't edited, in a form every method can fill: the scope explanation the probe shows and
// the scope distances the threshold tuning plots. Each method reports its own measure (ELDER's query cosine or
// code Hamming distance, GRACE's key distance, MELO's cluster distance); methods without scope say so.
// Plain numbers and strings only (no Infinity): these objects cross the engine process boundary as they are.

/** Why the scope decision came out as it did. */
export type ScopeReason =
  /** The nearest stored edit (that passes the gates) is within the threshold. */
  | 'in_scope'
  /** Edits are stored, the nearest one that passes the gates is at or beyond the threshold. */
  | 'too_far'
  /** The nearest stored edit within the threshold fails a gate (answer token, subject, relation), or every stored edit does. */
  | 'gate_failed'
  /** The input's nearest stored edit within the threshold belongs to a disabled batch. */
  | 'batch_disabled'
  /** No edit is stored (or every stored one is superseded or disabled). */
  | 'no_edits'
  /** The whole editor is switched off. */
  | 'editor_disabled'
  /** The method has no scope: every input runs through the edited weights. */
  | 'no_scope'

/** What the distance is measured in (how the UI labels it). */
export type ScopeMeasure = 'query-cosine' | 'code-hamming' | 'key-euclidean' | 'cluster-euclidean' | 'none'

export interface NearestEdit {
  batchId: number
  /** Row within the batch (the batch's edit order). */
  row: number
  distance: number
  /** False when the row's batch is disabled. */
  enabled: boolean
  /** The gates the row fails for this input (empty: it passes). */
  failedGates: Array<'answer' | 'subject' | 'relation'>
}

export interface ScopeExplanation {
  measure: ScopeMeasure
  /** The distance the decision compared (null: nothing to compare with). */
  distance: number | null
  /** The threshold it was compared with: in scope iff distance < threshold (GRACE, MELO: ≤ the key's own radius). */
  threshold: number | null
  inScope: boolean
  reason: ScopeReason
  /** The disabled batch whose edit would have served the input (reason 'batch_disabled'). */
  disabledBatch: number | null
  /** The gates the nearest row within the threshold failed (reason 'gate_failed'; 'query': ELDER's code+query test). */
  failedGates: Array<'answer' | 'subject' | 'relation' | 'query'>
  /** The nearest stored edit rows, nearest first (at most NEAREST_SHOWN), disabled batches included. */
  nearest: NearestEdit[]
  /** The experts used and their mixing weights, rows × cols row-major (ELDER: L × N; null: no allocation). */
  allocation: { rows: number; cols: number; weights: number[] } | null
  /** The relation the input reads as, when the method has a relation gate (ELDER's default); else absent. */
  relation?: string | null
  /**
   * The factor the tuned threshold carries for this input (threshold = tuned value × scale): ELDER's relationScale
   * when the nearest edit is of the relation the input reads as; absent means 1.
   */
  scale?: number
}

/** The method's threshold the scope tuning moves, and the config field that holds it. */
export interface ScopeThreshold {
  measure: ScopeMeasure
  /** Config field (e.g. 'queryRadius'); null when the threshold is not one number (per-key radii) or absent. */
  field: string | null
  value: number | null
  /** How the tuning view's distances relate to the decision, when not plainly (ELDER's relation gate). */
  note?: string
}

/** One input's scope distance for the tuning histograms, and whether the method's own decision put it in scope. */
export interface ScopePoint {
  distance: number | null
  inScope: boolean
}

/** How many nearest stored edits an explanation lists. */
export const NEAREST_SHOWN = 3

/** Infinity and NaN become null (they do not survive JSON, and "no distance" is what they mean here). */
export const finite = (x: number): number | null => (Number.isFinite(x) ? x : null)

