// Apply and replay jobs: batches trained one after another in the engine process, each recorded in one
// transaction (checkpoint row with its sha256 + codes + batch `applied`) once its checkpoint file is on disk.
// Waiting batches (queued by a rollback's replay, or interrupted by a crash) run first, in seq order, then new
// batches are cut from the queue. A cancel puts the running batch back to `queued`; an engine crash leaves it
// `interrupted` (re-runnable) and the previous checkpoint active.
import { readVerified } from '../jobs/checkpoint-file'
import { EngineError } from '../jobs/host'
import type { ApplyEdit, ApplyReply } from '../jobs/protocol'
import type { JobContext, JobOutcome, JobSpec } from '../jobs/queue'
import {
  appendMetrics, batchEdits, countEditsByStatus, createBatchOf, createNextBatch, dissolveBatch, getEdit, getExperiment,
  listBatches, putCodes, recordCheckpoint, recordRunEnvironment, setBatchState, wasApplied, type BatchWithEdits, type Edit
} from '../store'
import { newCheckpointPath, type Ctx } from './context'
import { ensureLoaded, wantedKey } from './engine-state'
import { fail, toServiceError } from './errors'
import { EtaEstimator } from './eta'
import { measure } from './evaluate'

export interface ApplyPlan {
  experimentId: number
  batchSize: number
  /** Batches to run, waiting ones included; null = until the queue is empty. */
  batches: number | null
  /**
   * Replay: exactly these batches (the ones a revert-only queued again), cut no new ones. A batch waiting for any
   * other reason (a cancel) is not part of the history being replayed and keeps waiting. null: an apply.
   */
  replay: ReadonlySet<number> | null
  /** Apply exactly these queued edits as one batch (the analyst's selection); null: cut batches of batchSize. */
  selection?: readonly number[]
  /** Batches to switch off again once replayed (they were disabled before the rollback that queued them). */
  redisable: ReadonlySet<number>
}

const waiting = (b: BatchWithEdits): boolean => b.state === 'queued' || b.state === 'interrupted'

/**
 * A waiting batch that was never applied (cancelled, or interrupted by a crash) and whose size is not the one asked
 * for now: the analyst changed the batch size since it was cut, so it is cut again (issue 13). A batch waiting for
 * a replay keeps its edits, since it re-creates history as it was.
 */
const recut = (ctx: Ctx, plan: ApplyPlan, b: BatchWithEdits): boolean =>
  plan.replay === null && b.editIds.length !== plan.batchSize && !wasApplied(ctx.db, b.id)

/** The batches the plan runs before it cuts new ones, in seq order. */
function pendingBatches(ctx: Ctx, plan: ApplyPlan): BatchWithEdits[] {
  const all = listBatches(ctx.db, plan.experimentId).filter(waiting)
  return plan.replay === null ? all : all.filter((b) => plan.replay?.has(b.id))
}

/** Edits the plan will train, for the progress bar. */
function plannedEdits(ctx: Ctx, plan: ApplyPlan): number {
  if (plan.selection) return plan.selection.length
  const pending = pendingBatches(ctx, plan).filter((b) => !recut(ctx, plan, b))
  let budget = plan.batches ?? Infinity
  let total = 0
  for (const b of pending) {
    if (budget-- <= 0) return total
    total += b.editIds.length
  }
  if (plan.replay !== null) return total
  const inPending = pending.reduce((a, b) => a + b.editIds.length, 0)
  const unbatched = countEditsByStatus(ctx.db, plan.experimentId).queued - inPending
  return total + Math.min(unbatched, budget * plan.batchSize)
}

/**
 * Refuses an apply or an evaluation up front, as a request error (code io), when the checkpoint the engine would have
 * to load is missing or changed since it was recorded. The job would fail on it anyway; refused here, the caller
 * learns it is the workspace's file to restore or revert (the CLI exits 2), not a failed job. Skipped when the
 * engine already holds that state, so it costs one read of the file only when the engine would read it too.
 */
