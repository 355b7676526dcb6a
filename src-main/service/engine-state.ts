// Keeps the engine process's editor equal to what the database says an experiment is: its newest active
// checkpoint (or a fresh editor before any batch) with its disabled batches switched off. The database is the
// truth; the engine is brought to it lazily, before each use, so rollbacks are instant database changes.
import { getExperiment, getModel, latestActiveCheckpoint, listBatches } from '../store'
import { absPath, type Ctx, type LoadedKey } from './context'
import { fail } from './errors'

export function disabledBatchIds(ctx: Ctx, experimentId: number): number[] {
  return listBatches(ctx.db, experimentId).filter((b) => b.state === 'disabled').map((b) => b.id)
}

const sameIds = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** What the engine should hold for `experimentId`, from the database. */
export function wantedKey(ctx: Ctx, experimentId: number): { key: LoadedKey; config: Record<string, unknown>; state: { file: string; sha256: string } | null } {
  const exp = getExperiment(ctx.db, experimentId)
  if (!exp) throw fail('not_found', `experiment ${experimentId} does not exist`)
  const model = getModel(ctx.db, exp.modelId)
  if (!model) throw fail('not_found', `model ${exp.modelId} of experiment ${experimentId} does not exist`)
  const cp = latestActiveCheckpoint(ctx.db, experimentId)
  return {
    key: { experimentId, modelPath: model.path, checkpointId: cp?.id ?? null, disabled: disabledBatchIds(ctx, experimentId) },
    // The engine picks the editor by the config's method; the experiment's column is the truth.
    config: { ...exp.config, method: exp.method },
    state: cp ? { file: absPath(ctx, cp.file), sha256: cp.sha256 } : null
  }
}

/**
 * Brings the engine to the experiment's current state. A corrupt or missing checkpoint fails here with the
 * engine's message (code 'io'), before anything in the database changes.
 */
export async function ensureLoaded(ctx: Ctx, experimentId: number): Promise<void> {
  const want = wantedKey(ctx, experimentId)
  await bringToKey(ctx, want)
  // A threshold applied by scope tuning is in the experiment's config, not in checkpoints written before it.
  await ctx.host.request('tuneScope', { config: want.config })
}

async function bringToKey(ctx: Ctx, want: ReturnType<typeof wantedKey>): Promise<void> {
  const have = ctx.host.alive ? ctx.loaded : null
  const { key } = want
  if (have && have.experimentId === key.experimentId && have.modelPath === key.modelPath && have.checkpointId === key.checkpointId) {
    if (sameIds(have.disabled, key.disabled)) return
    ctx.loaded = null
    await ctx.host.request('setDisabled', { disabled: key.disabled })
    ctx.loaded = key
    return
  }
  ctx.loaded = null
  await ctx.host.request('load', { modelDir: key.modelPath, config: want.config, state: want.state, disabled: key.disabled, renumber: [] })
  ctx.loaded = key
}
