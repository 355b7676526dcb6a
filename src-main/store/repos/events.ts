import type Database from 'better-sqlite3'
import type { EventEntity, JsonObject, StoreEvent } from '../types'

interface EventRow {
  id: number
  at: number
  kind: string
  entity: EventEntity
  entity_id: number | null
  detail: string
}

/**
 * Appends one audit row. Callers run it inside the same transaction as the change it describes, so the log
 * and the data can never disagree.
 */
export function logEvent(
  db: Database.Database, kind: string, entity: EventEntity, entityId: number | null, detail: JsonObject = {}, at = Date.now()
): void {
  db.prepare('INSERT INTO events (at, kind, entity, entity_id, detail) VALUES (?, ?, ?, ?, ?)')
    .run(at, kind, entity, entityId, JSON.stringify(detail))
}

export interface EventQuery {
  /** Default 100, at most 10,000. */
  limit?: number
  entity?: EventEntity
  entityId?: number
}

/** Newest first. */
export function listRecentEvents(db: Database.Database, q: EventQuery = {}): StoreEvent[] {
  const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? 100)), 10_000)
  const where: string[] = []
  const args: (string | number)[] = []
  if (q.entity !== undefined) { where.push('entity = ?'); args.push(q.entity) }
  if (q.entityId !== undefined) { where.push('entity_id = ?'); args.push(q.entityId) }
  const sql = `SELECT * FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`
  const rows = db.prepare(sql).all(...args, limit) as EventRow[]
  return rows.map((r) => ({
    id: r.id, at: r.at, kind: r.kind, entity: r.entity, entityId: r.entity_id, detail: JSON.parse(r.detail) as JsonObject
  }))
}
