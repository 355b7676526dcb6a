import type Database from 'better-sqlite3'
import { must, StoreError } from '../errors'
import type { Experiment, JsonObject } from '../types'
import { logEvent } from './events'
import { jsonObject, nonEmpty, stringList } from './validate'

interface ExperimentRow {
  id: number
  name: string
  model_id: number
  method: string
  config: string
  notes: string
  tags: string
  created_at: number
}

function toExperiment(r: ExperimentRow): Experiment {
  return {
    id: r.id, name: r.name, modelId: r.model_id, method: r.method, config: JSON.parse(r.config) as JsonObject,
    notes: r.notes, tags: JSON.parse(r.tags) as string[], createdAt: r.created_at
  }
}

export interface ExperimentInput {
  name: string
  modelId: number
  method: string
  config: JsonObject
  notes?: string
  tags?: string[]
}

export function createExperiment(db: Database.Database, input: ExperimentInput): Experiment {
  const name = nonEmpty(input.name, 'name')
  const method = nonEmpty(input.method, 'method')
  const config = jsonObject(input.config, 'config')
  const tags = stringList(input.tags, 'tags')
  const notes = input.notes ?? ''
  return db.transaction(() => {
    const model = db.prepare('SELECT id FROM models WHERE id = ?').get(input.modelId)
    if (!model) throw new StoreError('not_found', `model ${input.modelId} does not exist`)
    const now = Date.now()
    const id = Number(db.prepare(
      'INSERT INTO experiments (name, model_id, method, config, notes, tags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'
    ).run(name, input.modelId, method, JSON.stringify(config), notes, JSON.stringify(tags), now).lastInsertRowid)
    logEvent(db, 'experiment.created', 'experiment', id, { name, method, modelId: input.modelId }, now)
    return { id, name, modelId: input.modelId, method, config, notes, tags, createdAt: now }
  })()
}

export function getExperiment(db: Database.Database, id: number): Experiment | null {
  const r = db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as ExperimentRow | undefined
  return r ? toExperiment(r) : null
}

/** Newest first. */
export function listExperiments(db: Database.Database): Experiment[] {
  return (db.prepare('SELECT * FROM experiments ORDER BY id DESC').all() as ExperimentRow[]).map(toExperiment)
}

export function updateExperiment(
  db: Database.Database, id: number, patch: { notes?: string; tags?: string[] }
): Experiment {
  if (patch.notes !== undefined && typeof patch.notes !== 'string') {
    throw new StoreError('invalid_input', `notes: expected a string, got ${typeof patch.notes}`)
  }
  const tags = patch.tags === undefined ? undefined : stringList(patch.tags, 'tags')
  return db.transaction(() => {
    const cur = must(getExperiment(db, id), 'experiment', id)
    const next = { ...cur, notes: patch.notes ?? cur.notes, tags: tags ?? cur.tags }
    db.prepare('UPDATE experiments SET notes = ?, tags = ? WHERE id = ?').run(next.notes, JSON.stringify(next.tags), id)
    logEvent(db, 'experiment.updated', 'experiment', id, {
      fields: [patch.notes !== undefined ? 'notes' : null, tags !== undefined ? 'tags' : null].filter((f) => f !== null)
    })
    return next
  })()
}

/**
 * A new experiment with the same model, method, config and tags, whose queue holds copies of the source's
 * still-queued edits in the same order (positions renumbered from 0). History (batches, checkpoints,
 * metrics) is not copied: the clone starts from the base model.
 */
export function cloneExperiment(db: Database.Database, id: number, opts: { name?: string } = {}): Experiment {
  return db.transaction(() => {
    const src = must(getExperiment(db, id), 'experiment', id)
    const name = opts.name === undefined ? `${src.name} (copy)` : nonEmpty(opts.name, 'name')
    const now = Date.now()
    const newId = Number(db.prepare(
      'INSERT INTO experiments (name, model_id, method, config, notes, tags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'
    ).run(name, src.modelId, src.method, JSON.stringify(src.config), src.notes, JSON.stringify(src.tags), now)
      .lastInsertRowid)
    // row_number() - 1 renumbers positions densely from 0 in the source's queue order.
    const copied = db.prepare(`
      INSERT INTO edits (experiment_id, position, prompt, target, ground_truth, rephrases, locality, subject,
                         relation, source_file, source_line, status, created_at, updated_at)
      SELECT ?, row_number() OVER (ORDER BY position) - 1, prompt, target, ground_truth, rephrases, locality,
             subject, relation, source_file, source_line, 'queued', ?, ?
      FROM edits WHERE experiment_id = ? AND status = 'queued' ORDER BY position
    `).run(newId, now, now, id).changes
    logEvent(db, 'experiment.cloned', 'experiment', newId, { from: id, name, editsCopied: copied }, now)
    return { ...src, id: newId, name, createdAt: now }
  })()
}