export function checkLoadable(ctx: Ctx, experimentId: number): void {
  const want = wantedKey(ctx, experimentId)
  const have = ctx.host.alive ? ctx.loaded : null
  if (!want.state || (have?.experimentId === experimentId && have.checkpointId === want.key.checkpointId)) return
  readVerified(want.state.file, want.state.sha256)
}

export function applyJob(ctx: Ctx, plan: ApplyPlan): JobSpec {
  return {
    kind: plan.replay !== null ? 'replay' : 'apply',
    experimentId: plan.experimentId,
    editsTotal: plannedEdits(ctx, plan),
    run: (job) => ctx.lock.run(() => runApply(ctx, job, plan))
  }
}

/**
 * The next batch to train: a waiting one, else one cut from the queue. The engine is brought to the experiment's
 * state first, so a checkpoint that cannot be loaded (corrupt, missing) refuses the job before a batch is cut and
 * history stays exactly as it was; a batch cut anyway would wait there for a later replay to train it.
 */
async function nextBatch(ctx: Ctx, job: JobContext, plan: ApplyPlan, notes: string[]): Promise<BatchWithEdits | null> {
  if (plan.selection) return selectionBatch(ctx, plan.experimentId, plan.selection, notes)
  let pending = pendingBatches(ctx, plan).at(0)
  if (!pending && (plan.replay !== null || countEditsByStatus(ctx.db, plan.experimentId).queued === 0)) return null
  await ensureLoaded(ctx, plan.experimentId)
  if (pending && recut(ctx, plan, pending)) {
    const note = `batch ${pending.seq} (${pending.editIds.length} edit(s), never applied) was cut again to ${plan.batchSize} per batch`
    dissolveBatch(ctx.db, pending.id, note)
    job.progress({ message: note }, true)
    notes.push(note)
    pending = undefined
  }
  return pending ?? createNextBatch(ctx.db, plan.experimentId, plan.batchSize)
}

/**
 * The selection's batch. Waiting batches never applied go back to the queue first: trained after the selection they
 * would sit before it in history (a lower seq) while built on top of it, and a revert would then undo the wrong
 * batches. A batch waiting for a replay cannot be set aside: the request is refused for it (checkSelection).
 */
async function selectionBatch(ctx: Ctx, experimentId: number, editIds: readonly number[], notes: string[]): Promise<BatchWithEdits> {
  await ensureLoaded(ctx, experimentId)
  for (const b of listBatches(ctx.db, experimentId).filter(waiting)) {
    const note = `batch ${b.seq} (${b.editIds.length} edit(s), never applied) went back to the queue`
    dissolveBatch(ctx.db, b.id, `${note}: a selection was applied`)
    notes.push(note)
  }
  return createBatchOf(ctx.db, experimentId, editIds)
}

/**
 * Refuses a selection up front, naming the edit, when one cannot be claimed (not queued, or in a batch that is not a
 * waiting batch never applied), or when a batch waits for a replay (see selectionBatch). The job checks again.
 */
export function checkSelection(ctx: Ctx, experimentId: number, editIds: readonly number[]): void {
  const batches = listBatches(ctx.db, experimentId)
  const replays = batches.filter((b) => waiting(b) && wasApplied(ctx.db, b.id))
  if (replays.length > 0) {
    throw fail('conflict', `batch ${replays.map((b) => b.seq).join(', ')} wait(s) to be replayed after a revert-only; apply them first (Apply next batch), then the selection`)
  }
  const batchOf = new Map(batches.flatMap((b) => b.editIds.map((id) => [id, b] as const)))
  for (const id of editIds) {
    const e = getEdit(ctx.db, id)
    if (!e || e.experimentId !== experimentId) throw fail('not_found', `edit ${id} is not in experiment ${experimentId}`)
    const b = batchOf.get(id)
    if (e.status !== 'queued' || (b && !waiting(b))) {
      throw fail('conflict', `edit ${id} is ${b ? `in batch ${b.seq} (${b.state})` : e.status}; only queued edits no batch has run can be applied as a selection`)
    }
  }
}

