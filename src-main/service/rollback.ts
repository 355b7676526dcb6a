// Rollback (architecture.md, issue "Rollback"): three ways back, each one transaction plus one audit event that
// holds what it changed, so that rollback.undo can put it back exactly.
//   revertTo n   — n and every later applied/disabled batch become rolled_back and their checkpoints inactive:
//                  the newest active checkpoint is now the one before n.
//   revertOnly n — the same for n; later batches go back to queued and a replay job re-trains them on top of
//                  the checkpoint before n (previously disabled ones are disabled again once replayed).
//   disable n    — its codes leave the deferral table (its inputs go to the base model); enable puts them back.
// The engine is not touched here: it is brought to the database's state before its next use (engine-state.ts).
import type Database from 'better-sqlite3'
import { z } from 'zod'
import type { BatchView, JobView, UndoView } from '../../src-preload/contract'
import { switchesBatches } from '../engine/methods/configs'
import {
  getBatch, getExperiment, listBatchCodes, listBatches, listCheckpoints, listRecentEvents, logEvent, putCodes,
  setBatchState, setCheckpointActive, type Batch, type BatchState
} from '../store'
import { applyJob } from './apply'
import type { Ctx } from './context'
import { fail } from './errors'
import { batchViews } from './views'

const kept = z.enum(['applied', 'disabled'])
type Kept = z.infer<typeof kept>
const words = z.array(z.number().int().nonnegative())

/** The audit event's detail: enough to undo the operation. Read back from the log through this schema. */
const RollbackRecordSchema = z.object({
  op: z.enum(['revertTo', 'revertOnly', 'disable', 'enable']),
  batchId: z.number().int(),
  seq: z.number().int(),
  /** Batches the operation changed, with the state each had before. */
  batches: z.array(z.object({ id: z.number().int(), seq: z.number().int(), from: kept })),
  /** Checkpoints it deactivated. */
  deactivated: z.array(z.number().int()),
  /** revertOnly: codes of the batches it queued for replay, as they were (the replay replaces them). */
  codes: z.array(z.object({ batchId: z.number().int(), editId: z.number().int(), code: words, preset: words }))
})
type RollbackRecord = z.infer<typeof RollbackRecordSchema>

const ROLLBACK_EVENT = 'rollback'
const UNDO_EVENT = 'rollback.undo'
/** Audit rows searched for the rollback to undo and for batches applied since. */
const EVENT_WINDOW = 10_000

function mustBatch(ctx: Ctx, batchId: number): Batch {
  const b = getBatch(ctx.db, batchId)
  if (!b) throw fail('not_found', `batch ${batchId} does not exist`)
  return b
}

function assertIdle(ctx: Ctx, experimentId: number): void {
  if (ctx.jobs.busy(experimentId)) {
    throw fail('busy', `a job is running or queued for experiment ${experimentId}; wait for it or cancel it before a rollback`)
  }
}

const isKept = (s: BatchState): s is Kept => s === 'applied' || s === 'disabled'

function done(ctx: Ctx, experimentId: number): BatchView[] {
  ctx.emit({ type: 'batches.changed', experimentId })
  ctx.emit({ type: 'edits.changed', experimentId })
  return batchViews(ctx.db, experimentId)
}

/** Marks `from` and every later kept batch rolled_back (or queued, for a replay) and deactivates their checkpoints. */
function cut(ctx: Ctx, op: 'revertTo' | 'revertOnly', target: Batch): RollbackRecord {
  const { db } = ctx
  if (!isKept(target.state)) {
    throw fail('conflict', `batch ${target.seq} is ${target.state}; only applied or disabled batches can be reverted`)
  }
  const affected = listBatches(db, target.experimentId).filter((b) => b.seq >= target.seq && isKept(b.state))
  const ids = new Set(affected.map((b) => b.id))
  const record: RollbackRecord = {
    op, batchId: target.id, seq: target.seq, deactivated: [], codes: [],
    batches: affected.map((b) => ({ id: b.id, seq: b.seq, from: b.state as Kept }))
  }
  for (const cp of listCheckpoints(db, target.experimentId)) {
    if (cp.active && cp.afterBatchId !== null && ids.has(cp.afterBatchId)) {
      setCheckpointActive(db, cp.id, false)
      record.deactivated.push(cp.id)
    }
  }
  const reason = `${op === 'revertTo' ? 'revert to before' : 'revert only'} batch ${target.seq}`
  for (const b of affected) {
    if (op === 'revertTo' || b.id === target.id) {
      setBatchState(db, b.id, 'rolled_back', { reason })
      continue
    }
    for (const c of listBatchCodes(db, b.id)) {
      record.codes.push({ batchId: b.id, editId: c.editId, code: Array.from(c.code), preset: Array.from(c.preset) })
    }
    // disabled → applied → queued: the store has no direct edge, and the replay re-disables it afterwards.
    if (b.state === 'disabled') setBatchState(db, b.id, 'applied', { reason: `${reason}: replay` })
    setBatchState(db, b.id, 'queued', { reason: `${reason}: replay` })
  }
  return record
}

