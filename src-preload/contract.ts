// The single source of truth between the renderer and the workspace: every method's name, request schema and
// response type, and every pushed event. Carried by Electron IPC (one ipcMain.handle and one preload function per
// method) on the desktop and by HTTP + server-sent events in `serve` mode; the service validates every request
// with these schemas before it touches anything. Imported by main, preload and renderer: no Node types here.
import { z } from 'zod'

const id = z.number().int().positive()
const text = (max: number) => z.string().trim().min(1).max(max)

const rephrases = z.array(text(10_000)).max(1000)
const locality = z.array(z.object({ prompt: text(10_000), answer: text(10_000) })).max(1000)

/** An edit's fields with no defaults: a patch must not reset the lists it does not mention. */
const EditFieldsSchema = z.object({
  prompt: text(10_000),
  target: text(10_000),
  groundTruth: z.string().max(10_000).optional(),
  rephrases,
  locality,
  subject: z.string().max(1000).optional(),
  relation: z.string().max(1000).optional()
})

export const EditInputSchema = EditFieldsSchema.extend({ rephrases: rephrases.default([]), locality: locality.default([]) })
export type EditInput = z.input<typeof EditInputSchema>

export const EDIT_STATUSES = ['queued', 'applied', 'failed', 'disabled', 'rolled_back'] as const
export const BATCH_STATES = ['queued', 'training', 'applied', 'failed', 'interrupted', 'rolled_back', 'disabled'] as const
export type EditStatus = (typeof EDIT_STATUSES)[number]
export type BatchState = (typeof BATCH_STATES)[number]

export interface EditView {
  id: number
  position: number
  prompt: string
  target: string
  groundTruth: string | null
  rephrases: string[]
  locality: Array<{ prompt: string; answer: string }>
  subject: string | null
  relation: string | null
  sourceFile: string | null
  sourceLine: number | null
  status: EditStatus
  batchId: number | null
  /** The batch's number as history shows it, and its state: a queued edit in a training batch is locked. */
  batchSeq: number | null
  batchState: BatchState | null
  /** After the latest evaluation: does the edit's prompt still give its target? null = not applied or not yet checked. */
  health: EditHealth | null
}

export type EditHealth = 'holds' | 'slipped'

export interface BatchView {
  id: number
  seq: number
  state: BatchState
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  steps: number | null
  wallMs: number | null
  error: string | null
  edits: Array<{ id: number; prompt: string; target: string }>
  /** The last training step's loss, once applied (null before, and for batches applied before schema 50). */
  finalLoss: number | null
  /** The latest value of each metric an evaluation measured right after this batch (empty until one ran). */
  metrics: Array<{ name: string; value: number; editCount: number }>
  /** Waiting (queued or interrupted) after having been applied: a revert-only's replay re-runs it as it was. */
  replay: boolean
}

export interface ModelView {
  id: number
  path: string
  name: string
  contentHash: string
  /** config.json's model_type: gpt2, llama, mistral or qwen2. */
  architecture: string
  nLayer: number
  nEmbd: number
  vocabSize: number
  /** The target modules an experiment's config field `module` may name; the first is the architecture's default. */
  targetModules: string[]
}

export interface ExperimentView {
  id: number
  name: string
  modelId: number
  method: string
  /** The settings as given (an empty object takes every default). */
  config: Record<string, unknown>
  /** Every setting the engine runs with: config over the method's defaults (e.g. the default's 8 experts). */
  settings: Record<string, unknown>
  notes: string
  tags: string[]
  createdAt: number
  counts: Record<EditStatus, number>
  archived: boolean
  /** Evaluated after every this many applied edits; 0 = on demand only. */
  evalEvery: number
  /** The EXPERIMENT_PRESETS name it was created from (null: custom, or a clone with changes). */
  preset: string | null
  /** What reproduces the run besides method and settings. backend / appVersion: of the latest batch (null before one). */
  repro: {
    modelHash: string
    backend: string | null
    appVersion: string | null
    seed: number | null
    /** sha256 of the applied edits' prompt and target in the order they were trained. */
    editSequence: string
  }
  /** Each metric's latest value and the edit count it was measured at. */
  latest: Record<string, { editCount: number; value: number }>
  /** Training seconds per applied edit over the applied batches (null before any). */
  secondsPerEdit: number | null
  /** Applied edits whose prompt still gives the target at the latest evaluation, of those checked. */
  health: { holds: number; checked: number }
}

