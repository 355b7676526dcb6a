import Database from 'better-sqlite3'
import { migrate, type MigrateOptions } from './migrate'

export interface OpenOptions extends MigrateOptions {
  /** Skip migrations entirely (migration tests drive the runner themselves). */
  migrate?: boolean
}

/**
 * Opens (creating if needed) a workspace database and brings its schema up to date.
 *
 * - journal_mode=WAL: readers (the renderer's list views) never block the writer (a batch finishing), and a
 *   commit is one append to the -wal file. In-memory databases cannot use WAL and report 'memory'.
 * - synchronous=NORMAL: in WAL mode this fsyncs at checkpoints instead of at every commit. An application or
 *   engine crash loses nothing committed; only a power cut can lose the last few commits, and never corrupts
 *   the file. FULL would fsync every commit, too slow for per-edit queue changes on laptop disks.
 * - foreign_keys=ON: SQLite leaves them off per connection by default; our CASCADE rules depend on them.
 * - busy_timeout: the CLI and the app may open the same workspace; wait briefly rather than fail at once.
 */
export function openWorkspaceDb(file: string, opts: OpenOptions = {}): Database.Database {
  const db = new Database(file)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('busy_timeout = 5000')
    if (opts.migrate !== false) migrate(db, opts)
    return db
  } catch (e) {
    db.close()
    throw e
  }
}