function log(db: Database.Database, experimentId: number, record: RollbackRecord): void {
  logEvent(db, ROLLBACK_EVENT, 'experiment', experimentId, { ...record })
}

export function revertTo(ctx: Ctx, batchId: number): BatchView[] {
  const target = mustBatch(ctx, batchId)
  assertIdle(ctx, target.experimentId)
  ctx.db.transaction(() => log(ctx.db, target.experimentId, cut(ctx, 'revertTo', target)))()
  return done(ctx, target.experimentId)
}

export function revertOnly(ctx: Ctx, batchId: number): JobView {
  const target = mustBatch(ctx, batchId)
  assertIdle(ctx, target.experimentId)
  const record = ctx.db.transaction(() => {
    const r = cut(ctx, 'revertOnly', target)
    log(ctx.db, target.experimentId, r)
    return r
  })()
  const later = record.batches.filter((b) => b.id !== target.id)
  const redisable = new Set(later.filter((b) => b.from === 'disabled').map((b) => b.id))
  // Exactly the batches this rollback took off; one waiting for another reason (cancelled) is not replayed.
  const replay = new Set(later.map((b) => b.id))
  const job = ctx.jobs.enqueue(applyJob(ctx, { experimentId: target.experimentId, batchSize: 1, batches: null, replay, redisable }))
  // Announced after the job, so a window hears that a job holds the engine before it hears the batches changed
  // (and does not re-probe into it: issue 13 bug 6).
  done(ctx, target.experimentId)
  return job
}

export function setEnabled(ctx: Ctx, batchId: number, enabled: boolean): BatchView[] {
  const target = mustBatch(ctx, batchId)
  assertIdle(ctx, target.experimentId)
  const method = getExperiment(ctx.db, target.experimentId)?.method ?? 'elder'
  if (!switchesBatches(method)) {
    throw fail('conflict', `${method} cannot switch off one batch: every batch trains the same weights (revert to a checkpoint instead)`)
  }
  const from: Kept = enabled ? 'disabled' : 'applied'
  if (target.state !== from) {
    throw fail('conflict', `batch ${target.seq} is ${target.state}; only ${from} batches can be ${enabled ? 'enabled' : 'disabled'}`)
  }
  ctx.db.transaction(() => {
    setBatchState(ctx.db, batchId, enabled ? 'applied' : 'disabled', { reason: `${enabled ? 'enable' : 'disable'} batch ${target.seq}` })
    log(ctx.db, target.experimentId, {
      op: enabled ? 'enable' : 'disable', batchId, seq: target.seq, batches: [{ id: batchId, seq: target.seq, from }], deactivated: [], codes: []
    })
  })()
  return done(ctx, target.experimentId)
}

/**
 * Puts a batch back in a state it had before a rollback. rolled_back is final in the store's transition table,
 * which is right for every path but this one (the issue: "every rollback … can itself be undone"); where the
 * table has no edge, the same columns setBatchState writes are set here and the change is logged the same way.
 */
function restoreState(db: Database.Database, batchId: number, to: Kept, reason: string): void {
  const cur = getBatch(db, batchId)
  if (!cur || cur.state === to) return
  setBatchState(db, batchId, to, { reason })
}

