import type { Migration } from './types'

/**
 * Adapter checkpoints and evaluation metrics.
 * checkpoints.active = "part of the current history": a rollback deactivates the checkpoints it undoes, so
 * the newest active one is what the engine loads. after_batch_id NULL = the base state (before any batch).
 */
export const migration0030: Migration = {
  version: 30,
  name: 'checkpoints-metrics',
  up(db) {
    db.exec(`
      CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        after_batch_id INTEGER REFERENCES batches (id) ON DELETE CASCADE,
        file TEXT NOT NULL CHECK (length(file) > 0),
        sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
        bytes INTEGER NOT NULL CHECK (bytes >= 0),
        created_at INTEGER NOT NULL,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
      ) STRICT;
      CREATE INDEX checkpoints_by_experiment_id_active ON checkpoints (experiment_id, active, id);
      CREATE INDEX checkpoints_by_after_batch_id ON checkpoints (after_batch_id);

      -- value is NOT NULL: SQLite stores NaN as NULL, so a NaN metric fails loudly instead of vanishing.
      CREATE TABLE metrics (
        id INTEGER PRIMARY KEY,
        experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        batch_id INTEGER REFERENCES batches (id) ON DELETE CASCADE,
        edit_count INTEGER NOT NULL CHECK (edit_count >= 0),
        name TEXT NOT NULL CHECK (length(name) > 0),
        value REAL NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX metrics_by_experiment_id_name ON metrics (experiment_id, name, edit_count);
      CREATE INDEX metrics_by_batch_id ON metrics (batch_id);
    `)
  }
}
