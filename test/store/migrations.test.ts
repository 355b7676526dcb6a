import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { LATEST_VERSION, MIGRATIONS, migrate, openWorkspaceDb, schemaVersion, StoreError, type Migration } from '../../src-main/store/index'
import { dump } from './helpers'

/** A bare in-memory db at schema `version` (0 = empty). */
function dbAt(version: number): Database.Database {
  const db = new Database(':memory:')
  db.pragma('foreign_keys = ON')
  if (version > 0) migrate(db, { to: version })
  return db
}

const tables = (db: Database.Database) =>
  db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[]
const indexes = (db: Database.Database) =>
  db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[]
const H = 'c'.repeat(64)

describe('migration runner', () => {
  it('versions are increasing multiples of 10 (engineers are assigned numbers, so gaps are allowed); every table is STRICT; indexes are named table_by_column', () => {
    MIGRATIONS.forEach((m, i) => {
      expect(m.version % 10).toBe(0)
      if (i > 0) expect(m.version).toBeGreaterThan(MIGRATIONS[i - 1].version)
    })
    const db = dbAt(LATEST_VERSION)
    for (const t of tables(db)) expect(db.prepare(`SELECT sql FROM sqlite_schema WHERE name = ?`).pluck().get(t)).toMatch(/\)\s*STRICT/)
    for (const ix of indexes(db)) expect(ix).toMatch(/^[a-z_]+_by_[a-z_]+$/)
  })

  it('is idempotent: a second run applies nothing and keeps the rows', () => {
    const db = dbAt(0)
    expect(migrate(db).applied).toEqual(MIGRATIONS.map((m) => m.version))
    db.prepare("INSERT INTO models (path, architecture, config, content_hash, created_at) VALUES ('/m', 'gpt2', '{}', ?, 1)").run(H)
    expect(migrate(db)).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION, applied: [] })
    expect(dump(db, 'models')).toHaveLength(1)
  })

  it('refuses a database from a newer build with a clear error, and leaves it untouched', () => {
    const db = dbAt(LATEST_VERSION)
    db.pragma(`user_version = ${LATEST_VERSION + 10}`)
    expect(() => migrate(db)).toThrow(`schema version ${LATEST_VERSION + 10} is newer than this build understands (latest ${LATEST_VERSION})`)
    try { migrate(db) } catch (e) { expect(e).toBeInstanceOf(StoreError); expect((e as StoreError).code).toBe('schema_too_new') }
    expect(schemaVersion(db)).toBe(LATEST_VERSION + 10)
  })

  it('rolls a failing migration back whole, user_version included', () => {
    const bad: Migration = { version: LATEST_VERSION + 10, name: 'bad', up: (d) => { d.exec('CREATE TABLE half (x INTEGER) STRICT'); throw new Error('boom') } }
    const db = dbAt(LATEST_VERSION)
    expect(() => migrate(db, { migrations: [...MIGRATIONS, bad] })).toThrow('boom')
    expect(schemaVersion(db)).toBe(LATEST_VERSION)
    expect(tables(db)).not.toContain('half')
  })

  it('rejects an async migration (a transaction cannot span an await)', () => {
    const asyncUp = { version: LATEST_VERSION + 10, name: 'async', up: async (d: Database.Database) => { d.exec('CREATE TABLE a (x INTEGER) STRICT') } }
    const db = dbAt(LATEST_VERSION)
    expect(() => migrate(db, { migrations: [...MIGRATIONS, asyncUp as Migration] })).toThrow(/returned a promise/)
    expect(tables(db)).not.toContain('a')
    expect(schemaVersion(db)).toBe(LATEST_VERSION)
  })

  it('rejects out-of-order lists and downgrades', () => {
    expect(() => migrate(dbAt(0), { migrations: [MIGRATIONS[1], MIGRATIONS[0]] })).toThrow(/increasing/)
    expect(() => migrate(dbAt(30), { to: 20 })).toThrow(/cannot migrate down from version 30 to 20/)
  })

  it('openWorkspaceDb brings a :memory: database to the latest version with foreign keys on', () => {
    const db = openWorkspaceDb(':memory:')
    expect(schemaVersion(db)).toBe(LATEST_VERSION)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('synchronous', { simple: true })).toBe(1) // 1 = NORMAL
  })
})

