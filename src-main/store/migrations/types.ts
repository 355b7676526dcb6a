import type Database from 'better-sqlite3'

/**
 * One schema step. `up` runs inside the runner's transaction and must be synchronous: better-sqlite3
 * transactions cannot span an `await` (the runner rejects an `up` that returns a promise).
 */
export interface Migration {
  /** Becomes `PRAGMA user_version` once applied; numbered 10, 20, 30… to leave room for fixes in between. */
  readonly version: number
  readonly name: string
  up(db: Database.Database): void
}
