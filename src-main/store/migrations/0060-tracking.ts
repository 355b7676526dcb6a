import type { Migration } from './types'

/**
 * Experiment tracking (issue 14). Experiments get what the runs table and "reproduce this run" need: an archive
 * flag, the evaluation cadence (every eval_every applied edits; 0 = on demand only), the preset they were created
 * from, and the backend and app version the latest batch ran with (NULL until a batch ran). The model's content
 * hash is already fixed by model_id (models_by_content_hash is unique), so it is not copied here.
 *
 * workspace_state is one row: the experiment the analyst made active (experiments.select), so it survives a restart;
 * NULL (or its experiment deleted) = the newest experiment.
 *
 * edit_health holds each applied edit's latest verdict: after an evaluation, does its prompt still give its target
 * (holds = 1) or not (slipped). One row per edit, replaced by each evaluation; edit_count says which evaluation.
 */
export const migration0060: Migration = {
  version: 60,
  name: 'tracking',
  up(db) {
    db.exec(`
      ALTER TABLE experiments ADD COLUMN archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1));
      ALTER TABLE experiments ADD COLUMN eval_every INTEGER NOT NULL DEFAULT 50 CHECK (eval_every >= 0);
      ALTER TABLE experiments ADD COLUMN preset TEXT CHECK (preset IS NULL OR length(preset) > 0);
      ALTER TABLE experiments ADD COLUMN backend TEXT;
      ALTER TABLE experiments ADD COLUMN app_version TEXT;
      CREATE INDEX experiments_by_archived ON experiments (archived, id);

      CREATE TABLE edit_health (
        edit_id INTEGER PRIMARY KEY REFERENCES edits (id) ON DELETE CASCADE,
        experiment_id INTEGER NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
        holds INTEGER NOT NULL CHECK (holds IN (0, 1)),
        edit_count INTEGER NOT NULL CHECK (edit_count >= 0),
        checked_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX edit_health_by_experiment_id ON edit_health (experiment_id, holds);

      CREATE TABLE workspace_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        active_experiment_id INTEGER REFERENCES experiments (id) ON DELETE SET NULL
      ) STRICT;
      INSERT INTO workspace_state (id, active_experiment_id) VALUES (1, NULL);
    `)
  }
}