async function runApply(ctx: Ctx, job: JobContext, plan: ApplyPlan): Promise<JobOutcome> {
  let done = 0
  let applied = 0
  /** What the analyst should read in the job's last message besides the count (a batch cut again). */
  const notes: string[] = []
  // Counted again now: the queue may have changed while the job waited its turn.
  let total = plannedEdits(ctx, plan)
  job.progress({ editsTotal: total }, true)
  const eta = new EtaEstimator(total)
  /** Seconds spent in finished batches' training (loading the engine is not a step, so it stays out of the mean). */
  let trainedS = 0
  for (let budget = plan.batches ?? Infinity; budget > 0; budget--) {
    if (job.signal.aborted) return { state: 'cancelled', message: `cancelled after ${applied} batch(es)` }
    const batch = await nextBatch(ctx, job, plan, notes)
    if (!batch) break
    const t0 = performance.now()
    let steps = 0
    const r = await trainBatch(ctx, job, plan, batch, (step, maxSteps) => {
      steps = step
      const elapsedS = trainedS + (performance.now() - t0) / 1000
      return eta.estimate({ elapsedS, step, maxSteps, batchEdits: batch.editIds.length })
    })
    if (r) return r
    trainedS += (performance.now() - t0) / 1000
    eta.batchDone(steps, batch.editIds.length)
    applied++
    done += batch.editIds.length
    total = Math.max(total, done)
    eta.setTotal(total)
    job.progress({ editsDone: done, editsTotal: total, batchEdits: 0 }, true)
    // A replay restores history; only new edits bring an evaluation due.
    if (plan.replay === null && (await evaluateIfDue(ctx, job, plan.experimentId, batch.editIds.length)) === 'cancelled') {
      return { state: 'cancelled', message: `cancelled during the evaluation after ${applied} batch(es); the batches are applied` }
    }
  }
  const summary = applied === 0 ? 'nothing to apply: the queue is empty' : `${applied} batch(es) applied, ${done} edit(s)`
  return { state: 'done', message: [summary, ...notes].join('; ') }
}

/** Trains one batch; null when it was applied, else the job's outcome. */
async function trainBatch(
  ctx: Ctx, job: JobContext, plan: ApplyPlan, batch: BatchWithEdits, eta: (step: number, maxSteps: number) => number | null
): Promise<JobOutcome | null> {
  const { db } = ctx
  const edits = batchEdits(db, batch.id)
  db.transaction(() => {
    if (batch.state === 'interrupted') setBatchState(db, batch.id, 'queued', { reason: 're-run after interruption' })
    setBatchState(db, batch.id, 'training')
  })()
  changed(ctx, plan.experimentId)
  job.progress({ step: 0, loss: null, batchEdits: edits.length, message: `batch ${batch.seq}: ${edits.length} edit(s)` }, true)
  const cp = newCheckpointPath(ctx, plan.experimentId, batch.id)
  let reply: ApplyReply
  try {
    reply = await ctx.host.request(
      'apply',
      { batchId: batch.id, edits: edits.map(applyEdit), checkpointFile: cp.abs },
      {
        signal: job.signal,
        onProgress: (p) => job.progress({ step: p.step, maxSteps: p.maxSteps, loss: p.loss, etaS: eta(p.step, p.maxSteps) })
      }
    )
  } catch (e) {
    return settleFailure(ctx, plan, batch, e)
  }
  try {
    const checkpoint = db.transaction(() => {
      const row = recordCheckpoint(db, {
        experimentId: plan.experimentId, afterBatchId: batch.id, file: cp.rel, sha256: reply.checkpoint.sha256, bytes: reply.checkpoint.bytes
      })
      // Methods without allocation codes (the baselines) reply with none.
      if (reply.codes.length > 0) {
        putCodes(db, batch.id, edits.map((e, i) => ({
          editId: e.id, code: Uint32Array.from(reply.codes[i]), preset: Uint32Array.from(reply.presets[i])
        })))
      }
      const finalLoss = reply.finalLoss !== null && Number.isFinite(reply.finalLoss) ? reply.finalLoss : undefined
      setBatchState(db, batch.id, 'applied', { steps: reply.steps, wallMs: reply.wallMs, finalLoss })
      // The s/edit curve: one point per batch, at the applied-edit count it brought the experiment to.
      appendMetrics(db, plan.experimentId, [{
        batchId: batch.id, editCount: countEditsByStatus(db, plan.experimentId).applied, name: 's_per_edit', value: reply.wallMs / 1000 / edits.length
      }])
      recordRunEnvironment(db, plan.experimentId, { backend: ctx.host.backend ?? 'unknown', appVersion: ctx.version })
      if (plan.redisable.has(batch.id)) setBatchState(db, batch.id, 'disabled', { reason: 'replayed; it was disabled before the rollback' })
      return row
    })()
    // The engine holds exactly the state just recorded (a re-disabled batch is synced on next use).
    const loaded = ctx.loaded
    if (loaded) ctx.loaded = { ...loaded, checkpointId: checkpoint.id }
  } catch (e) {
    ctx.loaded = null
    setBatchState(db, batch.id, 'failed', { error: `could not record the batch: ${toServiceError(e).message}` })
    changed(ctx, plan.experimentId)
    throw e
  }
  changed(ctx, plan.experimentId)
  return null
}

