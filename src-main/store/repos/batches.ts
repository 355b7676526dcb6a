import type Database from 'better-sqlite3'
import { must, StoreError } from '../errors'
import type { Batch, BatchState, BatchWithEdits, Edit, EditStatus } from '../types'
import { type EditRow, toEdit } from './edits'
import { logEvent } from './events'
import { nonNegativeInt } from './validate'

/**
 * Allowed batch transitions (architecture.md, "Data that must survive anything"):
 *   queued → training → applied | failed | interrupted
 *   applied → rolled_back | disabled | queued   (queued = replay after an earlier batch was rolled back)
 *   disabled → applied | rolled_back            (re-enable = put its codes back; or undo it for good)
 *   failed | interrupted → queued               (re-run the same batch row)
 *   rolled_back → applied | disabled            (only to undo a rollback: the audited rollback is reversed)
 */
export const BATCH_TRANSITIONS: Readonly<Record<BatchState, readonly BatchState[]>> = {
  queued: ['training'],
  training: ['applied', 'failed', 'interrupted'],
  applied: ['rolled_back', 'disabled', 'queued'],
  disabled: ['applied', 'rolled_back'],
  failed: ['queued'],
  interrupted: ['queued'],
  rolled_back: ['applied', 'disabled']
}

/**
 * What a batch's state means for its edits. An interrupted batch's edits stay queued: the crash was not their
 * fault and the batch will be re-run as is.
 */
const EDIT_STATUS_FOR: Readonly<Record<BatchState, EditStatus>> = {
  queued: 'queued', training: 'queued', interrupted: 'queued',
  applied: 'applied', failed: 'failed', disabled: 'disabled', rolled_back: 'rolled_back'
}

interface BatchRow {
  id: number
  experiment_id: number
  seq: number
  state: BatchState
  created_at: number
  started_at: number | null
  finished_at: number | null
  steps: number | null
  wall_ms: number | null
  error: string | null
  final_loss: number | null
}

function toBatch(r: BatchRow): Batch {
  return {
    id: r.id, experimentId: r.experiment_id, seq: r.seq, state: r.state, createdAt: r.created_at,
    startedAt: r.started_at, finishedAt: r.finished_at, steps: r.steps, wallMs: r.wall_ms, error: r.error,
    finalLoss: r.final_loss
  }
}

function editIdsOf(db: Database.Database, batchId: number): number[] {
  return (db.prepare('SELECT edit_id FROM batch_edits WHERE batch_id = ? ORDER BY row').pluck().all(batchId) as number[])
}

/**
 * Claims the first `size` queued, unbatched edits (queue order) for a new batch with seq = max(seq) + 1.
 * Returns null when nothing is waiting.
 */
export function createNextBatch(db: Database.Database, experimentId: number, size: number): BatchWithEdits | null {
  if (!Number.isInteger(size) || size < 1) throw new StoreError('invalid_input', `size: expected a positive integer, got ${size}`)
  return db.transaction(() => {
    if (!db.prepare('SELECT 1 FROM experiments WHERE id = ?').get(experimentId)) {
      throw new StoreError('not_found', `experiment ${experimentId} does not exist`)
    }
    const editIds = db.prepare(`
      SELECT e.id FROM edits e
      WHERE e.experiment_id = ? AND e.status = 'queued'
        AND NOT EXISTS (SELECT 1 FROM batch_edits be WHERE be.edit_id = e.id)
      ORDER BY e.position LIMIT ?`).pluck().all(experimentId, size) as number[]
    if (editIds.length === 0) return null
    const { seq } = db.prepare('SELECT coalesce(max(seq), 0) + 1 AS seq FROM batches WHERE experiment_id = ?')
      .get(experimentId) as { seq: number }
    const now = Date.now()
    const id = Number(db.prepare("INSERT INTO batches (experiment_id, seq, state, created_at) VALUES (?, ?, 'queued', ?)")
      .run(experimentId, seq, now).lastInsertRowid)
    const link = db.prepare('INSERT INTO batch_edits (batch_id, edit_id, row) VALUES (?, ?, ?)')
    editIds.forEach((editId, row) => link.run(id, editId, row))
    logEvent(db, 'batch.created', 'batch', id, { experimentId, seq, edits: editIds.length }, now)
    return { ...toBatch(must(db.prepare('SELECT * FROM batches WHERE id = ?').get(id) as BatchRow, 'batch', id)), editIds }
  })()
}

export interface TransitionInfo {
  /** Training steps run (on → applied/failed/interrupted). */
  steps?: number
  wallMs?: number
  /** The last step's loss (on → applied). */
  finalLoss?: number
  /** Why it failed (on → failed/interrupted). */
  error?: string
  /** Free-form reason kept in the event (e.g. "rollback of batch 3"). */
  reason?: string
}

