import type Database from 'better-sqlite3'
import { must } from '../errors'
import type { Experiment, JsonObject } from '../types'
import { getExperiment } from './experiments'
import { logEvent } from './events'

/**
 * Sets fields of an experiment's config and records the change (each field's old and new value, and why) in the
 * audit log, in one transaction: the config and its history cannot disagree. Fields not in `patch` keep their value.
 */
export function changeExperimentConfig(db: Database.Database, id: number, patch: JsonObject, reason: string): Experiment {
  return db.transaction(() => {
    const cur = must(getExperiment(db, id), 'experiment', id)
    const config = { ...cur.config, ...patch }
    db.prepare('UPDATE experiments SET config = ? WHERE id = ?').run(JSON.stringify(config), id)
    const changes = Object.keys(patch).map((field) => ({ field, from: cur.config[field] ?? null, to: patch[field] }))
    logEvent(db, 'experiment.config_changed', 'experiment', id, { reason, changes })
    return { ...cur, config }
  })()
}