export const JOB_KINDS = ['apply', 'evaluate', 'replay'] as const
export type JobKind = (typeof JOB_KINDS)[number]
export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const
export type JobState = (typeof JOB_STATES)[number]

/**
 * Starting points for a new experiment: the methods of issue 12 and the paper preset's ablations, as method + config
 * (the same rows as `bench compare`; a test checks they agree). An experiment may override any field on top.
 */
export const EXPERIMENT_PRESETS = {
  elder: { method: 'elder', config: {}, label: 'ELDER (default)' },
  'elder-paper': { method: 'elder', config: { preset: 'elder-paper' }, label: 'ELDER, paper preset' },
  'elder-paper w/o guided loss': { method: 'elder', config: { preset: 'elder-paper', lambda: 0 }, label: 'Ablation: no guided loss' },
  'elder-paper w/ load balancing': { method: 'elder', config: { preset: 'elder-paper', routerLoss: 'balance' }, label: 'Ablation: load-balancing loss' },
  // eps beyond any Hamming distance: every input is in scope, so nothing is deferred.
  'elder-paper w/o deferral': { method: 'elder', config: { preset: 'elder-paper', eps: 1e9 }, label: 'Ablation: no deferral' },
  grace: { method: 'grace', config: {}, label: 'GRACE' },
  melo: { method: 'melo', config: {}, label: 'MELO' },
  lora: { method: 'lora', config: {}, label: 'LoRA' },
  'ft-l': { method: 'ft-l', config: {}, label: 'FT-L' }
} as const satisfies Record<string, { method: (typeof EDIT_METHODS)[number]; config: Record<string, unknown>; label: string }>
export type PresetName = keyof typeof EXPERIMENT_PRESETS
export const PRESET_NAMES = Object.keys(EXPERIMENT_PRESETS) as [PresetName, ...PresetName[]]

export interface JobView {
  id: number
  kind: JobKind
  experimentId: number
  state: JobState
  /** Progress of the running batch. */
  step: number
  maxSteps: number
  loss: number | null
  editsDone: number
  editsTotal: number
  /** Edits in the running batch (0 between batches): a batch's steps train all of them at once. */
  batchEdits: number
  etaS: number | null
  message: string | null
  /**
   * Why a failed job failed, in ServiceError's codes (null unless state is 'failed'): a corrupt or missing
   * checkpoint is 'io', a bad edit 'invalid_request', the engine's own failure 'engine'. Programs (the CLI's exit
   * code) tell what the user can fix from it, as they do for a request's error.
   */
  errorCode: ServiceError['code'] | null
}

export interface ProbeRow {
  answer: string
  top5: Array<{ token: string; prob: number }>
}

export interface ProbeResult {
  prompt: string
  base: ProbeRow
  edited: ProbeRow & {
    /** L×N bits, layer-major, as '0'/'1' characters. */
    code: string
    nearestDistance: number | null
    nearestEditId: number | null
    deferred: boolean
    /** Why the prompt is or is not in the edit scope. */
    scope: ScopeView
  }
}

export const SCOPE_REASONS = ['in_scope', 'too_far', 'gate_failed', 'batch_disabled', 'no_edits', 'editor_disabled', 'no_scope'] as const
export type ScopeReason = (typeof SCOPE_REASONS)[number]
export type ScopeMeasure = 'query-cosine' | 'code-hamming' | 'key-euclidean' | 'cluster-euclidean' | 'none'

/** A stored edit near a probed prompt, by its queue row (editId null: the row is no longer in the queue). */
export interface NearEditView {
  editId: number | null
  batchSeq: number | null
  prompt: string
  target: string
  distance: number
  /** False when the edit's batch is disabled. */
  enabled: boolean
  failedGates: string[]
  /** The relation the edit names (null: none). */
  relation: string | null
}

/** The engine's scope explanation in the queue's terms (edit ids, batch numbers) with one sentence saying why. */
export interface ScopeView {
  measure: ScopeMeasure
  distance: number | null
  threshold: number | null
  inScope: boolean
  reason: ScopeReason
  /** E.g. "in scope: distance 0.012 < threshold 0.08" or "deferred: batch 2 disabled". */
  summary: string
  failedGates: string[]
  /** The relation the prompt reads as (ELDER's relation gate; null: no gate, or fewer than two relations edited). */
  relation: string | null
  nearest: NearEditView[]
  /** The experts used and their weights, rows × cols row-major (ELDER: L × N). */
  allocation: { rows: number; cols: number; weights: number[] } | null
}

