import type { Migration } from './types'

/**
 * Batches of edits and their allocation codes. An edit belongs to at most one batch for its whole life
 * (a failed or interrupted batch is re-run as the same row), hence the unique index on batch_edits.edit_id.
 */
export const migration0020: Migration = {
  version: 20,
  name: 'batches',
  up(db) {
    db.exec(`
      CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL CHECK (seq >= 1),
        state TEXT NOT NULL DEFAULT 'queued'
          CHECK (state IN ('queued', 'training', 'applied', 'failed', 'interrupted', 'rolled_back', 'disabled')),
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        steps INTEGER CHECK (steps IS NULL OR steps >= 0),
        wall_ms INTEGER CHECK (wall_ms IS NULL OR wall_ms >= 0),
        error TEXT
      ) STRICT;
      CREATE UNIQUE INDEX batches_by_experiment_id_seq ON batches (experiment_id, seq);
      CREATE INDEX batches_by_state ON batches (state);

      CREATE TABLE batch_edits (
        batch_id INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
        edit_id INTEGER NOT NULL REFERENCES edits (id) ON DELETE CASCADE,
        row INTEGER NOT NULL CHECK (row >= 0),
        PRIMARY KEY (batch_id, edit_id)
      ) STRICT, WITHOUT ROWID;
      CREATE UNIQUE INDEX batch_edits_by_batch_id_row ON batch_edits (batch_id, row);
      CREATE UNIQUE INDEX batch_edits_by_edit_id ON batch_edits (edit_id);

      -- code and preset are packed Uint32 words, little-endian (same layout as engine/elder/codes.ts);
      -- both describe the same L x N grid, so they have the same length.
      CREATE TABLE codes (
        batch_id INTEGER NOT NULL,
        edit_id INTEGER NOT NULL,
        code BLOB NOT NULL CHECK (length(code) > 0 AND length(code) % 4 = 0),
        preset BLOB NOT NULL CHECK (length(preset) = length(code)),
        PRIMARY KEY (batch_id, edit_id),
        FOREIGN KEY (batch_id, edit_id) REFERENCES batch_edits (batch_id, edit_id) ON DELETE CASCADE
      ) STRICT, WITHOUT ROWID;
    `)
  }
}