describe('migration 10 (initial)', () => {
  it('creates models, experiments, edits with CHECKs on enums and JSON', () => {
    const db = dbAt(0)
    migrate(db, { to: 10 })
    expect(tables(db)).toEqual(['edits', 'experiments', 'models'])
    db.prepare("INSERT INTO models (path, architecture, config, content_hash, created_at) VALUES ('/m', 'gpt2', '{}', ?, 1)").run(H)
    db.prepare("INSERT INTO experiments (name, model_id, method, config, created_at) VALUES ('e', 1, 'elder', '{}', 1)").run()
    const ins = db.prepare(`INSERT INTO edits (experiment_id, position, prompt, target, rephrases, status, created_at, updated_at)
                            VALUES (1, ?, 'p', 't', ?, ?, 1, 1)`)
    ins.run(0, '[]', 'queued')
    expect(() => ins.run(1, '[]', 'pending')).toThrow(/CHECK constraint failed/)
    expect(() => ins.run(1, 'not json', 'queued')).toThrow(/CHECK constraint failed/)
    expect(() => ins.run(0, '[]', 'queued')).toThrow(/UNIQUE constraint failed/)
    expect(() => ins.run(1, '[]', 'queued')).not.toThrow()
    // STRICT: a number in a TEXT column is refused instead of silently coerced.
    expect(() => db.prepare("INSERT INTO models (path, architecture, config, content_hash, created_at) VALUES ('/m', 'gpt2', '{}', ?, 'x')").run('d'.repeat(64)))
      .toThrow(/cannot store TEXT value in INTEGER column/)
  })
})

describe('migration 20 (batches)', () => {
  it('keeps 10-era rows and links batches to existing edits', () => {
    const db = dbAt(10)
    db.prepare("INSERT INTO models (path, architecture, config, content_hash, created_at) VALUES ('/m', 'gpt2', '{\"n\":1}', ?, 5)").run(H)
    db.prepare("INSERT INTO experiments (name, model_id, method, config, created_at) VALUES ('e', 1, 'elder', '{}', 6)").run()
    db.prepare("INSERT INTO edits (experiment_id, position, prompt, target, created_at, updated_at) VALUES (1, 0, 'p', 't', 7, 7)").run()
    const before = { models: dump(db, 'models'), experiments: dump(db, 'experiments'), edits: dump(db, 'edits') }
    migrate(db, { to: 20 })
    expect({ models: dump(db, 'models'), experiments: dump(db, 'experiments'), edits: dump(db, 'edits') }).toEqual(before)
    db.prepare("INSERT INTO batches (experiment_id, seq, created_at) VALUES (1, 1, 8)").run()
    db.prepare('INSERT INTO batch_edits (batch_id, edit_id, row) VALUES (1, 1, 0)').run()
    const code = Buffer.alloc(8)
    db.prepare('INSERT INTO codes (batch_id, edit_id, code, preset) VALUES (1, 1, ?, ?)').run(code, code)
    expect(() => db.prepare('INSERT INTO codes (batch_id, edit_id, code, preset) VALUES (1, 1, ?, ?)').run(Buffer.alloc(6), Buffer.alloc(6)))
      .toThrow(/CHECK constraint failed/)
    expect(() => db.prepare("UPDATE batches SET state = 'done'").run()).toThrow(/CHECK constraint failed/)
    // an edit is in at most one batch
    db.prepare("INSERT INTO batches (experiment_id, seq, created_at) VALUES (1, 2, 9)").run()
    expect(() => db.prepare('INSERT INTO batch_edits (batch_id, edit_id, row) VALUES (2, 1, 0)').run()).toThrow(/UNIQUE/)
    // codes follow their batch_edits row
    db.prepare('DELETE FROM batches WHERE id = 1').run()
    expect(dump(db, 'codes')).toEqual([])
  })
})

describe('migration 30 (checkpoints, metrics)', () => {
  it('keeps 20-era rows; checkpoints may point at the base state; NaN metrics are refused', () => {
    const db = dbAt(20)
    db.prepare("INSERT INTO models (path, architecture, config, content_hash, created_at) VALUES ('/m', 'gpt2', '{}', ?, 1)").run(H)
    db.prepare("INSERT INTO experiments (name, model_id, method, config, created_at) VALUES ('e', 1, 'elder', '{}', 1)").run()
    db.prepare("INSERT INTO batches (experiment_id, seq, state, created_at) VALUES (1, 1, 'applied', 2)").run()
    const before = dump(db, 'batches')
    migrate(db, { to: 30 })
    expect(dump(db, 'batches')).toEqual(before)
    const ck = db.prepare('INSERT INTO checkpoints (experiment_id, after_batch_id, file, sha256, bytes, created_at) VALUES (1, ?, ?, ?, 10, 3)')
    ck.run(null, 'base.ckpt', H)
    ck.run(1, 'b1.ckpt', H)
    expect(() => ck.run(1, 'x.ckpt', 'XYZ')).toThrow(/CHECK constraint failed/)
    expect(dump(db, 'checkpoints').map((r) => (r as { active: number }).active)).toEqual([1, 1])
    const m = db.prepare("INSERT INTO metrics (experiment_id, batch_id, edit_count, name, value, created_at) VALUES (1, 1, 10, 'rel', ?, 4)")
    m.run(0.5)
    expect(() => m.run(Number.NaN)).toThrow(/NOT NULL constraint failed/)
  })
})