/** Probing a queue row: the row's own probe, whether the edit holds, and each rephrase's result. */
export interface EditProbeView {
  editId: number
  target: string
  result: ProbeResult
  /** The edited answer equals the edit's target. */
  holds: boolean
  rephrases: Array<{ prompt: string; answer: string; holds: boolean; inScope: boolean; summary: string }>
}

export const SCOPE_GROUPS = ['edit', 'rephrase', 'unrelated'] as const
export type ScopeGroup = (typeof SCOPE_GROUPS)[number]

/** Scope distances of the active experiment's edit prompts, rephrases and unrelated inputs (null: no distance). */
export interface ScopeDistancesView {
  measure: ScopeMeasure
  /** The config field the threshold lives in; null: the method has no one threshold to tune. */
  field: string | null
  threshold: number | null
  /** How the distances relate to the decision when not plainly (ELDER's relation gate divides some by its scale). */
  note: string | null
  groups: Record<ScopeGroup, Array<number | null>>
}

/** What a threshold does: inputs of each group the method's own decision puts in scope at that threshold. */
export interface ScopeTradeoffView {
  threshold: number
  inScope: Record<ScopeGroup, number>
  total: Record<ScopeGroup, number>
}

export interface ScopeMapView {
  /** What the vectors are (e.g. "router scores (6×8)"); null: the method has none. */
  feature: string | null
  points: Array<{ group: ScopeGroup; text: string; vector: number[] }>
  /** Expert usage over the stored edits, rows × cols row-major (ELDER: L × N); null: none. */
  usage: { rows: number; cols: number; counts: number[] } | null
}

export interface ImportReport {
  format: string
  total: number
  good: number
  /**
   * Each bad record: `line` where it starts (or the exact line); in a JSON array also the byte `column` on that line
   * and the record's 1-based position, since a whole array may be one line.
   */
  errors: Array<{ line: number; column?: number; record?: number; field: string | null; message: string }>
  omittedErrors: number
  /** Set by edits.import (not by the preview). */
  imported?: number
  /**
   * Set by the preview when the file as a whole cannot be imported (unknown format, bad CSV header, no record): the
   * file, and the line and field where that shows, so the dialog can say it (edits.import refuses it as an error).
   */
  refused?: { file: string; line: number | null; field: string | null; message: string }
  zsreTarget?: string
}

/** What "Undo last rollback" would undo, or why it cannot now. */
export interface UndoView {
  /** The rollback Undo would take back; null when there is none. */
  op: 'revertTo' | 'revertOnly' | 'disable' | 'enable' | null
  seq: number | null
  /** Why Undo cannot run now ("no rollback to undo", "batch 4 was applied after it; …"); null when it can. */
  blocked: string | null
}

export interface MetricPointView {
  batchId: number | null
  editCount: number
  value: number
}

export interface StatusView {
  backend: string
  workspace: string
  model: ModelView | null
  experiment: ExperimentView | null
  job: JobView | null
  version: string
}

/** The editing methods an experiment can use (the engine's registry holds the same names; a test checks). */
export const EDIT_METHODS = ['elder', 'lora', 'ft-l', 'grace', 'melo'] as const

/**
 * The largest edit file, in bytes, whoever reads it: the CLI from disk, the app and the HTTP API from a request.
 * One limit, so a file that imports in one place imports in all. It is this size and not larger because the app and
 * the API carry the file as base64 in one JSON request, and a JavaScript string (V8's, in Chromium and Node) holds
 * at most 512 MiB: 256 MiB is 341 MiB of base64, with room for the JSON around it.
 */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024

/** Characters of base64 that carry `bytes` bytes. */
export const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4

/**
 * Plain base64 (RFC 4648, padded). Checked with one character class rather than a pattern with a repeated group:
 * on hundreds of MiB a backtracking pattern would exhaust the regexp stack.
 */
function isBase64(s: string): boolean {
  if (s.length % 4 !== 0) return false
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0
  return !/[^A-Za-z0-9+/]/.test(pad === 0 ? s : s.slice(0, -pad))
}

/**
 * A file as sent by the renderer (the browser has no file paths): its `bytes` as base64, exactly as on disk, so the
 * importer reports invalid UTF-8 by line and field instead of receiving it already turned into U+FFFD. `content`
 * (text already decoded) stays for scripts posting JSON by hand. The importer checks MAX_IMPORT_BYTES on the bytes;
 * the schema only stops a request far beyond it before it is decoded.
 */
