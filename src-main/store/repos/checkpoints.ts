import type Database from 'better-sqlite3'
import { must, StoreError } from '../errors'
import type { Checkpoint } from '../types'
import { logEvent } from './events'
import { nonEmpty, nonNegativeInt, sha256Hex } from './validate'

interface CheckpointRow {
  id: number
  experiment_id: number
  after_batch_id: number | null
  file: string
  sha256: string
  bytes: number
  created_at: number
  active: number
}

const toCheckpoint = (r: CheckpointRow): Checkpoint => ({
  id: r.id, experimentId: r.experiment_id, afterBatchId: r.after_batch_id, file: r.file, sha256: r.sha256,
  bytes: r.bytes, createdAt: r.created_at, active: r.active === 1
})

export interface CheckpointInput {
  experimentId: number
  /** null = the base state. */
  afterBatchId: number | null
  /** Path of the already fsynced and renamed file (architecture.md: file first, then the row). */
  file: string
  sha256: string
  bytes: number
  /** Default true. */
  active?: boolean
}

export function recordCheckpoint(db: Database.Database, input: CheckpointInput): Checkpoint {
  const file = nonEmpty(input.file, 'file')
  const sha256 = sha256Hex(input.sha256, 'sha256')
  const bytes = nonNegativeInt(input.bytes, 'bytes')
  return db.transaction(() => {
    if (input.afterBatchId !== null) {
      const b = db.prepare('SELECT experiment_id FROM batches WHERE id = ?').get(input.afterBatchId) as { experiment_id: number } | undefined
      if (!b) throw new StoreError('not_found', `batch ${input.afterBatchId} does not exist`)
      if (b.experiment_id !== input.experimentId) {
        throw new StoreError('invalid_input', `batch ${input.afterBatchId} belongs to experiment ${b.experiment_id}, not ${input.experimentId}`)
      }
    }
    const now = Date.now()
    const active = input.active ?? true
    const id = Number(db.prepare(`INSERT INTO checkpoints (experiment_id, after_batch_id, file, sha256, bytes, created_at, active)
                                  VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(input.experimentId, input.afterBatchId, file, sha256, bytes, now, active ? 1 : 0).lastInsertRowid)
    logEvent(db, 'checkpoint.recorded', 'checkpoint', id, { experimentId: input.experimentId, afterBatchId: input.afterBatchId, file, active }, now)
    return must(getCheckpoint(db, id), 'checkpoint', id)
  })()
}

export function getCheckpoint(db: Database.Database, id: number): Checkpoint | null {
  const r = db.prepare('SELECT * FROM checkpoints WHERE id = ?').get(id) as CheckpointRow | undefined
  return r ? toCheckpoint(r) : null
}

/** Sets a checkpoint's active flag (a rollback deactivates the checkpoints it undoes). */
export function setCheckpointActive(db: Database.Database, id: number, active: boolean): Checkpoint {
  return db.transaction(() => {
    const cur = must(getCheckpoint(db, id), 'checkpoint', id)
    if (cur.active === active) return cur
    db.prepare('UPDATE checkpoints SET active = ? WHERE id = ?').run(active ? 1 : 0, id)
    logEvent(db, active ? 'checkpoint.activated' : 'checkpoint.deactivated', 'checkpoint', id, { experimentId: cur.experimentId })
    return { ...cur, active }
  })()
}

/** The newest active checkpoint: what the engine should load for this experiment. */
export function latestActiveCheckpoint(db: Database.Database, experimentId: number): Checkpoint | null {
  const r = db.prepare('SELECT * FROM checkpoints WHERE experiment_id = ? AND active = 1 ORDER BY id DESC LIMIT 1')
    .get(experimentId) as CheckpointRow | undefined
  return r ? toCheckpoint(r) : null
}

/** The newest checkpoint taken after `afterBatchId` (null = the base state), active or not. */
export function checkpointForBatch(db: Database.Database, experimentId: number, afterBatchId: number | null): Checkpoint | null {
  const r = db.prepare(`SELECT * FROM checkpoints WHERE experiment_id = ? AND after_batch_id IS ? ORDER BY id DESC LIMIT 1`)
    .get(experimentId, afterBatchId) as CheckpointRow | undefined
  return r ? toCheckpoint(r) : null
}

export function listCheckpoints(db: Database.Database, experimentId: number): Checkpoint[] {
  return (db.prepare('SELECT * FROM checkpoints WHERE experiment_id = ? ORDER BY id').all(experimentId) as CheckpointRow[]).map(toCheckpoint)
}