/**
 * The evaluation cadence: after a batch that took the applied-edit count across a multiple of the experiment's
 * evalEvery (0 = on demand only), evaluate before the next batch. Replays skip it: they rebuild history already measured.
 */
async function evaluateIfDue(ctx: Ctx, job: JobContext, experimentId: number, batchEdits: number): Promise<'skipped' | 'done' | 'cancelled'> {
  const every = getExperiment(ctx.db, experimentId)?.evalEvery ?? 0
  const after = countEditsByStatus(ctx.db, experimentId).applied
  if (every <= 0 || Math.floor(after / every) <= Math.floor((after - batchEdits) / every)) return 'skipped'
  job.progress({ message: `evaluating at ${after} edit(s)` }, true)
  const r = await measure(ctx, job, experimentId)
  return r === 'cancelled' ? 'cancelled' : 'done'
}

/** A queue row as the engine applies it: the subject and relation go along when the row names them. */
function applyEdit(e: Edit): ApplyEdit {
  return { prompt: e.prompt, target: e.target, ...(e.subject !== null ? { subject: e.subject } : {}), ...(e.relation !== null ? { relation: e.relation } : {}) }
}

function settleFailure(ctx: Ctx, plan: ApplyPlan, batch: BatchWithEdits, e: unknown): JobOutcome {
  const { db } = ctx
  const code = e instanceof EngineError ? e.code : 'internal'
  // The job's error code, as a request would get it: a bad row or config is the user's to fix, a dead engine is not.
  const { code: errorCode, message } = toServiceError(e)
  let outcome: JobOutcome
  if (code === 'cancelled') {
    // The engine restored its editor; the batch goes back to the queue as it was.
    db.transaction(() => {
      setBatchState(db, batch.id, 'interrupted', { error: 'cancelled by the analyst' })
      setBatchState(db, batch.id, 'queued', { reason: 'cancelled by the analyst' })
    })()
    outcome = { state: 'cancelled', message: `batch ${batch.seq} cancelled; it is queued again` }
  } else if (code === 'died') {
    ctx.loaded = null
    setBatchState(db, batch.id, 'interrupted', { error: message })
    outcome = { state: 'failed', message: `batch ${batch.seq} interrupted: ${message}; it will re-run on the next apply`, code: errorCode }
  } else {
    // Training errors (a row too long, a bad config) leave the editor restored; anything else, reload it.
    if (code !== 'rows' && code !== 'config') ctx.loaded = null
    setBatchState(db, batch.id, 'failed', { error: message })
    outcome = { state: 'failed', message: `batch ${batch.seq} failed: ${message}`, code: errorCode }
  }
  changed(ctx, plan.experimentId)
  return outcome
}

function changed(ctx: Ctx, experimentId: number): void {
  ctx.emit({ type: 'batches.changed', experimentId })
  ctx.emit({ type: 'edits.changed', experimentId })
}
