// Editing metrics (elder-spec.md §5, §9), all by teacher forcing on prompt + " " + target:
//   reliability    — edit prompts → their new target;
//   generalization — rephrases (never trained) → the new target;
//   locality       — unrelated prompts: the edited model's argmax tokens equal the base model's (cached) ones;
//   retention      — accuracy on a general set (the embedded world: all unedited facts), edited vs base.
// Exact match: every target token is the argmax; token accuracy: the fraction that is. Both are reported, with
// the deferral rate and nearest-code distances that the analyst needs to choose ε (§10).
import type { Editor, EditorModel, RowScore } from '../methods/editor'
import { scoreRows } from '../methods/infer'
import type { PromptTarget } from '../elder/rows'

export interface SuiteRecord extends PromptTarget {
  rephrases: string[]
  locality: Array<{ prompt: string; answer: string }>
}

export interface Score {
  n: number
  exact_match: number
  token_accuracy: number
  /** Share of inputs that deferral sent to the base model (null on the base model). */
  deferred_rate: number | null
}

export interface DistanceStats {
  n: number
  mean: number
  /** Count of inputs per nearest distance (key "inf" for an empty table). */
  histogram: Record<string, number>
}

export interface EditMetrics {
  reliability: Score
  generalization: Score
  locality: Score
  retention: { edited: Score; base: Score } | null
  distances: { edit: DistanceStats; rephrase: DistanceStats; locality: DistanceStats } | null
}

function summarise(scores: RowScore[], onBase: boolean): Score {
  const n = scores.length
  if (n === 0) return { n: 0, exact_match: 0, token_accuracy: 0, deferred_rate: null }
  return {
    n,
    exact_match: scores.filter((s) => s.exact).length / n,
    token_accuracy: scores.reduce((a, s) => a + s.tokenAccuracy, 0) / n,
    deferred_rate: onBase ? null : scores.filter((s) => s.deferred).length / n
  }
}

function distances(scores: RowScore[]): DistanceStats {
  const histogram: Record<string, number> = {}
  let sum = 0
  let finite = 0
  for (const s of scores) {
    const key = Number.isFinite(s.nearest) ? String(s.nearest) : 'inf'
    histogram[key] = (histogram[key] ?? 0) + 1
    if (Number.isFinite(s.nearest)) {
      sum += s.nearest
      finite++
    }
  }
  return { n: scores.length, mean: finite ? sum / finite : Infinity, histogram }
}

/** The base model's argmax tokens on each locality item (compare edited predictions against these). */
export function localityReference(base: EditorModel, records: readonly SuiteRecord[]): number[][] {
  const items = records.flatMap((r) => r.locality.map((l) => ({ prompt: l.prompt, target: l.answer })))
  return scoreRows(base, null, items).map((s) => s.predicted)
}

/** Locality: the share of items whose predicted tokens all equal the base model's, and the token-level share. */
function localityScores(edited: RowScore[], reference: number[][]): RowScore[] {
  return edited.map((s, i) => {
    const ref = reference[i]
    const same = s.predicted.filter((t, j) => t === ref[j]).length
    return { ...s, exact: same === ref.length, tokenAccuracy: same / ref.length }
  })
}

export interface EvaluateOptions {
  /** Cached base predictions for the locality items (from localityReference). */
  localityRef: number[][]
  /** General knowledge set for retention, with its base score computed once. */
  retention?: { items: PromptTarget[]; base: Score }
}

/** Metrics of the edited model (editor) — or of the unedited base model (editor null) — on edited records. */
export function evaluateEdits(
  base: EditorModel,
  editor: Editor | null,
  records: readonly SuiteRecord[],
  opts: EvaluateOptions
): EditMetrics {
  const onBase = editor === null
  const prompts = scoreRows(base, editor, records)
  const rephrases = scoreRows(
    base,
    editor,
    records.flatMap((r) => r.rephrases.map((p) => ({ prompt: p, target: r.target })))
  )
  const locItems = records.flatMap((r) => r.locality.map((l) => ({ prompt: l.prompt, target: l.answer })))
  const loc = localityScores(scoreRows(base, editor, locItems), opts.localityRef)
  let retention: EditMetrics['retention'] = null
  if (opts.retention) {
    const edited = onBase ? opts.retention.base : summarise(scoreRows(base, editor, opts.retention.items), false)
    retention = { edited, base: opts.retention.base }
  }
  return {
    reliability: summarise(prompts, onBase),
    generalization: summarise(rephrases, onBase),
    locality: summarise(loc, onBase),
    retention,
    distances: onBase ? null : { edit: distances(prompts), rephrase: distances(rephrases), locality: distances(loc) }
  }
}

/** Accuracy of the base model on a set (retention baseline; also the model's quality gates). */
export function baseScore(base: EditorModel, items: readonly PromptTarget[]): Score {
  return summarise(scoreRows(base, null, items), true)
}