/**
 * Moves a batch to `to`, enforcing BATCH_TRANSITIONS, updating its edits' status and timing columns, and
 * logging one event: all in one transaction.
 */
export function setBatchState(db: Database.Database, batchId: number, to: BatchState, info: TransitionInfo = {}): Batch {
  if (!(to in BATCH_TRANSITIONS)) throw new StoreError('invalid_input', `state: unknown batch state ${JSON.stringify(to)}`)
  if (info.steps !== undefined) nonNegativeInt(info.steps, 'steps')
  if (info.wallMs !== undefined) nonNegativeInt(info.wallMs, 'wallMs')
  if (info.finalLoss !== undefined && !(Number.isFinite(info.finalLoss) && info.finalLoss >= 0)) {
    throw new StoreError('invalid_input', `finalLoss: expected a finite number ≥ 0, got ${info.finalLoss}`)
  }
  return db.transaction(() => {
    const cur = toBatch(must(db.prepare('SELECT * FROM batches WHERE id = ?').get(batchId) as BatchRow | undefined, 'batch', batchId))
    const allowed = BATCH_TRANSITIONS[cur.state]
    if (!allowed.includes(to)) {
      throw new StoreError('invalid_transition',
        `batch ${cur.seq} (id ${batchId}) cannot go from ${cur.state} to ${to}; ` +
        `allowed from ${cur.state}: ${allowed.length ? allowed.join(', ') : 'nothing (final state)'}`)
    }
    const now = Date.now()
    const next: Batch = { ...cur, state: to }
    if (to === 'training') Object.assign(next, { startedAt: now, finishedAt: null, error: null })
    if (to === 'applied' || to === 'failed' || to === 'interrupted') {
      if (cur.state === 'training') next.finishedAt = now
      next.steps = info.steps ?? next.steps
      next.wallMs = info.wallMs ?? (cur.startedAt !== null && cur.state === 'training' ? now - cur.startedAt : next.wallMs)
      next.error = to === 'applied' ? null : info.error ?? null
      if (to === 'applied' && cur.state === 'training') next.finalLoss = info.finalLoss ?? null
    }
    // A re-run starts clean; the previous attempt's outcome stays in the event log.
    if (to === 'queued') Object.assign(next, { startedAt: null, finishedAt: null, steps: null, wallMs: null, error: null, finalLoss: null })
    db.prepare(`UPDATE batches SET state = ?, started_at = ?, finished_at = ?, steps = ?, wall_ms = ?, error = ?, final_loss = ? WHERE id = ?`)
      .run(next.state, next.startedAt, next.finishedAt, next.steps, next.wallMs, next.error, next.finalLoss, batchId)
    const status = EDIT_STATUS_FOR[to]
    db.prepare(`UPDATE edits SET status = ?, updated_at = ?
                WHERE id IN (SELECT edit_id FROM batch_edits WHERE batch_id = ?) AND status <> ?`)
      .run(status, now, batchId, status)
    logEvent(db, 'batch.state', 'batch', batchId, {
      from: cur.state, to, seq: cur.seq, experimentId: cur.experimentId,
      ...(info.error !== undefined ? { error: info.error } : {}),
      ...(info.reason !== undefined ? { reason: info.reason } : {})
    }, now)
    return next
  })()
}

/**
 * Startup recovery: a batch still `training` when the app starts belongs to an engine process that died.
 * Each becomes `interrupted` (re-runnable); returns how many.
 */
export function markInterruptedBatches(db: Database.Database, error = 'engine process ended during training'): number {
  return db.transaction(() => {
    const ids = db.prepare("SELECT id FROM batches WHERE state = 'training' ORDER BY id").pluck().all() as number[]
    for (const id of ids) setBatchState(db, id, 'interrupted', { error, reason: 'startup recovery' })
    return ids.length
  })()
}

export function getBatch(db: Database.Database, batchId: number): BatchWithEdits | null {
  const r = db.prepare('SELECT * FROM batches WHERE id = ?').get(batchId) as BatchRow | undefined
  return r ? { ...toBatch(r), editIds: editIdsOf(db, batchId) } : null
}

/** An experiment's batches in seq order, each with its edit ids in row order. */
export function listBatches(db: Database.Database, experimentId: number): BatchWithEdits[] {
  return db.transaction(() => {
    const rows = db.prepare('SELECT * FROM batches WHERE experiment_id = ? ORDER BY seq').all(experimentId) as BatchRow[]
    const links = db.prepare(`SELECT be.batch_id, be.edit_id FROM batch_edits be JOIN batches b ON b.id = be.batch_id
                              WHERE b.experiment_id = ? ORDER BY be.batch_id, be.row`).all(experimentId) as
      { batch_id: number; edit_id: number }[]
    const byBatch = new Map<number, number[]>()
    for (const l of links) {
      const list = byBatch.get(l.batch_id)
      if (list) list.push(l.edit_id)
      else byBatch.set(l.batch_id, [l.edit_id])
    }
    return rows.map((r) => ({ ...toBatch(r), editIds: byBatch.get(r.id) ?? [] }))
  })()
}

