import type Database from 'better-sqlite3'
import { must, StoreError } from '../errors'
import type { CodeEntry } from '../types'
import { logEvent } from './events'

/** Uint32 words → bytes, little-endian whatever the host, so a workspace file moves between machines. */
export function packWords(words: Uint32Array): Buffer {
  const buf = Buffer.alloc(words.length * 4)
  for (let i = 0; i < words.length; i++) buf.writeUInt32LE(words[i], i * 4)
  return buf
}

export function unpackWords(bytes: Uint8Array): Uint32Array {
  if (bytes.length % 4 !== 0) throw new StoreError('invalid_input', `packed code has ${bytes.length} bytes, not a multiple of 4`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Uint32Array(bytes.length / 4)
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true)
  return out
}

export interface CodeInput {
  editId: number
  code: Uint32Array
  preset: Uint32Array
}

/**
 * Replaces a batch's codes with `codes` (one per edit of the batch, checked by the foreign key to batch_edits).
 */
export function putCodes(db: Database.Database, batchId: number, codes: readonly CodeInput[]): void {
  for (const [i, c] of codes.entries()) {
    if (!(c.code instanceof Uint32Array) || !(c.preset instanceof Uint32Array) || c.code.length === 0 || c.code.length !== c.preset.length) {
      throw new StoreError('invalid_input',
        `codes[${i}]: expected code and preset as non-empty Uint32Arrays of equal length, got ${c.code?.length} and ${c.preset?.length}`)
    }
  }
  db.transaction(() => {
    must(db.prepare('SELECT id FROM batches WHERE id = ?').get(batchId), 'batch', batchId)
    const member = db.prepare('SELECT 1 FROM batch_edits WHERE batch_id = ? AND edit_id = ?')
    for (const c of codes) {
      if (!member.get(batchId, c.editId)) throw new StoreError('invalid_input', `edit ${c.editId} is not in batch ${batchId}`)
    }
    db.prepare('DELETE FROM codes WHERE batch_id = ?').run(batchId)
    const insert = db.prepare('INSERT INTO codes (batch_id, edit_id, code, preset) VALUES (?, ?, ?, ?)')
    for (const c of codes) insert.run(batchId, c.editId, packWords(c.code), packWords(c.preset))
    logEvent(db, 'codes.put', 'batch', batchId, { count: codes.length })
  })()
}

interface CodeRow {
  batch_id: number
  edit_id: number
  code: Buffer
  preset: Buffer
}

const toEntry = (r: CodeRow): CodeEntry =>
  ({ batchId: r.batch_id, editId: r.edit_id, code: unpackWords(r.code), preset: unpackWords(r.preset) })

/** The codes deferral routes on: those of `applied` batches, in batch seq then row order. */
export function listActiveCodes(db: Database.Database, experimentId: number): CodeEntry[] {
  return (db.prepare(`
    SELECT c.batch_id, c.edit_id, c.code, c.preset FROM codes c
    JOIN batches b ON b.id = c.batch_id
    JOIN batch_edits be ON be.batch_id = c.batch_id AND be.edit_id = c.edit_id
    WHERE b.experiment_id = ? AND b.state = 'applied'
    ORDER BY b.seq, be.row`).all(experimentId) as CodeRow[]).map(toEntry)
}

export function listBatchCodes(db: Database.Database, batchId: number): CodeEntry[] {
  return (db.prepare(`
    SELECT c.batch_id, c.edit_id, c.code, c.preset FROM codes c
    JOIN batch_edits be ON be.batch_id = c.batch_id AND be.edit_id = c.edit_id
    WHERE c.batch_id = ? ORDER BY be.row`).all(batchId) as CodeRow[]).map(toEntry)
}
