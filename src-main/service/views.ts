// Store rows → the contract's views. Pure functions of the database; no engine, no events.
import { createHash } from 'node:crypto'
import { basename } from 'node:path'
import type Database from 'better-sqlite3'
import { parseMethodConfig } from '../engine/methods/configs'
import { targetModules } from '../engine/model/targets'
import type { BatchState, BatchView, EditHealth, EditView, ExperimentView, ModelView } from '../../src-preload/contract'
import {
  countEditsByStatus, editHealthCounts, getEdit, getModel, latestMetrics, latestMetricsByBatch, listBatches, wasApplied,
  type BatchWithEdits, type Edit, type Experiment, type Model
} from '../store'

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)

export function modelView(m: Model): ModelView {
  return {
    id: m.id, path: m.path, name: basename(m.path), contentHash: m.contentHash, architecture: m.architecture,
    nLayer: num(m.config.nLayer), nEmbd: num(m.config.nEmbd), vocabSize: num(m.config.vocabSize),
    targetModules: [...targetModules(m.architecture)]
  }
}

export function experimentView(db: Database.Database, e: Experiment): ExperimentView {
  const settings: Record<string, unknown> = parseMethodConfig({ ...e.config, method: e.method })
  // The module the engine runs with: null means the architecture's default, shown by name so runs compare by it.
  const model = getModel(db, e.modelId)
  if (settings.module === null && model) settings.module = targetModules(model.architecture)[0] ?? null
  const applied = listBatches(db, e.id).filter((b) => b.state === 'applied' || b.state === 'disabled')
  // Trained order: batches by seq, rows in batch order; disabled batches were trained too (and can come back).
  const sequence = createHash('sha256')
  let wallMs = 0
  let trained = 0
  for (const b of applied) {
    for (const id of b.editIds) {
      const edit = getEdit(db, id)
      sequence.update(`${edit?.prompt ?? ''}\u0000${edit?.target ?? ''}\n`)
    }
    wallMs += b.wallMs ?? 0
    trained += b.editIds.length
  }
  return {
    id: e.id, name: e.name, modelId: e.modelId, method: e.method, config: e.config, settings,
    notes: e.notes, tags: e.tags,
    createdAt: e.createdAt, counts: countEditsByStatus(db, e.id),
    archived: e.archived, evalEvery: e.evalEvery, preset: e.preset,
    repro: {
      modelHash: model?.contentHash ?? '', backend: e.backend, appVersion: e.appVersion,
      seed: typeof settings.seed === 'number' ? settings.seed : null, editSequence: sequence.digest('hex')
    },
    latest: latestMetrics(db, e.id),
    secondsPerEdit: trained > 0 ? wallMs / 1000 / trained : null,
    health: editHealthCounts(db, e.id)
  }
}

/** The batch an edit belongs to, as its row shows it. */
export interface EditBatch {
  id: number
  seq: number
  state: BatchState
}

export function editView(e: Edit, batch: EditBatch | null, health: EditHealth | null = null): EditView {
  return {
    id: e.id, position: e.position, prompt: e.prompt, target: e.target, groundTruth: e.groundTruth,
    rephrases: e.rephrases, locality: e.locality, subject: e.subject, relation: e.relation, sourceFile: e.sourceFile,
    sourceLine: e.sourceLine, status: e.status, batchId: batch?.id ?? null, batchSeq: batch?.seq ?? null,
    batchState: batch?.state ?? null, health
  }
}

export function batchView(db: Database.Database, b: BatchWithEdits, metrics: BatchView['metrics'] = []): BatchView {
  return {
    id: b.id, seq: b.seq, state: b.state, createdAt: b.createdAt, startedAt: b.startedAt, finishedAt: b.finishedAt,
    steps: b.steps, wallMs: b.wallMs, error: b.error,
    edits: b.editIds.map((id) => {
      const e = getEdit(db, id)
      return { id, prompt: e?.prompt ?? '', target: e?.target ?? '' }
    }),
    finalLoss: b.finalLoss, metrics,
    replay: (b.state === 'queued' || b.state === 'interrupted') && wasApplied(db, b.id)
  }
}

export function batchViews(db: Database.Database, experimentId: number): BatchView[] {
  const metrics = latestMetricsByBatch(db, experimentId)
  // The card's metrics are the evaluation's; its own speed is already there as training time and steps.
  const evaluated = (b: number) => metrics.get(b)?.filter((m) => m.name !== 's_per_edit')
  return listBatches(db, experimentId).map((b) => batchView(db, b, evaluated(b.id)))
}

/** edit id → its batch, for an experiment's batched edits. */
export function batchOfEdits(db: Database.Database, experimentId: number): Map<number, EditBatch> {
  const out = new Map<number, EditBatch>()
  for (const b of listBatches(db, experimentId)) for (const id of b.editIds) out.set(id, { id: b.id, seq: b.seq, state: b.state })
  return out
}