/** The full edits of a batch in row order: what the trainer needs. */
export function batchEdits(db: Database.Database, batchId: number): Edit[] {
  return (db.prepare(`SELECT e.* FROM batch_edits be JOIN edits e ON e.id = be.edit_id
                      WHERE be.batch_id = ? ORDER BY be.row`).all(batchId) as EditRow[]).map(toEdit)
}

/**
 * Whether a batch was ever applied, from its audit events. A waiting batch that was is queued for a replay (a
 * revert-only put it back): it must re-run exactly as it was. One that never was is only a cut of the queue.
 */
export function wasApplied(db: Database.Database, batchId: number): boolean {
  return db.prepare(`SELECT 1 FROM events WHERE entity = 'batch' AND entity_id = ? AND kind = 'batch.state'
                     AND json_extract(detail, '$.to') IN ('applied', 'disabled') LIMIT 1`).get(batchId) !== undefined
}

/**
 * Gives a waiting batch that was never applied (cancelled or interrupted) back to the queue: the batch row goes and
 * its edits stay queued and are unbatched again, in their queue positions, ready to be cut to another size. Refused for
 * any batch whose history matters (applied once, or not waiting).
 */
export function dissolveBatch(db: Database.Database, batchId: number, reason: string): void {
  db.transaction(() => {
    const b = getBatch(db, batchId)
    if (!b) throw new StoreError('not_found', `batch ${batchId} does not exist`)
    if ((b.state !== 'queued' && b.state !== 'interrupted') || wasApplied(db, batchId)) {
      throw new StoreError('invalid_transition', `batch ${b.seq} (id ${batchId}) is ${b.state}${b.state === 'queued' ? ' for a replay' : ''}; only a waiting batch never applied can be cut again`)
    }
    // Its edits are queued already (a waiting batch's edits are); the links go with the row (ON DELETE CASCADE).
    db.prepare('DELETE FROM batches WHERE id = ?').run(batchId)
    logEvent(db, 'batch.dissolved', 'batch', batchId, { experimentId: b.experimentId, seq: b.seq, edits: b.editIds, reason })
  })()
}

/**
 * Claims exactly these edits (queued, unbatched, of this experiment) for one new batch, in queue order, with
 * seq = max(seq) + 1: the analyst's selection applied as one batch. Refuses the whole selection, naming the edit,
 * if any one cannot be claimed.
 */
export function createBatchOf(db: Database.Database, experimentId: number, editIds: readonly number[]): BatchWithEdits {
  if (editIds.length === 0) throw new StoreError('invalid_input', 'editIds: expected at least one edit')
  return db.transaction(() => {
    const rows = db.prepare(`
      SELECT e.id, e.experiment_id, e.status, e.position, be.batch_id FROM edits e
      LEFT JOIN batch_edits be ON be.edit_id = e.id WHERE e.id = ?`)
    const found = editIds.map((id) => {
      const r = rows.get(id) as { id: number; experiment_id: number; status: string; position: number; batch_id: number | null } | undefined
      if (!r || r.experiment_id !== experimentId) throw new StoreError('not_found', `edit ${id} is not in experiment ${experimentId}`)
      if (r.status !== 'queued' || r.batch_id !== null) {
        throw new StoreError('not_editable', `edit ${id} is ${r.batch_id !== null ? `in batch id ${r.batch_id}` : r.status}; only queued, unbatched edits can be applied as a selection`)
      }
      return r
    })
    const ordered = [...new Map(found.map((r) => [r.id, r])).values()].sort((a, b) => a.position - b.position).map((r) => r.id)
    const { seq } = db.prepare('SELECT coalesce(max(seq), 0) + 1 AS seq FROM batches WHERE experiment_id = ?')
      .get(experimentId) as { seq: number }
    const now = Date.now()
    const id = Number(db.prepare("INSERT INTO batches (experiment_id, seq, state, created_at) VALUES (?, ?, 'queued', ?)")
      .run(experimentId, seq, now).lastInsertRowid)
    const link = db.prepare('INSERT INTO batch_edits (batch_id, edit_id, row) VALUES (?, ?, ?)')
    ordered.forEach((editId, row) => link.run(id, editId, row))
    logEvent(db, 'batch.created', 'batch', id, { experimentId, seq, edits: ordered.length, selection: true }, now)
    return { ...toBatch(must(db.prepare('SELECT * FROM batches WHERE id = ?').get(id) as BatchRow, 'batch', id)), editIds: ordered }
  })()
}
