import type Database from 'better-sqlite3'
import { must, StoreError } from '../errors'
import type { Experiment, JsonObject } from '../types'
import { logEvent } from './events'
import { jsonObject, nonEmpty, nonNegativeInt, stringList } from './validate'

/** Evaluate every 50 applied edits unless the experiment says otherwise (issue 14's default). */
export const DEFAULT_EVAL_EVERY = 50

interface ExperimentRow {
  id: number
  name: string
  model_id: number
  method: string
  config: string
  notes: string
  tags: string
  created_at: number
  archived: number
  eval_every: number
  preset: string | null
  backend: string | null
  app_version: string | null
}

function toExperiment(r: ExperimentRow): Experiment {
  return {
    id: r.id, name: r.name, modelId: r.model_id, method: r.method, config: JSON.parse(r.config) as JsonObject,
    notes: r.notes, tags: JSON.parse(r.tags) as string[], createdAt: r.created_at,
    archived: r.archived === 1, evalEvery: r.eval_every, preset: r.preset, backend: r.backend, appVersion: r.app_version
  }
}

export interface ExperimentInput {
  name: string
  modelId: number
  method: string
  config: JsonObject
  notes?: string
  tags?: string[]
  /** Default 50 (the migration's column default). */
  evalEvery?: number
  preset?: string | null
}

