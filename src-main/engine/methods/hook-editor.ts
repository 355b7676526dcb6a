// The shared base of the baselines that edit by training a hook on the model's layers with no scope of their own
// (FT-L, LoRA): every input runs through the hook, so nothing is ever deferred. A subclass names its trainable
// variables, the first block its hook touches and the hook itself; training, inference, batch bookkeeping and the
// state file are here; training is train.ts's loop.
import * as tf from '@tensorflow/tfjs'
import type { FcHook } from '../model/gpt2'
import { encodeRows, type PromptTarget } from '../elder/rows'
import {
  MethodUnsupportedError, type ApplyOptions, type BatchReport, type Editor, type EditorModel,
  type EditRow, type Prediction, type PredictionDetails, type RowScore
} from './editor'
import { logitsWith, predictWith, scoreWith } from './infer'
import { LedgerEditor } from './ledger-editor'
import type { ScopeExplanation, ScopeThreshold } from './scope'
import { stateTensor, writeState, type ParsedState } from './state'
import { trainSteps } from './train'
import type { TrainConfig } from './train-config'

/** Scope info of a method without scope: no code, no stored keys to be near, never deferred unless switched off. */
const noScope = (enabled: boolean) => () => ({ code: null, nearest: Infinity, queryDistance: Infinity, deferred: !enabled })

export abstract class HookEditor<C extends TrainConfig & { method: string }> extends LedgerEditor<C> implements Editor {
  abstract readonly method: string

  /** First block whose hook trains: blocks below it run once per batch without gradients. */
  protected abstract readonly from: number
  /** Trainable variables, in the order of their state tensor names. */
  protected abstract variables(): tf.Variable[]
  protected abstract tensorNames(): string[]
  /** The hook that applies the edits to c_fc. */
  protected abstract hook(): FcHook

  get model(): EditorModel['model'] {
    return this.base.model
  }

  private runOpts(): { fcHook?: FcHook } {
    return this.enabled ? { fcHook: this.hook() } : {}
  }

  async applyBatch(edits: readonly EditRow[], opts: ApplyOptions = {}): Promise<BatchReport> {
    const t0 = performance.now()
    const batchId = this.claimBatch(opts)
    const rows = encodeRows(this.base.tokenizer, edits, true, this.model.config.nPositions)
    const { losses, earlyStopped } = await trainSteps(this.model, this.from, rows, this.variables(), { fcHook: this.hook() }, this.config, batchId, opts)
    this.recordBatch(batchId, edits.length)
    return { batchId, losses, steps: losses.length, earlyStopped, wallMs: performance.now() - t0, codes: [], presets: [] }
  }

  score(items: readonly PromptTarget[]): RowScore[] {
    return scoreWith(this.base, items, this.runOpts(), noScope(this.enabled))
  }

  predict(prompts: readonly string[], maxNewTokens: number): Prediction[] {
    const scope = noScope(this.enabled)
    return predictWith(this.base, prompts, this.runOpts(), maxNewTokens, () => ({ ...scope(), matched: null }))
  }

  promptLogits(prompts: readonly string[]): Float32Array {
    return logitsWith(this.base, prompts, this.runOpts())
  }

  details(): PredictionDetails {
    return { code: '', nearestDistance: null, nearest: null }
  }

  /** No scope: every input runs through the trained weights (unless the editor is switched off). */
  explain(prompts: readonly string[]): ScopeExplanation[] {
    return prompts.map(() => ({
      measure: 'none', distance: null, threshold: null, inScope: this.enabled,
      reason: this.enabled ? 'no_scope' : 'editor_disabled', disabledBatch: null, failedGates: [], nearest: [], allocation: null
    }))
  }

  scopeThreshold(): ScopeThreshold {
    return { measure: 'none', field: null, value: null }
  }

  setScopeThreshold(): void {
    throw new MethodUnsupportedError(`${this.method} has no scope: every input runs through the edited weights`)
  }

  mapVectors(): null {
    return null
  }

  usage(): null {
    return null
  }

  /** Every batch's update is in the same shared weights: one cannot be switched off alone (roll back instead). */
  disableBatch(batchId: number): void {
    throw new MethodUnsupportedError(
      `${this.method} cannot switch off batch ${batchId} alone: every batch trains the same weights (roll back to a checkpoint instead)`
    )
  }

  enableBatch(batchId: number): void {
    this.ledger.setEnabled(batchId, true)
  }

  /** Forgets the batch's rows; its update stays in the shared weights until a checkpoint before it is restored. */
  removeBatch(batchId: number): void {
    this.ledger.remove(batchId)
  }

  renumber(to: ReadonlyMap<number, number>): void {
    this.ledger.renumber(to)
  }

  paramCount(): number {
    return this.variables().reduce((a, v) => a + v.size, 0)
  }

  exportState(): Uint8Array {
    const names = this.tensorNames()
    const tensors = this.variables().map((v, i) => ({ name: names[i], shape: v.shape, data: v.dataSync() as Float32Array }))
    return writeState(this.base, tensors, this.ledgerMeta())
  }

  /** Loads a checked state of the same method and sizes (every tensor is checked before any is assigned). */
  loadState(s: ParsedState): void {
    const names = this.tensorNames()
    const vars = this.variables()
    const data = names.map((name, i) => stateTensor(s, name, vars[i].shape))
    const applyLedger = this.readLedger(s)
    vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(data[i], v.shape))))
    applyLedger()
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose()
  }
}
