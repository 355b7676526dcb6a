import type Database from 'better-sqlite3'
import { must, StoreError } from '../errors'
import { EDIT_STATUSES, type Edit, type EditInput, type EditStatus, type LocalityPair, type Page } from '../types'
import { logEvent } from './events'
import { describe, nonEmpty, optionalText, stringList } from './validate'

export interface EditRow {
  id: number
  experiment_id: number
  position: number
  prompt: string
  target: string
  ground_truth: string | null
  rephrases: string
  locality: string
  subject: string | null
  relation: string | null
  source_file: string | null
  source_line: number | null
  status: EditStatus
  created_at: number
  updated_at: number
}

export function toEdit(r: EditRow): Edit {
  return {
    id: r.id, experimentId: r.experiment_id, position: r.position, prompt: r.prompt, target: r.target,
    groundTruth: r.ground_truth, rephrases: JSON.parse(r.rephrases) as string[],
    locality: JSON.parse(r.locality) as LocalityPair[], subject: r.subject, relation: r.relation,
    sourceFile: r.source_file, sourceLine: r.source_line, status: r.status, createdAt: r.created_at, updatedAt: r.updated_at
  }
}

/** Checked column values for one edit, in INSERT order after experiment_id and position. */
function editColumns(e: EditInput, where: string): [string, string, string | null, string, string, string | null, string | null, number | null] {
  const locality = e.locality ?? []
  if (!Array.isArray(locality) || locality.some((p) => typeof p?.prompt !== 'string' || typeof p?.answer !== 'string')) {
    throw new StoreError('invalid_input', `${where}locality: expected an array of {prompt, answer} strings, got ${describe(locality)}`)
  }
  const line = e.sourceLine
  if (line !== undefined && (!Number.isInteger(line) || line < 1)) {
    throw new StoreError('invalid_input', `${where}sourceLine: expected a positive integer, got ${describe(line)}`)
  }
  return [
    nonEmpty(e.prompt, `${where}prompt`), nonEmpty(e.target, `${where}target`),
    optionalText(e.groundTruth, `${where}groundTruth`),
    JSON.stringify(stringList(e.rephrases, `${where}rephrases`)),
    JSON.stringify(locality.map((p) => ({ prompt: p.prompt, answer: p.answer }))),
    optionalText(e.subject, `${where}subject`), optionalText(e.relation, `${where}relation`), line ?? null
  ]
}

const INSERT_EDIT = `
  INSERT INTO edits (experiment_id, position, prompt, target, ground_truth, rephrases, locality, subject, relation,
                     source_line, source_file, status, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`

export interface AddEditsOptions {
  /** File the edits were imported from, kept with each edit so errors can point back to it. */
  sourceFile?: string
}

/** Appends one edit to the end of an experiment's queue. */
export function addEdit(db: Database.Database, experimentId: number, input: EditInput, opts: AddEditsOptions = {}): Edit {
  const id = addEdits(db, experimentId, [input], opts)[0]
  return must(getEdit(db, id), 'edit', id)
}

/**
 * Appends many edits in one transaction with one prepared statement (10,000 take well under a second).
 * All or nothing: the first invalid input aborts the whole call, naming its index. Logs one event for the
 * call rather than one per edit, with the id range, to keep the audit log proportionate.
 */
export function addEdits(
  db: Database.Database, experimentId: number, inputs: readonly EditInput[], opts: AddEditsOptions = {}
): number[] {
  const sourceFile = optionalText(opts.sourceFile, 'sourceFile')
  return db.transaction(() => {
    if (!db.prepare('SELECT 1 FROM experiments WHERE id = ?').get(experimentId)) {
      throw new StoreError('not_found', `experiment ${experimentId} does not exist`)
    }
    const { next } = db.prepare('SELECT coalesce(max(position), -1) + 1 AS next FROM edits WHERE experiment_id = ?')
      .get(experimentId) as { next: number }
    const insert = db.prepare(INSERT_EDIT)
    const now = Date.now()
    const ids: number[] = new Array(inputs.length)
    for (let i = 0; i < inputs.length; i++) {
      const [prompt, target, gt, reph, loc, subject, relation, line] = editColumns(inputs[i], inputs.length > 1 ? `edit[${i}].` : '')
      ids[i] = Number(insert.run(experimentId, next + i, prompt, target, gt, reph, loc, subject, relation, line, sourceFile, now, now)
        .lastInsertRowid)
    }
    if (ids.length > 0) {
      logEvent(db, 'edits.added', 'experiment', experimentId,
        { count: ids.length, firstId: ids[0], lastId: ids[ids.length - 1], sourceFile }, now)
    }
    return ids
  })()
}

export function getEdit(db: Database.Database, id: number): Edit | null {
  const r = db.prepare('SELECT * FROM edits WHERE id = ?').get(id) as EditRow | undefined
  return r ? toEdit(r) : null
}

/** An edit may change only while it waits in the queue and no batch has claimed it yet. */
function assertEditable(db: Database.Database, id: number, action: string): EditRow {
  const r = must(db.prepare('SELECT * FROM edits WHERE id = ?').get(id) as EditRow | undefined, 'edit', id)
  if (r.status !== 'queued') {
    throw new StoreError('not_editable', `cannot ${action} edit ${id}: it is ${r.status}; only queued edits can change`)
  }
  const b = db.prepare('SELECT b.id, b.seq, b.state FROM batch_edits be JOIN batches b ON b.id = be.batch_id WHERE be.edit_id = ?')
    .get(id) as { id: number; seq: number; state: string } | undefined
  if (b) {
    throw new StoreError('not_editable',
      `cannot ${action} edit ${id}: it belongs to batch ${b.seq} (id ${b.id}, ${b.state}); only unbatched queued edits can change`)
  }
  return r
}

