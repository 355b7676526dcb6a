// Sequential-editing benchmark: N edits applied in batches, one after another, then every metric once.
// Used by `elder bench edit` (and later by the UI's method comparison). Timing is per batch, reported per edit.
import * as tf from '@tensorflow/tfjs'
import { backendInfo } from '../backend'
import type { PromptTarget } from '../elder/rows'
import type { Editor, EditorModel } from '../methods/editor'
import { createEditor, type MethodConfig } from '../methods'
import { basePredictions } from './base-cache'
import { evaluateEdits, type EditMetrics, type Score, type SuiteRecord } from './metrics'

/** A registered method's name, or 'base' for the unedited model. */
export type BenchMethod = string

export interface BenchOptions {
  method: BenchMethod
  edits: number
  batchSize: number
  seed: number
  /** The method's settings (`method` is taken from `method`). */
  config?: Record<string, unknown>
  retention?: PromptTarget[]
  /**
   * The paper's protocol (its appendix): the first half of each fact's rephrases are trained with it, and only the
   * second half tests generalization. Off: rephrases are never trained (the harder default).
   */
  trainHalfRephrases?: boolean
  /** Where base-model predictions are cached (null: recompute every run). */
  cacheDir?: string | null
  /** Also measure reliability, generalization and locality of the edits so far every this many edits (0: off). */
  curveEvery?: number
  onProgress?: (p: { done: number; total: number; sPerEdit: number; etaS: number }) => void
}

export interface BenchResult {
  method: BenchMethod
  backend: string
  model: string
  edits: number
  batch_size: number
  protocol: string
  /** The editor's full settings, whatever its method (null for method base; the name predates other methods). */
  elder_config: MethodConfig | null
  reliability_em: number
  reliability_tok: number
  generalization_em: number
  generalization_tok: number
  locality_em: number
  locality_tok: number
  retention_em: number | null
  base_retention_em: number | null
  locality_deferred_rate: number | null
  retention_deferred_rate: number | null
  s_per_edit_mean: number
  s_per_edit_p50: number
  s_per_edit_p95: number
  /** Mean seconds per edit over edits 1–100, 101–200, …: does an edit cost more as history grows? */
  s_per_edit_by_100: number[]
  steps_per_edit_mean: number
  trainable_params: number
  trainable_params_after: number
  peak_rss_mb: number
  /** Peak RSS over RSS at the end of the first batch (warm), in percent. */
  rss_growth_pct: number
  /** Growth of the editor's state file per edit (stored queries, codes, texts), in bytes. */
  state_bytes_per_edit: number
  /** Size of the editor's state file after the last edit (0 for method base). */
  stored_bytes_after: number
  tensors_before: number
  tensors_after: number
  /** Running curve (when curveEvery > 0): metrics over the edits applied so far, and the parameter count then. */
  curve: Array<{ edits: number; reliability_em: number; generalization_em: number; locality_em: number; params: number }>
  metrics: EditMetrics
}

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]
}

/** Number of locality items belonging to the first n records (the reference list is flat, in record order). */
const refCount = (records: readonly SuiteRecord[], n: number): number =>
  records.slice(0, n).reduce((a, r) => a + r.locality.length, 0)

const paramCount = (e: Editor | null): number => e?.paramCount() ?? 0

