// The message protocol between the workspace (host) and its engine process (engine-worker.ts). One protocol for
// child_process.fork (Node: serve, CLI, tests) and Electron's utilityProcess: every message is a plain,
// structured-clone-safe object tagged by `type`; requests carry an `id` that their progress, result or error
// repeat. Typed arrays never cross: codes travel as number[] words, editor state travels as files.
import { z } from 'zod'
import type { ScopeExplanation, ScopePoint, ScopeThreshold } from '../engine/methods/scope'

export interface PromptTarget {
  prompt: string
  target: string
}

/** An edit to apply: the subject and relation, when the queue row names them, feed ELDER's subject and relation gates and re-editing. */
export interface ApplyEdit extends PromptTarget {
  subject?: string
  relation?: string
}

/** An applied edit as the evaluation needs it. */
export interface SuiteItem extends PromptTarget {
  rephrases: string[]
  locality: Array<{ prompt: string; answer: string }>
}

/** A checkpoint file and the sha256 recorded for it: the engine refuses the file when they disagree. */
export interface StateRef {
  file: string
  sha256: string
}

/** Host → engine. Each request gets exactly one `result` or `error` with the same id. */
export type EngineRequest =
  /** Read a model folder's config, weights hash and tokenizer without loading the weights. */
  | { type: 'inspect'; id: number; modelDir: string }
  /**
   * Make (modelDir, state) the current editor: a fresh editor with `config` when state is null, else the
   * checkpoint. `disabled` lists the batches whose codes deferral must ignore (the database is the truth).
   * `renumber` maps owner ids in the state to new ones (an adapter imported into another workspace).
   */
  | {
      type: 'load'
      id: number
      modelDir: string
      config: Record<string, unknown>
      state: StateRef | null
      disabled: number[]
      renumber: Array<[from: number, to: number]>
    }
  /** Train one batch (owner = batchId), then write the checkpoint to checkpointFile (temp → fsync → rename). */
  | { type: 'apply'; id: number; batchId: number; edits: ApplyEdit[]; checkpointFile: string }
  | { type: 'setDisabled'; id: number; disabled: number[] }
  | { type: 'predict'; id: number; prompts: string[]; maxNewTokens: number }
  /** `health`: every applied edit's prompt and target, each answered holds (true) or slipped (issue 14). */
  | { type: 'evaluate'; id: number; records: SuiteItem[]; retention: PromptTarget[]; health: PromptTarget[] }
  /** Write the current editor state to `file` (temp → fsync → rename). */
  | { type: 'saveState'; id: number; file: string }
  /** Take the scope threshold from an experiment's config when it sets the method's threshold field (scope tuning). */
  | { type: 'tuneScope'; id: number; config: Record<string, unknown> }
  /** Each prompt's scope distance and decision, at `threshold` (null: the editor's own). */
  | { type: 'scopeSet'; id: number; prompts: string[]; threshold: number | null }
  /** Each prompt's allocation-map vector, and the expert usage over stored edits. */
  | { type: 'scopeMap'; id: number; prompts: string[] }

export type RequestKind = EngineRequest['type']
export type RequestOf<K extends RequestKind> = Extract<EngineRequest, { type: K }>
/** A request without its envelope: what callers of EngineHost.request pass. */
export type RequestBody<K extends RequestKind> = Omit<RequestOf<K>, 'type' | 'id'>

/** Host → engine, no reply: abort request `id` at its next step (the editor restores its state). */
export interface CancelMessage {
  type: 'cancel'
  id: number
}

export type HostMessage = EngineRequest | CancelMessage

export interface ModelInfo {
  dir: string
  contentHash: string
  /** config.json's model_type: gpt2, llama, mistral or qwen2. */
  architecture: string
  nLayer: number
  nEmbd: number
  nHead: number
  nPositions: number
  vocabSize: number
  /** The config.json fields the engine read, camelCase. */
  config: Record<string, unknown>
}

export interface CheckpointWritten {
  file: string
  sha256: string
  bytes: number
}

export interface ApplyReply {
  batchId: number
  steps: number
  earlyStopped: boolean
  wallMs: number
  finalLoss: number | null
  /** One packed allocation code per edit, in row order (Uint32 words). */
  codes: number[][]
  presets: number[][]
  checkpoint: CheckpointWritten
}

export interface PredictionRow {
  answer: string
  top5: Array<{ token: string; prob: number }>
}

