/** Plain objects the repositories return: camelCase, JSON columns parsed, times in Unix milliseconds. */

export const EDIT_STATUSES = ['queued', 'applied', 'failed', 'disabled', 'rolled_back'] as const
export type EditStatus = (typeof EDIT_STATUSES)[number]

export const BATCH_STATES = ['queued', 'training', 'applied', 'failed', 'interrupted', 'rolled_back', 'disabled'] as const
export type BatchState = (typeof BATCH_STATES)[number]

export type EventEntity = 'model' | 'experiment' | 'edit' | 'batch' | 'checkpoint'

export type JsonObject = { [key: string]: unknown }

export interface Model {
  id: number
  path: string
  architecture: string
  config: JsonObject
  contentHash: string
  createdAt: number
}

export interface Experiment {
  id: number
  name: string
  modelId: number
  method: string
  config: JsonObject
  notes: string
  tags: string[]
  createdAt: number
  /** Hidden from the runs table unless asked for; nothing else changes. */
  archived: boolean
  /** Evaluate after every this many applied edits (0: only on demand). */
  evalEvery: number
  /** The named preset the experiment was created from, if any (e.g. 'elder-paper'). */
  preset: string | null
  /** Backend and app version of the latest batch trained (null before the first). */
  backend: string | null
  appVersion: string | null
}

/** An applied edit's latest verdict: after the evaluation at editCount, did its prompt still give its target? */
export interface EditHealth {
  editId: number
  holds: boolean
  editCount: number
  checkedAt: number
}

export interface LocalityPair {
  prompt: string
  answer: string
}

/** What a caller supplies for a new edit; an importer record (`ImportedRecord`) fits as is. */
export interface EditInput {
  prompt: string
  target: string
  groundTruth?: string
  rephrases?: string[]
  locality?: LocalityPair[]
  subject?: string
  relation?: string
  sourceLine?: number
}

export interface Edit {
  id: number
  experimentId: number
  position: number
  prompt: string
  target: string
  groundTruth: string | null
  rephrases: string[]
  locality: LocalityPair[]
  subject: string | null
  relation: string | null
  sourceFile: string | null
  sourceLine: number | null
  status: EditStatus
  createdAt: number
  updatedAt: number
}

export interface Batch {
  id: number
  experimentId: number
  seq: number
  state: BatchState
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  steps: number | null
  wallMs: number | null
  error: string | null
  /** The last training step's loss, once applied. */
  finalLoss: number | null
}

/** A batch with its edit ids in row order (row i of the training batch is editIds[i]). */
export interface BatchWithEdits extends Batch {
  editIds: number[]
}

export interface CodeEntry {
  batchId: number
  editId: number
  /** Packed allocation code, one Uint32 word per 32 bits of the L x N grid. */
  code: Uint32Array
  preset: Uint32Array
}

export interface Checkpoint {
  id: number
  experimentId: number
  /** null = the base state, before any batch. */
  afterBatchId: number | null
  file: string
  sha256: string
  bytes: number
  createdAt: number
  active: boolean
}

export interface MetricPoint {
  experimentId: number
  batchId: number | null
  editCount: number
  name: string
  value: number
  createdAt: number
}

export interface StoreEvent {
  id: number
  at: number
  kind: string
  entity: EventEntity
  entityId: number | null
  detail: JsonObject
}

export interface Page<T> {
  items: T[]
  total: number
}