const FileSchema = z
  .object({
    name: text(255),
    bytes: z
      .string()
      .max(base64Length(MAX_IMPORT_BYTES), { error: `the file is larger than the ${MAX_IMPORT_BYTES / 1024 / 1024} MiB import limit` })
      .refine(isBase64, { error: 'expected the file as base64 (A-Z, a-z, 0-9, +, /, padded with = to a multiple of 4)' })
      .optional(),
    content: z.string().max(MAX_IMPORT_BYTES).optional()
  })
  .strict()
  .refine((f) => (f.bytes === undefined) !== (f.content === undefined), { error: 'give the file as bytes (base64) or as content (text), one of the two' })

export const contract = {
  'app.status': { req: z.object({}).strict(), res: {} as StatusView },
  'models.list': { req: z.object({}).strict(), res: {} as ModelView[] },
  'models.register': { req: z.object({ path: text(4096) }).strict(), res: {} as ModelView },
  'experiments.list': { req: z.object({}).strict(), res: {} as ExperimentView[] },
  'experiments.create': {
    req: z
      .object({
        name: text(200),
        modelId: id,
        /** Default: the preset's method, else 'elder'. */
        method: z.enum(EDIT_METHODS).optional(),
        /** Fields over the preset's config (or over the method's defaults without a preset). */
        config: z.record(z.string(), z.unknown()).default({}),
        preset: z.enum(PRESET_NAMES).optional(),
        /** Queue a copy of this experiment's whole edit list: the same edits, applied to this experiment too. */
        editsFrom: id.optional(),
        evalEvery: z.number().int().min(0).max(1_000_000).optional(),
        tags: z.array(text(100)).max(100).optional(),
        notes: z.string().max(100_000).optional()
      })
      .strict(),
    res: {} as ExperimentView
  },
  'experiments.clone': {
    req: z
      .object({
        id,
        name: text(200).optional(),
        /** Changes: a new method and/or config replace the source's (the config is then checked against the method). */
        method: z.enum(EDIT_METHODS).optional(),
        config: z.record(z.string(), z.unknown()).optional(),
        tags: z.array(text(100)).max(100).optional(),
        evalEvery: z.number().int().min(0).max(1_000_000).optional()
      })
      .strict(),
    res: {} as ExperimentView
  },
  'experiments.update': {
    req: z
      .object({
        id,
        name: text(200).optional(),
        notes: z.string().max(100_000).optional(),
        tags: z.array(text(100)).max(100).optional(),
        archived: z.boolean().optional(),
        evalEvery: z.number().int().min(0).max(1_000_000).optional()
      })
      .strict(),
    res: {} as ExperimentView
  },
  'experiments.select': { req: z.object({ id }).strict(), res: {} as StatusView },
  'edits.list': {
    req: z
      .object({
        experimentId: id,
        status: z.enum(EDIT_STATUSES).optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(10_000).default(200)
      })
      .strict(),
    res: {} as { rows: EditView[]; total: number }
  },
  'edits.add': { req: z.object({ experimentId: id, edits: z.array(EditInputSchema).min(1).max(100_000) }).strict(), res: {} as { ids: number[] } },
  'edits.update': {
    req: z.object({ id, patch: EditFieldsSchema.partial() }).strict(),
    res: {} as EditView
  },
  'edits.delete': { req: z.object({ ids: z.array(id).min(1).max(100_000) }).strict(), res: {} as { deleted: number } },
  'edits.importPreview': {
    req: z.object({ file: FileSchema, zsreTarget: z.enum(['alt', 'answers']).optional() }).strict(),
    res: {} as ImportReport
  },
  'edits.import': {
    req: z.object({ experimentId: id, file: FileSchema, zsreTarget: z.enum(['alt', 'answers']).optional() }).strict(),
    res: {} as ImportReport
  },
  'batches.list': { req: z.object({ experimentId: id }).strict(), res: {} as BatchView[] },
  'jobs.apply': {
    req: z
      .object({ experimentId: id, batchSize: z.number().int().min(1).max(10_000), batches: z.number().int().min(1).max(1_000_000).nullable() })
      .strict(),
    res: {} as JobView
  },
  'jobs.evaluate': { req: z.object({ experimentId: id }).strict(), res: {} as JobView },
  /** The analyst's selection of queued edits, applied as one batch. */
  'jobs.applySelection': { req: z.object({ experimentId: id, editIds: z.array(id).min(1).max(10_000) }).strict(), res: {} as JobView },
  /** Rolled-back (or failed) edits queued again as new edits at the end of the queue; the originals stay in history. */
  'edits.requeue': { req: z.object({ ids: z.array(id).min(1).max(100_000) }).strict(), res: {} as { ids: number[] } },
  'jobs.cancel': { req: z.object({ jobId: id }).strict(), res: {} as { cancelled: boolean } },
  'jobs.current': { req: z.object({}).strict(), res: {} as JobView | null },
  probe: { req: z.object({ experimentId: id, prompts: z.array(text(10_000)).min(1).max(100) }).strict(), res: {} as ProbeResult[] },
  'rollback.revertTo': { req: z.object({ batchId: id }).strict(), res: {} as BatchView[] },
  'rollback.revertOnly': { req: z.object({ batchId: id }).strict(), res: {} as JobView },
  'rollback.disable': { req: z.object({ batchId: id }).strict(), res: {} as BatchView[] },
  'rollback.enable': { req: z.object({ batchId: id }).strict(), res: {} as BatchView[] },
  'rollback.undo': { req: z.object({ experimentId: id }).strict(), res: {} as BatchView[] },
  'rollback.undoable': { req: z.object({ experimentId: id }).strict(), res: {} as UndoView },
  'metrics.series': {
    req: z.object({ experimentIds: z.array(id).min(1).max(20), names: z.array(text(100)).min(1).max(50) }).strict(),
    res: {} as Record<string, Record<string, MetricPointView[]>>
  },
  'export.edits': { req: z.object({ experimentId: id }).strict(), res: {} as { name: string; content: string } },
  'export.metrics': { req: z.object({ experimentId: id }).strict(), res: {} as { name: string; content: string } },
  'export.adapter': { req: z.object({ experimentId: id }).strict(), res: {} as { name: string; base64: string } },
  'import.adapter': { req: z.object({ experimentId: id, name: text(255), base64: z.string().max(512 * 1024 * 1024) }).strict(), res: {} as ExperimentView },
  'probe.edit': { req: z.object({ experimentId: id, editId: id }).strict(), res: {} as EditProbeView },
  'scope.distances': { req: z.object({ experimentId: id }).strict(), res: {} as ScopeDistancesView },
  // Any finite threshold: float rounding puts an edit's own distance a hair below 0.
  'scope.tradeoff': { req: z.object({ experimentId: id, threshold: z.number().finite() }).strict(), res: {} as ScopeTradeoffView },
  'scope.applyThreshold': { req: z.object({ experimentId: id, threshold: z.number().finite().min(0) }).strict(), res: {} as ExperimentView },
  'scope.map': { req: z.object({ experimentId: id }).strict(), res: {} as ScopeMapView }
} as const