export type EditPatch = Partial<Omit<EditInput, 'sourceLine'>>

export function updateEdit(db: Database.Database, id: number, patch: EditPatch): Edit {
  return db.transaction(() => {
    const cur = toEdit(assertEditable(db, id, 'update'))
    const merged: EditInput = {
      prompt: patch.prompt ?? cur.prompt, target: patch.target ?? cur.target,
      groundTruth: 'groundTruth' in patch ? patch.groundTruth : cur.groundTruth ?? undefined,
      rephrases: patch.rephrases ?? cur.rephrases, locality: patch.locality ?? cur.locality,
      subject: 'subject' in patch ? patch.subject : cur.subject ?? undefined,
      relation: 'relation' in patch ? patch.relation : cur.relation ?? undefined
    }
    const [prompt, target, gt, reph, loc, subject, relation] = editColumns(merged, '')
    const now = Date.now()
    db.prepare(`UPDATE edits SET prompt = ?, target = ?, ground_truth = ?, rephrases = ?, locality = ?, subject = ?,
                relation = ?, updated_at = ? WHERE id = ?`).run(prompt, target, gt, reph, loc, subject, relation, now, id)
    logEvent(db, 'edit.updated', 'edit', id, { fields: Object.keys(patch) }, now)
    return must(getEdit(db, id), 'edit', id)
  })()
}

export function deleteEdit(db: Database.Database, id: number): void {
  db.transaction(() => {
    const r = assertEditable(db, id, 'delete')
    db.prepare('DELETE FROM edits WHERE id = ?').run(id)
    logEvent(db, 'edit.deleted', 'edit', id, { experimentId: r.experiment_id, prompt: r.prompt, target: r.target })
  })()
}

export interface EditQuery {
  status?: EditStatus
  /** Default 0. */
  offset?: number
  /** Default 100, at most 10,000. */
  limit?: number
}

/** One page of an experiment's edits in queue order, with the total matching the filter. */
export function listEdits(db: Database.Database, experimentId: number, q: EditQuery = {}): Page<Edit> {
  if (q.status !== undefined && !EDIT_STATUSES.includes(q.status)) {
    throw new StoreError('invalid_input', `status: expected one of ${EDIT_STATUSES.join(', ')}, got ${describe(q.status)}`)
  }
  const offset = Math.max(0, Math.trunc(q.offset ?? 0))
  const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? 100)), 10_000)
  const filter = q.status === undefined ? '' : 'AND status = ?'
  const args: (number | string)[] = q.status === undefined ? [experimentId] : [experimentId, q.status]
  return db.transaction(() => {
    const { total } = db.prepare(`SELECT count(*) AS total FROM edits WHERE experiment_id = ? ${filter}`).get(...args) as { total: number }
    const rows = db.prepare(`SELECT * FROM edits WHERE experiment_id = ? ${filter} ORDER BY position LIMIT ? OFFSET ?`)
      .all(...args, limit, offset) as EditRow[]
    return { items: rows.map(toEdit), total }
  })()
}

/** Count per status, every status present (0 when none). */
export function countEditsByStatus(db: Database.Database, experimentId: number): Record<EditStatus, number> {
  const out = Object.fromEntries(EDIT_STATUSES.map((s) => [s, 0])) as Record<EditStatus, number>
  const rows = db.prepare('SELECT status, count(*) AS n FROM edits WHERE experiment_id = ? GROUP BY status')
    .all(experimentId) as { status: EditStatus; n: number }[]
  for (const r of rows) out[r.status] = r.n
  return out
}

/**
 * Queues rolled-back or failed edits again, as new edits at the end of the queue with the same fields and source:
 * an edit belongs to one batch for its whole life, so the original stays in history with its batch. All from one
 * experiment, in the order given; refused whole, naming the edit, if one is in another state.
 */
export function requeueEdits(db: Database.Database, ids: readonly number[]): { experimentId: number; ids: number[] } {
  return db.transaction(() => {
    const edits = ids.map((id) => toEdit(must(db.prepare('SELECT * FROM edits WHERE id = ?').get(id) as EditRow | undefined, 'edit', id)))
    const experimentId = edits[0].experimentId
    for (const e of edits) {
      if (e.experimentId !== experimentId) throw new StoreError('invalid_input', `edit ${e.id} is in experiment ${e.experimentId}, not ${experimentId}; re-queue one experiment at a time`)
      if (e.status !== 'rolled_back' && e.status !== 'failed') {
        throw new StoreError('not_editable', `edit ${e.id} is ${e.status}; only rolled-back or failed edits can be queued again`)
      }
    }
    const bySource = new Map<string | null, Edit[]>()
    for (const e of edits) bySource.set(e.sourceFile, [...(bySource.get(e.sourceFile) ?? []), e])
    const out: number[] = []
    for (const [sourceFile, group] of bySource) {
      const inputs = group.map((e) => ({
        prompt: e.prompt, target: e.target, groundTruth: e.groundTruth ?? undefined, rephrases: e.rephrases, locality: e.locality,
        subject: e.subject ?? undefined, relation: e.relation ?? undefined, sourceLine: e.sourceLine ?? undefined
      }))
      out.push(...addEdits(db, experimentId, inputs, { sourceFile: sourceFile ?? undefined }))
    }
    logEvent(db, 'edits.requeued', 'experiment', experimentId, { from: [...ids], to: out })
    return { experimentId, ids: out }
  })()
}
