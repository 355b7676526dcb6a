// What every service module shares: the workspace folder and database, the engine host, the job queue, the
// event sink, and what the engine process currently holds.
import { randomBytes } from 'node:crypto'
import { isAbsolute, join } from 'node:path'
import type Database from 'better-sqlite3'
import type { WorkspaceEvent } from '../../src-preload/contract'
import type { EngineHost } from '../jobs/host'
import type { JobQueue } from '../jobs/queue'

/** The database file inside a workspace folder. */
export const DB_FILE = 'workspace.sqlite'
/** Checkpoints live next to the database, one folder per experiment. */
export const CHECKPOINT_DIR = 'checkpoints'

/**
 * Which editor the engine process holds: experiment, model folder, checkpoint (null = fresh editor) and the
 * disabled batches it was told about. null = unknown (no process, or a request failed midway): reload.
 */
export interface LoadedKey {
  experimentId: number
  modelPath: string
  checkpointId: number | null
  disabled: number[]
}

/** Serialises use of the engine's editor between jobs and short requests (probe, rollback syncs). */
export class Lock {
  private tail: Promise<void> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn)
    this.tail = result.then(() => undefined, () => undefined)
    return result
  }
}

export interface Ctx {
  readonly dir: string
  readonly db: Database.Database
  readonly host: EngineHost
  readonly jobs: JobQueue
  readonly lock: Lock
  loaded: LoadedKey | null
  /** The app's version, recorded with each batch an experiment trains (what reproduces a run). */
  readonly version: string
  /** The experiment app.status reports (experiments.select, kept in workspace_state); null = the newest. */
  selected: number | null
  emit(e: WorkspaceEvent): void
}

/** A new checkpoint path for a batch: unique per attempt, so a re-run never overwrites a recorded file. */
export function newCheckpointPath(ctx: Ctx, experimentId: number, batchId: number | null): { rel: string; abs: string } {
  const name = `${batchId === null ? 'base' : `b${batchId}`}-${Date.now()}-${randomBytes(3).toString('hex')}.elder`
  const rel = join(CHECKPOINT_DIR, `e${experimentId}`, name)
  return { rel, abs: join(ctx.dir, rel) }
}

/** Checkpoint paths are stored relative to the workspace folder, so the folder can move. */
export function absPath(ctx: Ctx, file: string): string {
  return isAbsolute(file) ? file : join(ctx.dir, file)
}
