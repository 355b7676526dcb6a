// Evaluate job: reliability, generalization and locality on the experiment's applied edits, and retention on the
// model folder's retention.jsonl when it has one, appended to the metrics table at the current edit count (exact
// match and token accuracy), and each applied edit's health. Apply jobs call measure() at the experiment's cadence.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { importFile } from '../importers'
import { EngineError } from '../jobs/host'
import type { JobContext, JobOutcome, JobSpec } from '../jobs/queue'
import type { PromptTarget, ScoreMsg, SuiteItem } from '../jobs/protocol'
import {
  appendMetrics, getExperiment, getModel, listBatches, listEdits, recordEditHealth, type Edit, type MetricInput
} from '../store'
import type { Ctx } from './context'
import { ensureLoaded } from './engine-state'
import { fail } from './errors'

/**
 * Items scored per set. Evaluation is for the learning curve, not the paper's table: 500 evenly spaced items
 * keep a tiny-world evaluation to seconds while the curve stays smooth.
 */
export const EVAL_SAMPLE = 500

/** Every `n/limit`-th item, first one included: deterministic, so successive points compare like with like. */
export function evenSample<T>(items: readonly T[], limit: number): T[] {
  if (items.length <= limit) return [...items]
  return Array.from({ length: limit }, (_, i) => items[Math.floor((i * items.length) / limit)])
}

/** Every edit of the experiment (with `status`, only those) in queue order. */
export function allEdits(ctx: Ctx, experimentId: number, status?: Edit['status']): Edit[] {
  const out: Edit[] = []
  for (let offset = 0; ; offset += 10_000) {
    const page = listEdits(ctx.db, experimentId, { status, offset, limit: 10_000 })
    out.push(...page.items)
    if (out.length >= page.total || page.items.length === 0) return out
  }
}

const retentionCache = new Map<string, PromptTarget[]>()

/** The model folder's retention prompts (an even sample of EVAL_SAMPLE), read once per folder. */
export async function retentionSet(modelDir: string): Promise<PromptTarget[]> {
  const file = join(modelDir, 'retention.jsonl')
  if (!existsSync(file)) return []
  let items = retentionCache.get(file)
  if (!items) {
    const r = await importFile(file)
    items = evenSample(r.records.map((x) => ({ prompt: x.prompt, target: x.target })), EVAL_SAMPLE)
    retentionCache.set(file, items)
  }
  return items
}

export function evaluateJob(ctx: Ctx, experimentId: number): JobSpec {
  const exp = getExperiment(ctx.db, experimentId)
  if (!exp) throw fail('not_found', `experiment ${experimentId} does not exist`)
  const editsTotal = Math.min(EVAL_SAMPLE, allEdits(ctx, experimentId, 'applied').length)
  return { kind: 'evaluate', experimentId, editsTotal, run: (job) => ctx.lock.run(() => runEvaluate(ctx, job, experimentId)) }
}

async function runEvaluate(ctx: Ctx, job: JobContext, experimentId: number): Promise<JobOutcome> {
  const r = await measure(ctx, job, experimentId)
  if (r === 'nothing') return { state: 'done', message: 'nothing to evaluate: no applied edits and no retention.jsonl in the model folder' }
  if (r === 'cancelled') return { state: 'cancelled', message: 'evaluation cancelled; no metrics recorded' }
  job.progress({ editsDone: r.scored }, true)
  const summary = r.points.filter((p) => !p.name.endsWith(TOKEN_SUFFIX)).map((p) => `${p.name} ${(p.value * 100).toFixed(1)}%`).join(', ')
  return { state: 'done', message: `at ${r.editCount} edit(s): ${summary}` }
}

/** Token-accuracy twin of each exact-match metric: `reliability` → `reliability_token_accuracy`. */
export const TOKEN_SUFFIX = '_token_accuracy'

export interface Measured {
  editCount: number
  /** Sampled edits scored for the set metrics. */
  scored: number
  points: MetricInput[]
  health: { holds: number; checked: number }
}

/**
 * One evaluation of the experiment as it stands, stored: every metric (exact match under its name, token accuracy
 * under name + TOKEN_SUFFIX) at the current applied-edit count, and each applied edit's health (holds / slipped).
 * The caller holds ctx.lock: the evaluate job, or an apply job at its evaluation cadence.
 */
export async function measure(ctx: Ctx, job: JobContext, experimentId: number): Promise<Measured | 'nothing' | 'cancelled'> {
  const exp = getExperiment(ctx.db, experimentId)
  const model = exp && getModel(ctx.db, exp.modelId)
  if (!exp || !model) throw fail('not_found', `experiment ${experimentId} or its model no longer exists`)
  const applied = allEdits(ctx, experimentId, 'applied')
  const records: SuiteItem[] = evenSample(applied, EVAL_SAMPLE)
    .map((e) => ({ prompt: e.prompt, target: e.target, rephrases: e.rephrases, locality: e.locality }))
  const retention = await retentionSet(model.path)
  if (records.length === 0 && retention.length === 0) return 'nothing'
  await ensureLoaded(ctx, experimentId)
  const t0 = performance.now()
  // Health covers every applied edit, not the sample: the queue shows a verdict on each row.
  const health = applied.map((e) => ({ prompt: e.prompt, target: e.target }))
  const r = await ctx.host.request('evaluate', { records, retention, health }, {
    signal: job.signal,
    onProgress: (p) => {
      const s = (performance.now() - t0) / 1000
      // Every chunk scores part of all the sampled edits: the job bar advances them together, as a batch's steps.
      job.progress({ step: p.step, maxSteps: p.maxSteps, batchEdits: records.length, etaS: (s / p.step) * (p.maxSteps - p.step) })
    }
  }).catch((e: unknown) => {
    if (e instanceof EngineError && e.code === 'cancelled') return null
    throw e
  })
  if (r === null) return 'cancelled'
  const lastApplied = listBatches(ctx.db, experimentId).filter((b) => b.state === 'applied').at(-1)
  const at = { batchId: lastApplied?.id ?? null, editCount: applied.length }
  const points: MetricInput[] = []
  const add = (name: string, s: ScoreMsg, value: number | null = s.exactMatch): void => {
    if (s.n > 0 && value !== null) points.push({ ...at, name, value })
  }
  const both = (name: string, s: ScoreMsg): void => {
    add(name, s)
    add(name + TOKEN_SUFFIX, s, s.tokenAccuracy)
  }
  both('reliability', r.reliability)
  both('generalization', r.generalization)
  both('locality', r.locality)
  add('locality_deferred_rate', r.locality, r.locality.deferredRate)
  if (r.retention) {
    both('retention', r.retention.edited)
    both('retention_base', r.retention.base)
  }
  const verdicts = applied.map((e, i) => ({ editId: e.id, holds: r.health[i] === true }))
  ctx.db.transaction(() => {
    appendMetrics(ctx.db, experimentId, points)
    recordEditHealth(ctx.db, experimentId, applied.length, verdicts)
  })()
  ctx.emit({ type: 'metrics.changed', experimentId })
  ctx.emit({ type: 'edits.changed', experimentId })
  const holds = verdicts.filter((v) => v.holds).length
  return { editCount: applied.length, scored: records.length, points, health: { holds, checked: verdicts.length } }
}
