// Migration 50: batches get final_loss. Signal's pattern: migrate to 40, insert rows, migrate to 50, compare.
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { migrate } from '../../src-main/store/index'
import { dump } from './helpers'

const H = 'c'.repeat(64)

describe('migration 50 (batch final loss)', () => {
  it('keeps 40-era batches as they were, with no loss; a new loss must be a non-negative number', () => {
    const db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    migrate(db, { to: 40 })
    db.prepare("INSERT INTO models (path, architecture, config, content_hash, created_at) VALUES ('/m', 'gpt2', '{}', ?, 1)").run(H)
    db.prepare("INSERT INTO experiments (name, model_id, method, config, created_at) VALUES ('e', 1, 'elder', '{}', 1)").run()
    db.prepare("INSERT INTO batches (experiment_id, seq, state, created_at, steps) VALUES (1, 1, 'applied', 2, 12)").run()
    const before = dump(db, 'batches') as Array<Record<string, unknown>>
    migrate(db, { to: 50 })
    expect(dump(db, 'batches')).toEqual(before.map((b) => ({ ...b, final_loss: null })))
    db.prepare('UPDATE batches SET final_loss = 0.0125 WHERE id = 1').run()
    expect(db.prepare('SELECT final_loss FROM batches').pluck().get()).toBe(0.0125)
    expect(() => db.prepare('UPDATE batches SET final_loss = -1').run()).toThrow(/CHECK constraint failed/)
    expect(() => db.prepare("UPDATE batches SET final_loss = 'low'").run()).toThrow(/cannot store TEXT value in REAL column/)
  })
})
