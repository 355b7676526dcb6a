import type { Migration } from './types'

/**
 * Models, experiments and the edit queue. Times are integer Unix milliseconds. Lists (rephrases, locality,
 * tags) are JSON arrays in TEXT, checked with json_valid so a bad write fails here, not when a page renders.
 * Nullable columns are the ones with no NOT NULL: "unknown" is a real state for ground_truth, subject, …
 */
export const migration0010: Migration = {
  version: 10,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        architecture TEXT NOT NULL CHECK (length(architecture) > 0),
        config TEXT NOT NULL CHECK (json_valid(config) AND json_type(config) = 'object'),
        content_hash TEXT NOT NULL CHECK (length(content_hash) = 64 AND content_hash NOT GLOB '*[^0-9a-f]*'),
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX models_by_content_hash ON models (content_hash);

      -- method is free text on purpose: the engine adds baselines over time and a CHECK list here would
      -- force a table rebuild for each one; the service validates it against the engine's registry.
      CREATE TABLE experiments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL CHECK (length(name) > 0),
        model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE RESTRICT,
        method TEXT NOT NULL CHECK (length(method) > 0),
        config TEXT NOT NULL CHECK (json_valid(config) AND json_type(config) = 'object'),
        notes TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX experiments_by_model_id ON experiments (model_id);

      CREATE TABLE edits (
        id INTEGER PRIMARY KEY,
        experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        prompt TEXT NOT NULL CHECK (length(prompt) > 0),
        target TEXT NOT NULL CHECK (length(target) > 0),
        ground_truth TEXT,
        rephrases TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(rephrases) AND json_type(rephrases) = 'array'),
        locality TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(locality) AND json_type(locality) = 'array'),
        subject TEXT,
        relation TEXT,
        source_file TEXT,
        source_line INTEGER CHECK (source_line IS NULL OR source_line >= 1),
        status TEXT NOT NULL DEFAULT 'queued'
          CHECK (status IN ('queued', 'applied', 'failed', 'disabled', 'rolled_back')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      -- Queue order is per experiment; the unique index also serves "ORDER BY position" scans.
      CREATE UNIQUE INDEX edits_by_experiment_id_position ON edits (experiment_id, position);
      CREATE INDEX edits_by_experiment_id_status ON edits (experiment_id, status, position);
    `)
  }
}
