import type Database from 'better-sqlite3'
import { StoreError } from '../errors'
import type { MetricPoint } from '../types'
import { logEvent } from './events'
import { nonEmpty, nonNegativeInt } from './validate'

export interface MetricInput {
  batchId?: number | null
  /** Edits applied when the value was measured: the x axis of every lifelong-editing curve. */
  editCount: number
  name: string
  value: number
}

/** Appends metric points for one experiment in one transaction. Non-finite values are refused by name. */
export function appendMetrics(db: Database.Database, experimentId: number, points: readonly MetricInput[]): number {
  points.forEach((p, i) => {
    nonEmpty(p.name, `metrics[${i}].name`)
    nonNegativeInt(p.editCount, `metrics[${i}].editCount`)
    if (typeof p.value !== 'number' || !Number.isFinite(p.value)) {
      throw new StoreError('invalid_input', `metrics[${i}] (${p.name}): value must be a finite number, got ${p.value}`)
    }
  })
  return db.transaction(() => {
    if (!db.prepare('SELECT 1 FROM experiments WHERE id = ?').get(experimentId)) {
      throw new StoreError('not_found', `experiment ${experimentId} does not exist`)
    }
    const now = Date.now()
    const insert = db.prepare('INSERT INTO metrics (experiment_id, batch_id, edit_count, name, value, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    for (const p of points) insert.run(experimentId, p.batchId ?? null, p.editCount, p.name, p.value, now)
    if (points.length > 0) {
      logEvent(db, 'metrics.appended', 'experiment', experimentId, { count: points.length, names: [...new Set(points.map((p) => p.name))] }, now)
    }
    return points.length
  })()
}

interface MetricRow {
  experiment_id: number
  batch_id: number | null
  edit_count: number
  name: string
  value: number
  created_at: number
}

/** One named series for charting, ordered by edit count then insertion. */
export function metricSeries(db: Database.Database, experimentId: number, name: string): MetricPoint[] {
  const rows = db.prepare(`SELECT experiment_id, batch_id, edit_count, name, value, created_at FROM metrics
                           WHERE experiment_id = ? AND name = ? ORDER BY edit_count, id`).all(experimentId, name) as MetricRow[]
  return rows.map((r) => ({
    experimentId: r.experiment_id, batchId: r.batch_id, editCount: r.edit_count, name: r.name, value: r.value, createdAt: r.created_at
  }))
}

export function metricNames(db: Database.Database, experimentId: number): string[] {
  return db.prepare('SELECT DISTINCT name FROM metrics WHERE experiment_id = ? ORDER BY name').pluck().all(experimentId) as string[]
}

export interface BatchMetric {
  name: string
  value: number
  editCount: number
}

/**
 * Per batch, the latest value of each metric measured right after it (an evaluation records the newest applied
 * batch): what the history shows on the batch's card.
 */
export function latestMetricsByBatch(db: Database.Database, experimentId: number): Map<number, BatchMetric[]> {
  const rows = db.prepare(`SELECT m.batch_id, m.name, m.value, m.edit_count FROM metrics m
                           WHERE m.experiment_id = ? AND m.batch_id IS NOT NULL
                             AND m.id = (SELECT max(id) FROM metrics x WHERE x.experiment_id = m.experiment_id
                                         AND x.batch_id = m.batch_id AND x.name = m.name)
                           ORDER BY m.batch_id, m.name`).all(experimentId) as Array<{ batch_id: number; name: string; value: number; edit_count: number }>
  const out = new Map<number, BatchMetric[]>()
  for (const r of rows) {
    const list = out.get(r.batch_id) ?? []
    list.push({ name: r.name, value: r.value, editCount: r.edit_count })
    out.set(r.batch_id, list)
  }
  return out
}

/** Each metric's most recent value (by edit count, then insertion): the runs table's "latest" columns. */
export function latestMetrics(db: Database.Database, experimentId: number): Record<string, { editCount: number; value: number }> {
  const rows = db.prepare(`SELECT name, edit_count, value FROM metrics m WHERE experiment_id = ? AND id = (
                             SELECT id FROM metrics WHERE experiment_id = m.experiment_id AND name = m.name
                             ORDER BY edit_count DESC, id DESC LIMIT 1)`).all(experimentId) as Array<{ name: string; edit_count: number; value: number }>
  return Object.fromEntries(rows.map((r) => [r.name, { editCount: r.edit_count, value: r.value }]))
}
