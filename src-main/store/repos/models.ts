import type Database from 'better-sqlite3'
import type { JsonObject, Model } from '../types'
import { logEvent } from './events'
import { jsonObject, nonEmpty, sha256Hex } from './validate'

interface ModelRow {
  id: number
  path: string
  architecture: string
  config: string
  content_hash: string
  created_at: number
}

function toModel(r: ModelRow): Model {
  return {
    id: r.id, path: r.path, architecture: r.architecture, config: JSON.parse(r.config) as JsonObject,
    contentHash: r.content_hash, createdAt: r.created_at
  }
}

export interface ModelInput {
  path: string
  architecture: string
  config: JsonObject
  /** sha256 of the weights file, lowercase hex: the model's identity, wherever the file moves. */
  contentHash: string
}

/**
 * Registers a model, or returns the one already registered with the same content hash (updating its path if
 * the file moved, since the hash says it is the same weights).
 */
export function registerModel(db: Database.Database, input: ModelInput): Model {
  const path = nonEmpty(input.path, 'path')
  const architecture = nonEmpty(input.architecture, 'architecture')
  const config = jsonObject(input.config, 'config')
  const hash = sha256Hex(input.contentHash, 'contentHash')
  return db.transaction(() => {
    const existing = findModelByHash(db, hash)
    if (existing) {
      if (existing.path === path) return existing
      db.prepare('UPDATE models SET path = ? WHERE id = ?').run(path, existing.id)
      logEvent(db, 'model.moved', 'model', existing.id, { from: existing.path, to: path })
      return { ...existing, path }
    }
    const now = Date.now()
    const id = Number(db.prepare(
      'INSERT INTO models (path, architecture, config, content_hash, created_at) VALUES (?, ?, ?, ?, ?)'
    ).run(path, architecture, JSON.stringify(config), hash, now).lastInsertRowid)
    logEvent(db, 'model.registered', 'model', id, { path, architecture }, now)
    return { id, path, architecture, config, contentHash: hash, createdAt: now }
  })()
}

export function findModelByHash(db: Database.Database, contentHash: string): Model | null {
  const r = db.prepare('SELECT * FROM models WHERE content_hash = ?').get(contentHash) as ModelRow | undefined
  return r ? toModel(r) : null
}

export function getModel(db: Database.Database, id: number): Model | null {
  const r = db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined
  return r ? toModel(r) : null
}

export function listModels(db: Database.Database): Model[] {
  return (db.prepare('SELECT * FROM models ORDER BY id').all() as ModelRow[]).map(toModel)
}