describe('migration 40 (events)', () => {
  it('keeps 30-era rows and backfills one event per existing model and experiment', () => {
    const db = dbAt(30)
    db.prepare("INSERT INTO models (path, architecture, config, content_hash, created_at) VALUES ('/m', 'gpt2', '{}', ?, 11)").run(H)
    db.prepare("INSERT INTO experiments (name, model_id, method, config, created_at) VALUES ('first', 1, 'elder', '{}', 12)").run()
    const before = { models: dump(db, 'models'), experiments: dump(db, 'experiments') }
    migrate(db, { to: 40 })
    expect({ models: dump(db, 'models'), experiments: dump(db, 'experiments') }).toEqual(before)
    expect(dump(db, 'events')).toEqual([
      { id: 1, at: 11, kind: 'backfill', entity: 'model', entity_id: 1, detail: '{"path":"/m"}' },
      { id: 2, at: 12, kind: 'backfill', entity: 'experiment', entity_id: 1, detail: '{"name":"first"}' }
    ])
    expect(() => db.prepare("INSERT INTO events (at, kind, entity, detail) VALUES (1, 'x', 'planet', '{}')").run()).toThrow(/CHECK/)
    expect(() => db.prepare("INSERT INTO events (at, kind, entity, detail) VALUES (1, 'x', 'edit', '[]')").run()).toThrow(/CHECK/)
  })
})

describe('migration 60 (tracking)', () => {
  it('keeps 40-era rows with the new defaults (not archived, evaluated every 50 edits); edit_health follows its edit', () => {
    const db = dbAt(40)
    db.prepare("INSERT INTO models (path, architecture, config, content_hash, created_at) VALUES ('/m', 'gpt2', '{}', ?, 1)").run(H)
    db.prepare("INSERT INTO experiments (name, model_id, method, config, created_at) VALUES ('e', 1, 'elder', '{}', 2)").run()
    db.prepare("INSERT INTO edits (experiment_id, position, prompt, target, created_at, updated_at) VALUES (1, 0, 'p', 't', 3, 3)").run()
    const before = { edits: dump(db, 'edits'), metrics: dump(db, 'metrics') }
    migrate(db, { to: 60 })
    expect({ edits: dump(db, 'edits'), metrics: dump(db, 'metrics') }).toEqual(before)
    expect(dump(db, 'experiments')).toEqual([{
      id: 1, name: 'e', model_id: 1, method: 'elder', config: '{}', notes: '', tags: '[]', created_at: 2,
      archived: 0, eval_every: 50, preset: null, backend: null, app_version: null
    }])
    expect(() => db.prepare('UPDATE experiments SET archived = 2').run()).toThrow(/CHECK constraint failed/)
    expect(() => db.prepare('UPDATE experiments SET eval_every = -1').run()).toThrow(/CHECK constraint failed/)
    const h = db.prepare('INSERT INTO edit_health (edit_id, experiment_id, holds, edit_count, checked_at) VALUES (?, 1, ?, 1, 4)')
    h.run(1, 1)
    expect(() => h.run(1, 0)).toThrow(/UNIQUE|PRIMARY KEY/)
    expect(() => h.run(99, 1)).toThrow(/FOREIGN KEY/)
    db.prepare('DELETE FROM edits WHERE id = 1').run()
    expect(dump(db, 'edit_health')).toEqual([])
    // One workspace_state row; the active experiment goes back to "newest" if it is deleted.
    expect(dump(db, 'workspace_state')).toEqual([{ id: 1, active_experiment_id: null }])
    expect(() => db.prepare('INSERT INTO workspace_state (id) VALUES (2)').run()).toThrow(/CHECK constraint failed/)
    db.prepare('UPDATE workspace_state SET active_experiment_id = 1').run()
    db.prepare('DELETE FROM experiments WHERE id = 1').run()
    expect(dump(db, 'workspace_state')).toEqual([{ id: 1, active_experiment_id: null }])
  })
})
