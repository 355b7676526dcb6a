import type Database from 'better-sqlite3'
import { StoreError } from './errors'
import { MIGRATIONS, type Migration } from './migrations/index'

export interface MigrateOptions {
  /** Stop after this version (tests migrate to N-1, insert rows, then go on to N). Default: the latest. */
  to?: number
  /** The list to apply; default MIGRATIONS. */
  migrations?: readonly Migration[]
}

export interface MigrateResult {
  from: number
  to: number
  applied: number[]
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number
}

/**
 * Applies every migration newer than `PRAGMA user_version`, each in its own transaction that also bumps
 * user_version, so a crash leaves the database at a whole version. Running it again is a no-op.
 * A database from a newer build is refused rather than opened: this build cannot know what its tables mean.
 */
export function migrate(db: Database.Database, opts: MigrateOptions = {}): MigrateResult {
  const list = opts.migrations ?? MIGRATIONS
  checkOrder(list)
  const latest = list.length > 0 ? list[list.length - 1].version : 0
  const target = opts.to ?? latest
  const from = schemaVersion(db)
  if (from > latest) {
    throw new StoreError('schema_too_new',
      `workspace schema version ${from} is newer than this build understands (latest ${latest}); ` +
      'open it with a newer ELDER Workbench')
  }
  if (target < from) {
    throw new StoreError('migration_failed', `cannot migrate down from version ${from} to ${target}; migrations only go up`)
  }
  if (target !== 0 && !list.some((m) => m.version === target)) {
    throw new StoreError('migration_failed', `no migration has version ${target}`)
  }

  const applied: number[] = []
  for (const m of list) {
    if (m.version <= from || m.version > target) continue
    // db.transaction owns BEGIN/COMMIT and rolls back on a throw; user_version is part of the same commit.
    db.transaction(() => {
      const ret: unknown = m.up(db)
      if (ret !== undefined && typeof (ret as { then?: unknown }).then === 'function') {
        throw new StoreError('migration_failed',
          `migration ${m.version}-${m.name} returned a promise; migrations must be synchronous`)
      }
      const broken = db.pragma('foreign_key_check') as unknown[]
      if (broken.length > 0) {
        throw new StoreError('migration_failed',
          `migration ${m.version}-${m.name} left ${broken.length} foreign key violation(s), first: ${JSON.stringify(broken[0])}`)
      }
      // PRAGMA takes no bound parameters; version is a checked integer (checkOrder).
      db.pragma(`user_version = ${m.version}`)
    }).immediate()
    applied.push(m.version)
  }
  return { from, to: schemaVersion(db), applied }
}

function checkOrder(list: readonly Migration[]): void {
  let prev = 0
  for (const m of list) {
    if (!Number.isInteger(m.version) || m.version <= prev) {
      throw new StoreError('migration_failed',
        `migration versions must be increasing positive integers; got ${m.version} (${m.name}) after ${prev}`)
    }
    prev = m.version
  }
}