export async function runEditBench(
  base: EditorModel & { dir: string },
  suite: readonly SuiteRecord[],
  o: BenchOptions
): Promise<BenchResult> {
  if (o.edits < 1 || o.edits > suite.length) {
    throw new Error(`--edits ${o.edits}: the suite has ${suite.length} records`)
  }
  // Under the paper's protocol the first half of each fact's rephrases is trained with it and leaves the test.
  const originals = suite.slice(0, o.edits)
  const half = (r: SuiteRecord): number => (o.trainHalfRephrases ? Math.floor(r.rephrases.length / 2) : 0)
  const records = originals.map((r) => ({ ...r, rephrases: r.rephrases.slice(half(r)) }))
  const trainRows = originals.map((r) => [r, ...r.rephrases.slice(0, half(r)).map((p) => ({ ...r, prompt: p }))])
  const cacheDir = o.cacheDir ?? null
  const localityRef = basePredictions(base, records.flatMap((r) => r.locality.map((l) => ({ prompt: l.prompt, target: l.answer }))), cacheDir).predicted
  let retention: { items: PromptTarget[]; base: Score } | undefined
  if (o.retention?.length) {
    const p = basePredictions(base, o.retention, cacheDir)
    const n = o.retention.length
    retention = {
      items: o.retention,
      base: {
        n,
        exact_match: p.exact.filter(Boolean).length / n,
        token_accuracy: p.tokenAccuracy.reduce((a, b) => a + b, 0) / n,
        deferred_rate: null
      }
    }
  }
  const editor = o.method === 'base' ? null : createEditor(base, { ...o.config, method: o.method, seed: o.seed })
  const params = paramCount(editor)
  const stateBytesBefore = editor ? editor.exportState().length : 0
  const tensorsBefore = tf.memory().numTensors
  // RSS growth is measured from the end of the first batch: before it the wasm heap has not grown to a training
  // step's working set yet, and that one-off growth says nothing about whether memory climbs with history.
  let rssStart = process.memoryUsage().rss
  let peakRss = rssStart
  const perEdit: number[] = []
  let steps = 0
  let evalMs = 0 // time spent on the running curve, kept out of the per-edit timing
  const curve: BenchResult['curve'] = []
  const t0 = performance.now()
  if (editor) {
    for (let i = 0; i < records.length; i += o.batchSize) {
      const batch = records.slice(i, i + o.batchSize)
      const r = await editor.applyBatch(trainRows.slice(i, i + o.batchSize).flat())
      steps += r.steps
      for (let j = 0; j < batch.length; j++) perEdit.push(r.wallMs / 1000 / batch.length)
      if (i === 0) rssStart = process.memoryUsage().rss
      peakRss = Math.max(peakRss, process.memoryUsage().rss)
      const done = i + batch.length
      const every = o.curveEvery ?? 0
      if (every > 0 && Math.floor(done / every) > Math.floor(i / every)) {
        const te = performance.now()
        const m = evaluateEdits(base, editor, records.slice(0, done), { localityRef: localityRef.slice(0, refCount(records, done)) })
        curve.push({
          edits: done,
          reliability_em: m.reliability.exact_match,
          generalization_em: m.generalization.exact_match,
          locality_em: m.locality.exact_match,
          params: paramCount(editor)
        })
        evalMs += performance.now() - te
      }
      const sPer = (performance.now() - t0 - evalMs) / 1000 / done
      o.onProgress?.({ done, total: records.length, sPerEdit: sPer, etaS: sPer * (records.length - done) })
    }
  }
  const tensorsAfter = tf.memory().numTensors
  // What the workspace stores per edit beyond the fixed weights: queries, codes, texts, answers (the state file).
  const stateBytesAfter = editor ? editor.exportState().length : 0
  const stateBytesPerEdit = editor ? (stateBytesAfter - stateBytesBefore) / records.length : 0
  const metrics = evaluateEdits(base, editor, records, { localityRef, retention })
  const result: BenchResult = {
    method: o.method,
    backend: backendInfo().name,
    model: base.dir,
    edits: records.length,
    batch_size: o.batchSize,
    protocol: o.trainHalfRephrases ? 'paper: half of the rephrases trained' : 'rephrases never trained',
    elder_config: editor ? (editor.config as MethodConfig) : null,
    reliability_em: metrics.reliability.exact_match,
    reliability_tok: metrics.reliability.token_accuracy,
    generalization_em: metrics.generalization.exact_match,
    generalization_tok: metrics.generalization.token_accuracy,
    locality_em: metrics.locality.exact_match,
    locality_tok: metrics.locality.token_accuracy,
    retention_em: metrics.retention?.edited.exact_match ?? null,
    base_retention_em: metrics.retention?.base.exact_match ?? null,
    locality_deferred_rate: metrics.locality.deferred_rate,
    retention_deferred_rate: metrics.retention?.edited.deferred_rate ?? null,
    s_per_edit_mean: perEdit.length ? perEdit.reduce((a, b) => a + b, 0) / perEdit.length : 0,
    s_per_edit_p50: quantile(perEdit, 0.5),
    s_per_edit_p95: quantile(perEdit, 0.95),
    s_per_edit_by_100: Array.from({ length: Math.ceil(perEdit.length / 100) }, (_, i) => {
      const xs = perEdit.slice(i * 100, (i + 1) * 100)
      return +(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3)
    }),
    steps_per_edit_mean: editor ? steps / Math.ceil(records.length / o.batchSize) : 0,
    trainable_params: params,
    trainable_params_after: paramCount(editor),
    peak_rss_mb: Math.round(peakRss / 2 ** 20),
    rss_growth_pct: Number((((peakRss - rssStart) / rssStart) * 100).toFixed(1)),
    state_bytes_per_edit: Math.round(stateBytesPerEdit),
    stored_bytes_after: stateBytesAfter,
    tensors_before: tensorsBefore,
    tensors_after: tensorsAfter,
    curve,
    metrics
  }
  editor?.dispose()
  return result
}