/** The newest rollback not undone yet, and why it cannot be undone now (null when it can): "batch 4 was applied after it". */
interface PendingUndo {
  eventId: number
  record: RollbackRecord
  blocked: string | null
}

function pendingUndo(ctx: Ctx, experimentId: number): PendingUndo | null {
  const { db } = ctx
  const events = listRecentEvents(db, { entity: 'experiment', entityId: experimentId, limit: EVENT_WINDOW })
  const undone = new Set(events.filter((e) => e.kind === UNDO_EVENT).map((e) => e.detail.undid))
  const event = events.find((e) => e.kind === ROLLBACK_EVENT && !undone.has(e.id))
  if (!event) return null
  const parsed = RollbackRecordSchema.safeParse(event.detail)
  if (!parsed.success) throw fail('internal', `audit event ${event.id} is not a readable rollback record: ${parsed.error.issues[0].message}`)
  const r = parsed.data
  if (r.op === 'disable' || r.op === 'enable') {
    const b = mustBatch(ctx, r.batchId)
    const left: Kept = r.op === 'disable' ? 'disabled' : 'applied'
    return { eventId: event.id, record: r, blocked: b.state === left ? null : `batch ${b.seq} is ${b.state} now, not ${left}` }
  }
  // A revert is undone only while nothing else was applied on top of it: two histories cannot both be current.
  const involved = new Set(r.batches.map((b) => b.id))
  const since = listRecentEvents(db, { entity: 'batch', limit: EVENT_WINDOW }).find((e) =>
    e.id > event.id && e.kind === 'batch.state' && e.detail.experimentId === experimentId &&
    (e.detail.to === 'applied' || e.detail.to === 'disabled') && e.entityId !== null && !involved.has(e.entityId))
  const blocked = since ? `batch ${String(since.detail.seq)} was applied after it; revert that batch first` : null
  return { eventId: event.id, record: r, blocked }
}

const NOTHING_TO_UNDO = 'no rollback to undo'

/** What rollback.undo would undo now, or why it cannot: the UI disables Undo and says why. */
export function undoable(ctx: Ctx, experimentId: number): UndoView {
  const p = pendingUndo(ctx, experimentId)
  if (!p) return { op: null, seq: null, blocked: NOTHING_TO_UNDO }
  return { op: p.record.op, seq: p.record.seq, blocked: p.blocked }
}

/** Undoes the newest rollback of the experiment that is not undone yet. */
export function undo(ctx: Ctx, experimentId: number): BatchView[] {
  assertIdle(ctx, experimentId)
  const { db } = ctx
  db.transaction(() => {
    const p = pendingUndo(ctx, experimentId)
    if (!p) throw fail('conflict', `experiment ${experimentId} has no rollback to undo`)
    const r = p.record
    const reason = `undo ${r.op} of batch ${r.seq}`
    if (p.blocked !== null) throw fail('conflict', `cannot ${reason}: ${p.blocked}`)
    const involved = new Set(r.batches.map((b) => b.id))
    if (r.op === 'disable' || r.op === 'enable') {
      setBatchState(db, r.batchId, r.batches[0].from, { reason })
    } else {
      const replayed = listCheckpoints(db, experimentId)
        .filter((cp) => cp.active && cp.afterBatchId !== null && involved.has(cp.afterBatchId) && !r.deactivated.includes(cp.id))
      for (const cp of replayed) setCheckpointActive(db, cp.id, false)
      for (const id of r.deactivated) setCheckpointActive(db, id, true)
      for (const b of r.batches) restoreState(db, b.id, b.from, reason)
      const byBatch = new Map<number, RollbackRecord['codes']>()
      for (const c of r.codes) byBatch.set(c.batchId, [...(byBatch.get(c.batchId) ?? []), c])
      for (const [batchId, codes] of byBatch) {
        putCodes(db, batchId, codes.map((c) => ({ editId: c.editId, code: Uint32Array.from(c.code), preset: Uint32Array.from(c.preset) })))
      }
    }
    logEvent(db, UNDO_EVENT, 'experiment', experimentId, { undid: p.eventId, op: r.op, batchId: r.batchId, seq: r.seq })
  })()
  return done(ctx, experimentId)
}
