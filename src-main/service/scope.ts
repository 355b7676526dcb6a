// Scope tuning and the allocation map for an experiment: the scope distance of its edit prompts, their rephrases
// and unrelated inputs (locality prompts and a sample of the model's retention prompts), what a threshold would
// do (the engine's own decision at that threshold, not a recount of the distances), applying a threshold as a
// recorded config change, and the vectors the renderer lays out in 2-D. Probing a queue row lives here too.
import type { EditProbeView, ExperimentView, ScopeDistancesView, ScopeGroup, ScopeMapView, ScopeTradeoffView } from '../../src-preload/contract'
import { changeExperimentConfig, getEdit, getExperiment, getModel } from '../store'
import type { Ctx } from './context'
import { fail } from './errors'
import { allEdits, evenSample, retentionSet } from './evaluate'
import { predictProbe, withEngine } from './probe'
import { experimentView } from './views'

/** Edits sampled (evenly, in queue order): enough for the histograms' shape, few enough for a second or two. */
const SCOPE_EDITS = 200
/** Rephrases and unrelated inputs of each kind sampled. */
const SCOPE_OTHERS = 300

export type ScopeInputs = Record<ScopeGroup, string[]>

/** The inputs each group holds, deterministic for an experiment's state (the tuning and the trade-off use the same). */
export async function scopeInputs(ctx: Ctx, experimentId: number): Promise<ScopeInputs> {
  const exp = getExperiment(ctx.db, experimentId)
  const model = exp && getModel(ctx.db, exp.modelId)
  if (!exp || !model) throw fail('not_found', `experiment ${experimentId} or its model does not exist`)
  const applied = evenSample(allEdits(ctx, experimentId, 'applied'), SCOPE_EDITS)
  const locality = evenSample(applied.flatMap((e) => e.locality.map((l) => l.prompt)), SCOPE_OTHERS)
  const retention = evenSample((await retentionSet(model.path)).map((r) => r.prompt), SCOPE_OTHERS)
  return {
    edit: applied.map((e) => e.prompt),
    rephrase: evenSample(applied.flatMap((e) => e.rephrases), SCOPE_OTHERS),
    unrelated: [...locality, ...retention]
  }
}

const GROUPS: ScopeGroup[] = ['edit', 'rephrase', 'unrelated']

/** All groups' prompts in one list, and a function splitting per-prompt results back into groups. */
function flatten(inputs: ScopeInputs): { prompts: string[]; split<T>(xs: T[]): Record<ScopeGroup, T[]> } {
  const prompts = GROUPS.flatMap((g) => inputs[g])
  return {
    prompts,
    split<T>(xs: T[]) {
      let at = 0
      const out = {} as Record<ScopeGroup, T[]>
      for (const g of GROUPS) {
        out[g] = xs.slice(at, at + inputs[g].length)
        at += inputs[g].length
      }
      return out
    }
  }
}

export async function scopeDistances(ctx: Ctx, experimentId: number): Promise<ScopeDistancesView> {
  const inputs = await scopeInputs(ctx, experimentId)
  const { prompts, split } = flatten(inputs)
  const r = await withEngine(ctx, experimentId, () => ctx.host.request('scopeSet', { prompts, threshold: null }))
  const byGroup = split(r.points.map((p) => p.distance))
  return { measure: r.threshold.measure, field: r.threshold.field, threshold: r.threshold.value, note: r.threshold.note ?? null, groups: byGroup }
}

/** The engine decides every input again at `threshold` (the decision predict would make), and the service counts. */
export async function scopeTradeoff(ctx: Ctx, experimentId: number, threshold: number): Promise<ScopeTradeoffView> {
  const inputs = await scopeInputs(ctx, experimentId)
  const { prompts, split } = flatten(inputs)
  const r = await withEngine(ctx, experimentId, () => ctx.host.request('scopeSet', { prompts, threshold }))
  if (r.threshold.field === null) throw fail('invalid_request', `this experiment's method has no one scope threshold (${r.threshold.measure})`)
  const byGroup = split(r.points)
  const count = (g: ScopeGroup): number => byGroup[g].filter((p) => p.inScope).length
  return {
    threshold,
    inScope: { edit: count('edit'), rephrase: count('rephrase'), unrelated: count('unrelated') },
    total: { edit: byGroup.edit.length, rephrase: byGroup.rephrase.length, unrelated: byGroup.unrelated.length }
  }
}

/**
 * Saves `threshold` in the experiment's config (the field the engine names) as a recorded config change. The next
 * use of the engine (probe, evaluation, apply) takes it: ensureLoaded sends the config's threshold every time.
 */
export async function applyThreshold(ctx: Ctx, experimentId: number, threshold: number): Promise<ExperimentView> {
  const exp = getExperiment(ctx.db, experimentId)
  if (!exp) throw fail('not_found', `experiment ${experimentId} does not exist`)
  const t = await withEngine(ctx, experimentId, () => ctx.host.request('tuneScope', { config: {} }))
  if (t.field === null) throw fail('invalid_request', `${exp.method} has no one scope threshold to set (${t.measure})`)
  const changed = changeExperimentConfig(ctx.db, experimentId, { [t.field]: threshold }, 'scope tuning: apply threshold')
  return experimentView(ctx.db, changed)
}

export async function scopeMap(ctx: Ctx, experimentId: number): Promise<ScopeMapView> {
  const inputs = await scopeInputs(ctx, experimentId)
  const { prompts, split } = flatten(inputs)
  const r = await withEngine(ctx, experimentId, () => ctx.host.request('scopeMap', { prompts }))
  if (r.feature === null) return { feature: null, points: [], usage: r.usage }
  const vectors = split(r.vectors)
  const points = GROUPS.flatMap((group) => inputs[group].map((text, i) => ({ group, text, vector: vectors[group][i] })))
  return { feature: r.feature, points, usage: r.usage }
}

const same = (a: string, b: string): boolean => a.trim().replace(/\s+/g, ' ') === b.trim().replace(/\s+/g, ' ')

/** A queue row's prompt and its rephrases through the probe: does the edit hold, and do its rephrases? */
export async function probeEdit(ctx: Ctx, experimentId: number, editId: number): Promise<EditProbeView> {
  const edit = getEdit(ctx.db, editId)
  if (!edit || edit.experimentId !== experimentId) throw fail('not_found', `edit ${editId} is not in experiment ${experimentId}`)
  const [own, ...rephrased] = await withEngine(ctx, experimentId, () => predictProbe(ctx, [edit.prompt, ...edit.rephrases]))
  return {
    editId,
    target: edit.target,
    result: own,
    holds: same(own.edited.answer, edit.target),
    rephrases: rephrased.map((r) => ({
      prompt: r.prompt, answer: r.edited.answer, holds: same(r.edited.answer, edit.target), inScope: r.edited.scope.inScope,
      summary: r.edited.scope.summary
    }))
  }
}