export function createExperiment(db: Database.Database, input: ExperimentInput): Experiment {
  const name = nonEmpty(input.name, 'name')
  const method = nonEmpty(input.method, 'method')
  const config = jsonObject(input.config, 'config')
  const tags = stringList(input.tags, 'tags')
  const notes = input.notes ?? ''
  const evalEvery = nonNegativeInt(input.evalEvery ?? DEFAULT_EVAL_EVERY, 'evalEvery')
  const preset = input.preset == null ? null : nonEmpty(input.preset, 'preset')
  return db.transaction(() => {
    const model = db.prepare('SELECT id FROM models WHERE id = ?').get(input.modelId)
    if (!model) throw new StoreError('not_found', `model ${input.modelId} does not exist`)
    const now = Date.now()
    const id = Number(db.prepare(
      'INSERT INTO experiments (name, model_id, method, config, notes, tags, created_at, eval_every, preset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
    ).run(name, input.modelId, method, JSON.stringify(config), notes, JSON.stringify(tags), now, evalEvery, preset).lastInsertRowid)
    logEvent(db, 'experiment.created', 'experiment', id, { name, method, modelId: input.modelId, preset }, now)
    return must(getExperiment(db, id), 'experiment', id)
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

export interface ExperimentPatch {
  name?: string
  notes?: string
  tags?: string[]
  archived?: boolean
  evalEvery?: number
}

export function updateExperiment(db: Database.Database, id: number, patch: ExperimentPatch): Experiment {
  if (patch.notes !== undefined && typeof patch.notes !== 'string') {
    throw new StoreError('invalid_input', `notes: expected a string, got ${typeof patch.notes}`)
  }
  if (patch.archived !== undefined && typeof patch.archived !== 'boolean') {
    throw new StoreError('invalid_input', `archived: expected a boolean, got ${typeof patch.archived}`)
  }
  const tags = patch.tags === undefined ? undefined : stringList(patch.tags, 'tags')
  const name = patch.name === undefined ? undefined : nonEmpty(patch.name, 'name')
  const evalEvery = patch.evalEvery === undefined ? undefined : nonNegativeInt(patch.evalEvery, 'evalEvery')
  return db.transaction(() => {
    const cur = must(getExperiment(db, id), 'experiment', id)
    const next: Experiment = {
      ...cur, name: name ?? cur.name, notes: patch.notes ?? cur.notes, tags: tags ?? cur.tags,
      archived: patch.archived ?? cur.archived, evalEvery: evalEvery ?? cur.evalEvery
    }
    db.prepare('UPDATE experiments SET name = ?, notes = ?, tags = ?, archived = ?, eval_every = ? WHERE id = ?')
      .run(next.name, next.notes, JSON.stringify(next.tags), next.archived ? 1 : 0, next.evalEvery, id)
    const fields = Object.entries({ name, notes: patch.notes, tags, archived: patch.archived, evalEvery })
      .filter(([, v]) => v !== undefined).map(([k]) => k)
    logEvent(db, 'experiment.updated', 'experiment', id, { fields })
    return next
  })()
}

/** What the latest batch ran with, for reproducing the run: set each time a batch is trained. */
export function recordRunEnvironment(db: Database.Database, id: number, env: { backend: string; appVersion: string }): void {
  db.prepare('UPDATE experiments SET backend = ?, app_version = ? WHERE id = ?').run(env.backend, env.appVersion, id)
}

/**
 * Appends every edit of experiment `from` (whatever its status there) to `to`'s queue as queued, in `from`'s queue
 * order: how the same edit list is applied to several experiments. Each experiment owns its copies, so its batches,
 * statuses, checkpoints and edit health stay its own; position i of both lists is the same fact.
 */
export function copyEditList(db: Database.Database, from: number, to: number): number {
  return db.transaction(() => {
    must(getExperiment(db, from), 'experiment', from)
    must(getExperiment(db, to), 'experiment', to)
    const now = Date.now()
    const base = (db.prepare('SELECT coalesce(max(position) + 1, 0) FROM edits WHERE experiment_id = ?').pluck().get(to) as number)
    const copied = db.prepare(`
      INSERT INTO edits (experiment_id, position, prompt, target, ground_truth, rephrases, locality, subject,
                         relation, source_file, source_line, status, created_at, updated_at)
      SELECT ?, ? + row_number() OVER (ORDER BY position) - 1, prompt, target, ground_truth, rephrases, locality,
             subject, relation, source_file, source_line, 'queued', ?, ?
      FROM edits WHERE experiment_id = ? ORDER BY position
    `).run(to, base, now, now, from).changes
    logEvent(db, 'experiment.editsCopied', 'experiment', to, { from, count: copied }, now)
    return copied
  })()
}

/**
 * A new experiment with the same model, method, config and tags (each overridable: "clone with changes"), whose
 * queue holds copies of the source's still-queued edits in the same order (positions renumbered from 0). History
 * (batches, checkpoints, metrics, edit health) is not copied: the clone starts from the base model.
 * The caller validates a changed config against the method (the store knows no methods).
 */
export function cloneExperiment(
  db: Database.Database, id: number,
  opts: { name?: string; method?: string; config?: JsonObject; tags?: string[]; evalEvery?: number } = {}
): Experiment {
  return db.transaction(() => {
    const src = must(getExperiment(db, id), 'experiment', id)
    const name = opts.name === undefined ? `${src.name} (copy)` : nonEmpty(opts.name, 'name')
    const method = opts.method === undefined ? src.method : nonEmpty(opts.method, 'method')
    const config = opts.config === undefined ? src.config : jsonObject(opts.config, 'config')
    const tags = opts.tags === undefined ? src.tags : stringList(opts.tags, 'tags')
    const evalEvery = opts.evalEvery === undefined ? src.evalEvery : nonNegativeInt(opts.evalEvery, 'evalEvery')
    // A changed config is no longer the preset it came from.
    const preset = opts.config === undefined && opts.method === undefined ? src.preset : null
    const now = Date.now()
    const newId = Number(db.prepare(
      'INSERT INTO experiments (name, model_id, method, config, notes, tags, created_at, eval_every, preset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
    ).run(name, src.modelId, method, JSON.stringify(config), src.notes, JSON.stringify(tags), now, evalEvery, preset)
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
    return must(getExperiment(db, newId), 'experiment', newId)
  })()
}

/** The experiment the analyst made active, or null (none chosen, or it was deleted): the newest is shown then. */
export function activeExperimentId(db: Database.Database): number | null {
  return (db.prepare('SELECT active_experiment_id FROM workspace_state WHERE id = 1').pluck().get() as number | null | undefined) ?? null
}

export function setActiveExperiment(db: Database.Database, id: number): void {
  db.transaction(() => {
    must(getExperiment(db, id), 'experiment', id)
    db.prepare('UPDATE workspace_state SET active_experiment_id = ? WHERE id = 1').run(id)
    logEvent(db, 'experiment.activated', 'experiment', id, {})
  })()
}
