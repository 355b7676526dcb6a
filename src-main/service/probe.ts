// Probe: base vs edited answers for a few prompts, with the allocation code, the nearest stored code and the
// edit that owns it, and whether deferral sent the prompt to the base model.
import type { ProbeResult } from '../../src-preload/contract'
import { getBatch } from '../store'
import type { Ctx } from './context'
import { ensureLoaded } from './engine-state'
import { fail } from './errors'
import { mustExperiment } from './transfer'

/** Greedy tokens generated per answer: enough for a name or a short phrase. */
const PROBE_NEW_TOKENS = 8

export async function probe(ctx: Ctx, experimentId: number, prompts: string[]): Promise<ProbeResult[]> {
  mustExperiment(ctx, experimentId)
  const running = ctx.jobs.current()
  if (running?.state === 'running') {
    throw fail('busy', `job ${running.id} (${running.kind}) is using the engine; probe when it finishes or cancel it`)
  }
  return ctx.lock.run(async () => {
    await ensureLoaded(ctx, experimentId)
    const r = await ctx.host.request('predict', { prompts, maxNewTokens: PROBE_NEW_TOKENS })
    const editIds = new Map<number, number[]>()
    const editAt = (batchId: number, row: number): number | null => {
      let ids = editIds.get(batchId)
      if (!ids) editIds.set(batchId, (ids = getBatch(ctx.db, batchId)?.editIds ?? []))
      return ids[row] ?? null
    }
    return prompts.map((prompt, i) => {
      const e = r.edited[i]
      return {
        prompt,
        base: r.base[i],
        edited: {
          answer: e.answer, top5: e.top5, code: e.code, nearestDistance: e.nearestDistance, deferred: e.deferred,
          nearestEditId: e.nearest ? editAt(e.nearest.batchId, e.nearest.row) : null
        }
      }
    })
  })
}