export interface EditedPredictionRow extends PredictionRow {
  /** L×N bits, layer-major, '0'/'1'. */
  code: string
  /** null when no batch's codes are active. */
  nearestDistance: number | null
  /** The stored row closest to the prompt's code: its batch (owner) and row within the batch. */
  nearest: { batchId: number; row: number } | null
  deferred: boolean
  /** Why the prompt is or is not in scope (methods/scope.ts). */
  scope: ScopeExplanation
}

export interface PredictReply {
  base: PredictionRow[]
  edited: EditedPredictionRow[]
}

export interface ScoreMsg {
  n: number
  exactMatch: number
  tokenAccuracy: number
  /** Share of inputs deferral sent to the base model; null on the base model. */
  deferredRate: number | null
}

export interface EvaluateReply {
  reliability: ScoreMsg
  generalization: ScoreMsg
  locality: ScoreMsg
  retention: { edited: ScoreMsg; base: ScoreMsg } | null
  /** Per `health` item, in order: does the edited model still give its target exactly? */
  health: boolean[]
}

export interface LoadReply {
  owners: number[]
  rows: number
}

/** What each request kind resolves to. */
export interface Replies {
  inspect: ModelInfo
  load: LoadReply
  apply: ApplyReply
  setDisabled: { disabled: number[] }
  predict: PredictReply
  evaluate: EvaluateReply
  saveState: CheckpointWritten
  tuneScope: ScopeThreshold
  scopeSet: { threshold: ScopeThreshold; points: ScopePoint[] }
  scopeMap: { feature: string | null; vectors: number[][]; usage: { rows: number; cols: number; counts: number[] } | null }
}

/**
 * Stable error codes from the engine. `checkpoint` = a checkpoint file is missing or its sha256 does not match;
 * `state` = the file is not a valid state for this model; `died` and `protocol` are raised by the host itself.
 */
export const ENGINE_ERROR_CODES = [
  'cancelled', 'checkpoint', 'state', 'model', 'config', 'rows', 'no_editor', 'io', 'internal', 'died', 'protocol'
] as const
export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number]

export interface EngineErrorData {
  code: EngineErrorCode
  message: string
}

export type ResultMessage = { [K in RequestKind]: { type: 'result'; id: number; kind: K; value: Replies[K] } }[RequestKind]

/** Engine → host. */
export type EngineMessage =
  | { type: 'ready'; backend: string; pid: number }
  | { type: 'progress'; id: number; step: number; maxSteps: number; loss: number | null }
  | ResultMessage
  | { type: 'error'; id: number; error: EngineErrorData }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }

// Envelopes are checked at the boundary on both sides; payloads are trusted to match their kind because both
// ends are this file's types (the kind is checked against the pending request).
const id = z.number().int().nonnegative()
const REQUEST_KINDS = ['inspect', 'load', 'apply', 'setDisabled', 'predict', 'evaluate', 'saveState', 'tuneScope', 'scopeSet', 'scopeMap'] as const satisfies readonly RequestKind[]

const engineEnvelope = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), backend: z.string(), pid: z.number() }),
  z.object({ type: z.literal('progress'), id, step: z.number(), maxSteps: z.number(), loss: z.number().nullable() }),
  z.object({ type: z.literal('result'), id, kind: z.enum(REQUEST_KINDS), value: z.unknown() }),
  z.object({ type: z.literal('error'), id, error: z.object({ code: z.enum(ENGINE_ERROR_CODES), message: z.string() }) }),
  z.object({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']), message: z.string() })
])

const hostEnvelope = z.object({ type: z.enum([...REQUEST_KINDS, 'cancel']), id }).loose()

/** The engine's message, or a one-line reason it is not one. */
export function parseEngineMessage(raw: unknown): { ok: true; msg: EngineMessage } | { ok: false; reason: string } {
  const r = engineEnvelope.safeParse(raw)
  if (!r.success) return { ok: false, reason: describeIssue(r.error) }
  return { ok: true, msg: r.data as EngineMessage }
}

/** The host's message, or a one-line reason it is not one. */
export function parseHostMessage(raw: unknown): { ok: true; msg: HostMessage } | { ok: false; reason: string } {
  const r = hostEnvelope.safeParse(raw)
  if (!r.success) return { ok: false, reason: describeIssue(r.error) }
  return { ok: true, msg: r.data as HostMessage }
}

function describeIssue(e: z.ZodError): string {
  const i = e.issues[0]
  return `${i.path.length ? i.path.join('.') : 'message'}: ${i.message}`
}

/** Puts a request body into its envelope. */
export function envelope<K extends RequestKind>(kind: K, id: number, body: RequestBody<K>): RequestOf<K> {
  return { ...body, type: kind, id } as RequestOf<K>
}
