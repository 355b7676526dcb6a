// Probe: base vs edited answers for a few prompts, with the allocation code, the nearest stored code and the
// edit that owns it, whether deferral sent the prompt to the base model, and why (scope-view.ts).
import type { ProbeResult } from '../../src-preload/contract'
import type { Ctx } from './context'
import { ensureLoaded } from './engine-state'
import { fail } from './errors'
import { batchLookup, scopeView } from './scope-view'
import { mustExperiment } from './transfer'

/** Greedy tokens generated per answer: enough for a name or a short phrase. */
const PROBE_NEW_TOKENS = 8

export async function probe(ctx: Ctx, experimentId: number, prompts: string[]): Promise<ProbeResult[]> {
  return withEngine(ctx, experimentId, () => predictProbe(ctx, prompts))
}

/**
 * Runs `fn` with the engine holding the experiment's current state: refused ('busy') while a job uses the engine,
 * serialised with the jobs and the other short requests otherwise.
 */
export function withEngine<T>(ctx: Ctx, experimentId: number, fn: () => Promise<T>): Promise<T> {
  mustExperiment(ctx, experimentId)
  const running = ctx.jobs.current()
  if (running?.state === 'running') {
    throw fail('busy', `job ${running.id} (${running.kind}) is using the engine; try again when it finishes, or cancel it`)
  }
  return ctx.lock.run(async () => {
    await ensureLoaded(ctx, experimentId)
    return fn()
  })
}

/** The probe of prompts on the loaded editor (call inside withEngine). */
export async function predictProbe(ctx: Ctx, prompts: string[]): Promise<ProbeResult[]> {
  const r = await ctx.host.request('predict', { prompts, maxNewTokens: PROBE_NEW_TOKENS })
  const batch = batchLookup(ctx.db)
  const editAt = (batchId: number, row: number): number | null => batch(batchId)?.editIds[row] ?? null
  return prompts.map((prompt, i) => {
    const e = r.edited[i]
    return {
      prompt,
      base: r.base[i],
      edited: {
        answer: e.answer, top5: e.top5, code: e.code, nearestDistance: e.nearestDistance, deferred: e.deferred,
        nearestEditId: e.nearest ? editAt(e.nearest.batchId, e.nearest.row) : null,
        scope: scopeView(ctx.db, e.scope, batch)
      }
    }
  })
}
