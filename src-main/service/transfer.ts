// Import and export: edit files through the importers (every bad record reported by line and field, the good
// ones imported in one transaction or not at all), edits + history as JSONL, metrics as CSV, and the adapter.
import { existsSync, rmSync } from 'node:fs'
import type { ExperimentView, ImportReport } from '../../src-preload/contract'
import { basename } from 'node:path'
import { ImportError, importBytes, importFile, type ImportResult, type ZsreTarget } from '../importers'
import { readVerified, writeFileAtomic } from '../jobs/checkpoint-file'
import {
  addEdits, batchEdits, createExperiment, createNextBatch, getExperiment, getModel, latestActiveCheckpoint,
  listBatchCodes, listBatches, listExperiments, metricNames, metricSeries, putCodes, recordCheckpoint, setBatchState,
  type Edit, type Experiment
} from '../store'
import { packAdapter, unpackAdapter, type AdapterBatch, type AdapterEdit } from './adapter-file'
import { absPath, newCheckpointPath, type Ctx } from './context'
import { disabledBatchIds } from './engine-state'
import { allEdits } from './evaluate'
import { fail } from './errors'
import { batchOfEdits, experimentView } from './views'

/** A file as the contract carries it: its bytes as base64 (the app), or text already decoded (scripts). */
export interface FileInput {
  name: string
  bytes?: string
  content?: string
}

/** The bytes the importer reads: a file's own bytes when sent as such, so bad UTF-8 reaches it as it is. */
const bytesOf = (file: FileInput): Buffer =>
  file.bytes !== undefined ? Buffer.from(file.bytes, 'base64') : Buffer.from(file.content ?? '', 'utf8')

export function mustExperiment(ctx: Ctx, id: number): Experiment {
  const e = getExperiment(ctx.db, id)
  if (!e) throw fail('not_found', `experiment ${id} does not exist`)
  return e
}

function report(r: ImportResult): ImportReport {
  return {
    format: r.format, total: r.total, good: r.records.length, errors: r.errors, omittedErrors: r.omittedErrors,
    ...(r.zsreTarget ? { zsreTarget: r.zsreTarget } : {})
  }
}

/** A file refused whole comes back as data (`refused`): the dialog shows it with the file, line and field. */
export async function previewImport(file: FileInput, zsreTarget?: ZsreTarget): Promise<ImportReport> {
  try {
    return report(await importBytes(bytesOf(file), { name: file.name, zsreTarget }))
  } catch (e) {
    if (!(e instanceof ImportError)) throw e
    return {
      format: 'unknown', total: 0, good: 0, errors: [], omittedErrors: 0,
      refused: { file: file.name, line: e.line ?? null, field: e.field ?? null, message: e.detail }
    }
  }
}

/** Parses first (nothing is written for a file-level error), then adds every good record in one transaction. */
export async function importEdits(ctx: Ctx, experimentId: number, file: FileInput, zsreTarget?: ZsreTarget): Promise<ImportReport> {
  mustExperiment(ctx, experimentId)
  return queueImported(ctx, experimentId, await importBytes(bytesOf(file), { name: file.name, zsreTarget }), file.name)
}

/**
 * The same from a path (the CLI): the importer gets the file's bytes as they are, so invalid UTF-8 is reported
 * rather than stored as U+FFFD, and reads them only after the size check, streaming JSONL and CSV.
 */
export async function importEditsFromPath(ctx: Ctx, experimentId: number, path: string, zsreTarget?: ZsreTarget): Promise<ImportReport> {
  mustExperiment(ctx, experimentId)
  return queueImported(ctx, experimentId, await importFile(path, { zsreTarget }), basename(path))
}

function queueImported(ctx: Ctx, experimentId: number, r: ImportResult, sourceFile: string): ImportReport {
  const ids = r.records.length ? addEdits(ctx.db, experimentId, r.records, { sourceFile }) : []
  if (ids.length) ctx.emit({ type: 'edits.changed', experimentId })
  return { ...report(r), imported: ids.length }
}