export type Contract = typeof contract
export type Method = keyof Contract
export const METHODS = Object.keys(contract) as Method[]
export type Req<M extends Method> = z.input<Contract[M]['req']>
export type ParsedReq<M extends Method> = z.output<Contract[M]['req']>
export type Res<M extends Method> = Contract[M]['res']

/** Errors travel as data. `code` is stable for programs; `message` is for people. */
export interface ServiceError {
  code: 'invalid_request' | 'not_found' | 'conflict' | 'busy' | 'engine' | 'io' | 'unauthorized' | 'internal'
  message: string
}

/** One clause per zod issue (at most three), naming the field: `edits.0.prompt: Too small: …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : 'request'}: ${i.message}`)
    .join('; ')
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ServiceError }

/** Pushed to every window / SSE client. */
export type WorkspaceEvent =
  | { type: 'job.progress'; job: JobView }
  | { type: 'job.finished'; job: JobView }
  | { type: 'batches.changed'; experimentId: number }
  | { type: 'edits.changed'; experimentId: number }
  | { type: 'metrics.changed'; experimentId: number }

/** What the renderer calls: one function per method, plus a subscription to events. */
export type ElderApi = { [M in Method]: (req: Req<M>) => Promise<Result<Res<M>>> } & {
  onEvent(listener: (e: WorkspaceEvent) => void): () => void
}

/**
 * What src-main/service implements and the transports (IPC, HTTP) call: one function per method taking the raw,
 * unvalidated request (the service validates it with the method's schema), plus events and shutdown.
 */
export type ServiceApi = { [M in Method]: (req: unknown) => Promise<Result<Res<M>>> } & {
  onEvent(listener: (e: WorkspaceEvent) => void): () => void
  close(): Promise<void>
}
