import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { createExperiment, openWorkspaceDb, registerModel, type Experiment } from '../../src-main/store/index'

/** A fresh workspace file in its own temp dir; `close()` closes the db and removes the dir. */
export function tempWorkspace(): { db: Database.Database; file: string; close: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'elder-store-'))
  const file = join(dir, 'workspace.sqlite')
  const db = openWorkspaceDb(file)
  return { db, file, close: () => { if (db.open) db.close(); rmSync(dir, { recursive: true, force: true }) } }
}

export const HASH_A = 'a'.repeat(64)
export const HASH_B = 'b'.repeat(64)

export function seedExperiment(db: Database.Database, name = 'exp'): Experiment {
  const model = registerModel(db, { path: '/models/gpt2-tiny', architecture: 'gpt2', config: { n_layer: 2 }, contentHash: HASH_A })
  return createExperiment(db, { name, modelId: model.id, method: 'elder', config: { k: 2, experts: 4 } })
}

export const edit = (i: number) => ({ prompt: `The capital of Land${i} is`, target: `City${i}`, rephrases: [`Land${i}'s capital is`] })

/** Rows of a table ordered by its first two columns (WITHOUT ROWID tables have no rowid), for before/after comparisons. */
export function dump(db: Database.Database, table: string): unknown[] {
  return db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2`).all()
}

/** The query plan's detail lines, to prove an index is used (Signal's explain-query-plan helper). */
export function queryPlan(db: Database.Database, sql: string, ...args: unknown[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join('\n')
}
