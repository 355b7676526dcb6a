// One interface for every editing method (ELDER, its baselines), and the registry that names them. The workspace,
// rollback, probe, metrics and benchmarks hold an `Editor` and never a method's class, so a method is added by
// registering it (methods/index.ts) — PEFT's tuners/<method>/ over a shared base is the model for this layout.
import type { LanguageModel } from '../model/model'
import type { TextTokenizer } from '../model/tokenizer'
import type { Code } from '../elder/codes'
import type { RowRef } from '../elder/query-table'
import type { PromptTarget } from '../elder/rows'
import type { ScopeExplanation, ScopeThreshold } from './scope'
import type { ParsedState } from './state'

export interface EditorModel {
  model: LanguageModel
  tokenizer: TextTokenizer
  contentHash: string
}

/** An edit as an editor takes it: subject and relation (when known) let a later edit of the same fact replace it. */
export interface EditRow extends PromptTarget {
  subject?: string
  relation?: string
}

export interface StepProgress {
  step: number // 1-based
  maxSteps: number
  loss: number
  lmLoss: number
}

export interface ApplyOptions {
  signal?: AbortSignal
  onProgress?: (p: StepProgress) => void
  /** Owner id of the batch in the editor's tables (the workspace's batch id); default: next free id. */
  batchId?: number
}

/** What every method reports for a trained batch. */
export interface BatchReport {
  batchId: number
  losses: number[]
  steps: number
  earlyStopped: boolean
  wallMs: number
  /** Allocation codes of the rows (ELDER); empty for methods without codes. */
  codes: Code[]
  /** Pre-assigned allocations of the rows (ELDER); empty for methods without them. */
  presets: Code[]
}

export class EditCancelledError extends Error {
  override name = 'EditCancelledError'
}

/** A config field a method refuses; the message names the field. */
export class MethodConfigError extends Error {
  override name = 'MethodConfigError'
}

/** A request a method cannot honour by its nature (e.g. switching off one batch of a method without scope). */
export class MethodUnsupportedError extends Error {
  override name = 'MethodUnsupportedError'
}

export interface RowScore {
  /** Every target token is the argmax under teacher forcing (= greedy exact match of the target). */
  exact: boolean
  /** Fraction of target tokens that are the argmax. */
  tokenAccuracy: number
  /** The argmax token at each target position. */
  predicted: number[]
  /** The row's allocation code (ELDER); null on the base model and for methods without codes. */
  code: Code | null
  /** Distance to the nearest stored key in the method's own measure (Infinity: none, or no scope). */
  nearest: number
  /** Cosine distance of the routing query to the nearest stored edit query (Infinity where the method has none). */
  queryDistance: number
  /** The method's scope sent the input to the base model (always true on the base model, false without scope). */
  deferred: boolean
}

export interface Prediction {
  prompt: string
  answer: string
  answerIds: number[]
  /** Next-token distribution after the prompt: the five most likely tokens. */
  top5: Array<{ id: number; token: string; prob: number }>
  code: Code | null
  nearest: number
  /** The stored edit row that serves the prompt, when the method's scope names one. */
  matched: RowRef | null
  deferred: boolean
}

/** The probe's method-specific columns of an edited prediction. */
export interface PredictionDetails {
  /** The allocation code as '0'/'1' bits ('' for methods without codes). */
  code: string
  nearestDistance: number | null
  nearest: { batchId: number; row: number } | null
}

export interface Editor {
  readonly method: string
  readonly config: { method: string }
  readonly base: EditorModel
  /** When false every input runs the base model (nothing is lost). */
  enabled: boolean
  applyBatch(edits: readonly EditRow[], opts?: ApplyOptions): Promise<BatchReport>
  /** Teacher-forced scores of prompt + " " + target on the edited model (one chunk: the caller splits). */
  score(items: readonly PromptTarget[]): RowScore[]
  /** Greedy answers (until EOS or maxNewTokens) with the scope decision of each prompt. */
  predict(prompts: readonly string[], maxNewTokens: number): Prediction[]
  /** Next-token logits after each prompt, [B, V] row-major. */
  promptLogits(prompts: readonly string[]): Float32Array
  details(p: Prediction): PredictionDetails
  /**
   * Why each prompt is or is not in the edit scope (what the probe shows). `threshold` overrides the method's own
   * (scope tuning asks "what if"); the decision is the one predict and score make at that threshold.
   */
  explain(prompts: readonly string[], threshold?: number): ScopeExplanation[]
  /** The threshold scope tuning moves (field null: the method has none that one number sets). */
  scopeThreshold(): ScopeThreshold
  /** Sets that threshold; the experiment's config wins over the value saved in a checkpoint. */
  setScopeThreshold(value: number): void
  /** What the allocation map lays out for each prompt (ELDER: router scores; keyed methods: keys), or null. */
  mapVectors(prompts: readonly string[]): { feature: string; vectors: Float32Array[] } | null
  /** How often each expert is allocated over the stored live edits, rows × cols row-major, or null. */
  usage(): { rows: number; cols: number; counts: number[] } | null
  /** Batch ids with stored edits, ascending. */
  owners(): number[]
  /** Stored edit rows (all batches). */
  readonly rowCount: number
  disableBatch(batchId: number): void
  enableBatch(batchId: number): void
  /** Forgets a batch's stored rows (rollback); weights a method shares between batches need a checkpoint restore. */
  removeBatch(batchId: number): void
  /** Renames batch owners in every table the editor keeps (the workspace renumbers batches when it replays). */
  renumber(to: ReadonlyMap<number, number>): void
  /** Trainable parameters now (grows with edits for methods that add keys). */
  paramCount(): number
  /** The whole state as one checksummed file (methods/state.ts). */
  exportState(): Uint8Array
  dispose(): void
}

/** What every method's config has: its name and the target module it edits (module-field.ts). */
export interface MethodConfigBase {
  method: string
  module: string | null
}

export interface MethodDef<C extends MethodConfigBase> {
  name: C['method']
  /** Validates a (partial) config and fills the defaults; throws MethodConfigError naming the field. */
  parseConfig(input: unknown): C
  create(base: EditorModel, config: C): Editor
  /** An editor from a state file already checked (checksum, base model) by readState. */
  fromState(base: EditorModel, state: ParsedState): Editor
}

const registry = new Map<string, MethodDef<MethodConfigBase>>()

export function register<C extends MethodConfigBase>(def: MethodDef<C>): void {
  if (registry.has(def.name)) throw new Error(`method "${def.name}" is registered twice`)
  registry.set(def.name, def as unknown as MethodDef<MethodConfigBase>)
}

export function methodNames(): string[] {
  return [...registry.keys()]
}

export function methodDef(name: string): MethodDef<MethodConfigBase> {
  const def = registry.get(name)
  if (!def) throw new MethodConfigError(`unknown method "${name}" (known: ${methodNames().join(', ')})`)
  return def
}

/** The method a config names; a config without `method` is ELDER's (every config written before baselines). */
export function methodOf(input: unknown): string {
  const m = input && typeof input === 'object' ? (input as { method?: unknown }).method : undefined
  if (m === undefined) return 'elder'
  if (typeof m !== 'string') throw new MethodConfigError('config field "method": expected a method name')
  return m
}
