import type { Migration } from './types'

/**
 * Audit log. entity_id has no foreign key on purpose: the log must outlive the rows it describes.
 * Rows that existed before this migration get one 'backfill' event each for models and experiments, so the
 * log never starts in the middle of an entity's life without saying so.
 */
export const migration0040: Migration = {
  version: 40,
  name: 'events',
  up(db) {
    db.exec(`
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (length(kind) > 0),
        entity TEXT NOT NULL
          CHECK (entity IN ('model', 'experiment', 'edit', 'batch', 'checkpoint')),
        entity_id INTEGER,
        detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail) AND json_type(detail) = 'object')
      ) STRICT;
      CREATE INDEX events_by_entity_entity_id ON events (entity, entity_id);

      INSERT INTO events (at, kind, entity, entity_id, detail)
        SELECT created_at, 'backfill', 'model', id, json_object('path', path) FROM models ORDER BY id;
      INSERT INTO events (at, kind, entity, entity_id, detail)
        SELECT created_at, 'backfill', 'experiment', id, json_object('name', name) FROM experiments ORDER BY id;
    `)
  }
}