const safeName = (s: string): string => s.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'experiment'

function editRecord(e: Edit): AdapterEdit {
  return {
    prompt: e.prompt, target: e.target, ...(e.groundTruth !== null ? { ground_truth: e.groundTruth } : {}),
    rephrases: e.rephrases, locality: e.locality,
    ...(e.subject !== null ? { subject: e.subject } : {}), ...(e.relation !== null ? { relation: e.relation } : {})
  }
}

/**
 * The experiment's edits in queue order as project-format JSONL (re-importable), each with its status and the
 * batch that carried it (seq and state), so the file is also the edit history.
 */
export function exportEdits(ctx: Ctx, experimentId: number): { name: string; content: string } {
  const exp = mustExperiment(ctx, experimentId)
  const batchOf = batchOfEdits(ctx.db, experimentId)
  const lines: string[] = []
  for (const e of allEdits(ctx, experimentId)) {
    const b = batchOf.get(e.id)
    lines.push(JSON.stringify({ ...editRecord(e), status: e.status, batch: b ? { seq: b.seq, state: b.state } : null }))
  }
  return { name: `${safeName(exp.name)}-edits.jsonl`, content: lines.map((l) => `${l}\n`).join('') }
}

const csvCell = (v: string | number | null): string => {
  if (v === null) return ''
  const s = String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function exportMetrics(ctx: Ctx, experimentId: number): { name: string; content: string } {
  const exp = mustExperiment(ctx, experimentId)
  const rows = [['experiment_id', 'experiment', 'batch_id', 'edit_count', 'name', 'value', 'created_at']]
  for (const name of metricNames(ctx.db, experimentId)) {
    for (const p of metricSeries(ctx.db, experimentId, name)) {
      rows.push([String(exp.id), exp.name, p.batchId === null ? '' : String(p.batchId), String(p.editCount), p.name, String(p.value), new Date(p.createdAt).toISOString()])
    }
  }
  return { name: `${safeName(exp.name)}-metrics.csv`, content: rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n' }
}

/** The newest active checkpoint with the batches that made it. Needs no engine: the checkpoint is the state. */
export function exportAdapter(ctx: Ctx, experimentId: number): { name: string; base64: string } {
  const exp = mustExperiment(ctx, experimentId)
  const model = getModel(ctx.db, exp.modelId)
  if (!model) throw fail('not_found', `model ${exp.modelId} does not exist`)
  const cp = latestActiveCheckpoint(ctx.db, experimentId)
  if (!cp) throw fail('conflict', `experiment "${exp.name}" has no applied batch yet; there is no adapter to export`)
  const state = readVerified(absPath(ctx, cp.file), cp.sha256)
  const batches: AdapterBatch[] = listBatches(ctx.db, experimentId)
    .filter((b) => b.state === 'applied' || b.state === 'disabled')
    .map((b) => ({
      owner: b.id, seq: b.seq, state: b.state as AdapterBatch['state'],
      edits: batchEdits(ctx.db, b.id).map(editRecord),
      codes: listBatchCodes(ctx.db, b.id).map((c) => ({ code: Array.from(c.code), preset: Array.from(c.preset) }))
    }))
  const bytes = packAdapter({
    exportedAt: Date.now(), model: { contentHash: model.contentHash, name: model.path },
    experiment: { name: exp.name, method: exp.method, config: exp.config }, batches
  }, state)
  return { name: `${safeName(exp.name)}.elder-adapter`, base64: bytes.toString('base64') }
}

/**
 * Imports an adapter as a new experiment on the model of `experimentId` (which must be the adapter's base
 * model): its batches become applied (or disabled) batches with their edits and codes, and its state, with
 * deferral owners renumbered to the new batch ids, becomes the active checkpoint.
 */
export async function importAdapter(ctx: Ctx, experimentId: number, name: string, base64: string): Promise<ExperimentView> {
  const into = mustExperiment(ctx, experimentId)
  const model = getModel(ctx.db, into.modelId)
  if (!model) throw fail('not_found', `model ${into.modelId} does not exist`)
  const { header, state } = unpackAdapter(Buffer.from(base64, 'base64'), name)
  if (header.model.contentHash !== model.contentHash) {
    throw fail('conflict', `${name} was trained on model ${header.model.contentHash.slice(0, 12)}…; experiment "${into.name}" uses ` +
      `${model.contentHash.slice(0, 12)}… (${model.path})`)
  }
  const staged = newCheckpointPath(ctx, experimentId, null)
  const sha256 = writeFileAtomic(staged.abs, state)
  try {
    return await ctx.lock.run(async () => {
      // 1. The engine checks the state (checksum, base model, sizes) before the database changes at all.
      ctx.loaded = null
      await ctx.host.request('load', { modelDir: model.path, config: { ...header.experiment.config, method: header.experiment.method }, state: { file: staged.abs, sha256 }, disabled: [], renumber: [] })
      // 2. History, in one transaction.
      const { db } = ctx
      const { exp, owners } = db.transaction(() => {
        const taken = new Set(listExperiments(db).map((e) => e.name))
        let expName = `${header.experiment.name} (imported)`
        for (let i = 2; taken.has(expName); i++) expName = `${header.experiment.name} (imported ${i})`
        const exp = createExperiment(db, { name: expName, modelId: model.id, method: header.experiment.method, config: header.experiment.config, notes: `imported from ${name}` })
        const owners: Array<[number, number]> = []
        for (const b of [...header.batches].sort((x, y) => x.seq - y.seq)) {
          addEdits(db, exp.id, b.edits.map((e) => ({ ...e, groundTruth: e.ground_truth })), { sourceFile: name })
          const nb = createNextBatch(db, exp.id, b.edits.length)
          if (!nb || nb.editIds.length !== b.edits.length) throw fail('internal', `could not rebuild batch ${b.seq} of ${name}`)
          setBatchState(db, nb.id, 'training', { reason: `imported from ${name}` })
          putCodes(db, nb.id, b.codes.map((c, i) => ({ editId: nb.editIds[i], code: Uint32Array.from(c.code), preset: Uint32Array.from(c.preset) })))
          setBatchState(db, nb.id, 'applied', { reason: `imported from ${name}` })
          if (b.state === 'disabled') setBatchState(db, nb.id, 'disabled', { reason: `imported from ${name}` })
          owners.push([b.owner, nb.id])
        }
        return { exp, owners }
      })()
      // 3. The state with its rows owned by the new batch ids becomes the new experiment's checkpoint.
      const disabled = disabledBatchIds(ctx, exp.id)
      const last = owners.at(-1)?.[1] ?? null
      let row
      try {
        await ctx.host.request('load', { modelDir: model.path, config: { ...header.experiment.config, method: header.experiment.method }, state: { file: staged.abs, sha256 }, disabled, renumber: owners })
        const cp = newCheckpointPath(ctx, exp.id, last)
        const written = await ctx.host.request('saveState', { file: cp.abs })
        row = recordCheckpoint(db, { experimentId: exp.id, afterBatchId: last, file: cp.rel, sha256: written.sha256, bytes: written.bytes })
      } catch (e) {
        // No checkpoint holds these batches: say so in their history rather than leave them looking applied.
        ctx.loaded = null
        db.transaction(() => {
          for (const [, id] of owners) setBatchState(db, id, 'rolled_back', { reason: `adapter import from ${name} failed` })
        })()
        throw e
      }
      ctx.loaded = { experimentId: exp.id, modelPath: model.path, checkpointId: row.id, disabled }
      ctx.emit({ type: 'edits.changed', experimentId: exp.id })
      ctx.emit({ type: 'batches.changed', experimentId: exp.id })
      return experimentView(db, exp)
    })
  } finally {
    if (existsSync(staged.abs)) rmSync(staged.abs, { force: true })
  }
}
