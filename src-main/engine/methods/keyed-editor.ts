// The shared base of the methods that look each input up by its key (keys.ts) in a store of edit keys (GRACE's
// codebook, MELO's vector database): the decision is made once per sequence from its prompt and kept for every
// position and generated token; an input the store does not serve runs the base model exactly.
import * as tf from '@tensorflow/tfjs'
import { encodePrompts, encodeRows, type PromptTarget } from '../elder/rows'
import { lastRows, padBatch, type RunOptions, type TokenBatch } from '../model/gpt2'
import type { RowRef } from '../elder/query-table'
import { MethodUnsupportedError, type ApplyOptions, type BatchReport, type Editor, type EditorModel, type EditRow, type Prediction, type PredictionDetails, type RowScore } from './editor'
import { greedyPredictions, rowScores } from './infer'
import { lastPromptKeys } from './keys'
import { LedgerEditor } from './ledger-editor'
import { finite, type ScopeExplanation, type ScopeMeasure, type ScopeThreshold } from './scope'

/** A sequence's lookup: what serves it (a key or block index; null: nothing), its distance, and the edit matched. */
export interface Served {
  serve: number | null
  distance: number
  matched: RowRef | null
  /** The radius the distance was compared with (the nearest key's ε, the nearest cluster's radius); null: none stored. */
  radius: number | null
}

export abstract class KeyedEditor<C extends { method: string }> extends LedgerEditor<C> implements Editor {
  abstract readonly method: string
  /** What the lookup's distance is (the scope explanation's unit). */
  protected abstract readonly measure: ScopeMeasure

  constructor(
    base: EditorModel,
    config: C,
    /** The block whose c_fc input at the last prompt token is the key. */
    readonly keyBlock: number
  ) {
    super(base, config)
  }

  protected get model(): EditorModel['model'] {
    return this.base.model
  }

  /** Each key's lookup in the store. */
  protected abstract find(keys: Float32Array[]): Served[]
  /** Hooks serving each sequence by `serve` (null: unchanged); called only when some sequence is served. */
  protected abstract hooks(serve: ReadonlyArray<number | null>): RunOptions

  abstract applyBatch(edits: readonly EditRow[], opts?: ApplyOptions): Promise<BatchReport>
  /** Puts a batch's keys in or out of the lookup. */
  protected abstract setKeysEnabled(batchId: number, enabled: boolean): void
  abstract removeBatch(batchId: number): void
  abstract renumber(to: ReadonlyMap<number, number>): void
  abstract paramCount(): number
  abstract exportState(): Uint8Array
  abstract dispose(): void

  protected keys(batch: TokenBatch, lastPrompt: Int32Array): Float32Array[] {
    return lastPromptKeys(this.model, this.keyBlock, batch, lastPrompt)
  }

  private lookup(batch: TokenBatch, lastPrompt: Int32Array): Served[] {
    const found = this.find(this.keys(batch, lastPrompt))
    return this.enabled ? found : found.map((f) => ({ ...f, serve: null, matched: null }))
  }

  private runOpts(l: Served[]): RunOptions {
    return l.some((s) => s.serve !== null) ? this.hooks(l.map((s) => s.serve)) : {}
  }

  score(items: readonly PromptTarget[]): RowScore[] {
    const rows = encodeRows(this.base.tokenizer, items, false, this.model.config.nPositions)
    const l = this.lookup(rows.batch, rows.lastPrompt)
    const logits = this.model.logits(rows.batch, rows.targetRows, this.runOpts(l))
    const predicted = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array)
    logits.dispose()
    return rowScores(rows, predicted, (b) => ({ code: null, nearest: l[b].distance, queryDistance: Infinity, deferred: l[b].serve === null }))
  }

  private prepare(prompts: readonly string[]): { seqs: number[][]; batch: TokenBatch; last: Int32Array; l: Served[] } {
    const seqs = encodePrompts(this.base.tokenizer, prompts, this.model.config.nPositions)
    const batch = padBatch(seqs, this.base.tokenizer.eosId)
    const last = lastRows(batch)
    return { seqs, batch, last, l: this.lookup(batch, last) }
  }

  predict(prompts: readonly string[], maxNewTokens: number): Prediction[] {
    const { seqs, batch, last, l } = this.prepare(prompts)
    return greedyPredictions(this.base, prompts, seqs, batch, last, this.runOpts(l), maxNewTokens, (b) => ({
      code: null, nearest: l[b].distance, matched: l[b].matched, deferred: l[b].serve === null
    }))
  }

  promptLogits(prompts: readonly string[]): Float32Array {
    const { batch, last, l } = this.prepare(prompts)
    const logits = this.model.logits(batch, last, this.runOpts(l))
    const data = logits.dataSync() as Float32Array
    logits.dispose()
    return data
  }

  details(p: Prediction): PredictionDetails {
    return {
      code: '',
      nearestDistance: Number.isFinite(p.nearest) ? p.nearest : null,
      nearest: p.matched ? { batchId: p.matched.owner, row: p.matched.row } : null
    }
  }

  /**
   * The lookup's own decision and its evidence. Each key (GRACE) or cluster (MELO) has its own radius, so there is
   * no one threshold to override: `threshold` is not used, and scopeThreshold() names no field.
   */
  explain(prompts: readonly string[]): ScopeExplanation[] {
    const { batch, last } = this.prepare(prompts)
    return this.find(this.keys(batch, last)).map((f): ScopeExplanation => {
      const inScope = this.enabled && f.serve !== null
      return {
        measure: this.measure,
        distance: finite(f.distance),
        threshold: f.radius,
        inScope,
        reason: !this.enabled ? 'editor_disabled' : inScope ? 'in_scope' : f.radius === null ? 'no_edits' : 'too_far',
        disabledBatch: null,
        failedGates: [],
        nearest: f.matched ? [{ batchId: f.matched.owner, row: f.matched.row, distance: f.distance, enabled: true, failedGates: [] }] : [],
        allocation: inScope ? this.allocation(f.serve) : null
      }
    })
  }

  /** What serves an input as a grid of weights (MELO: its rank-block), or null. */
  protected allocation(_serve: number | null): ScopeExplanation['allocation'] {
    return null
  }

  scopeThreshold(): ScopeThreshold {
    return { measure: this.measure, field: null, value: null }
  }

  setScopeThreshold(): void {
    throw new MethodUnsupportedError(`${this.method} has one radius per stored key, not one scope threshold to set`)
  }

  mapVectors(prompts: readonly string[]): { feature: string; vectors: Float32Array[] } {
    const { batch, last } = this.prepare(prompts)
    return { feature: `lookup keys (c_fc input of block ${this.keyBlock})`, vectors: this.keys(batch, last) }
  }

  usage(): null {
    return null
  }

  /** A batch's keys leave the lookup; what it trained stays, for the keys of other batches that select it. */
  disableBatch(batchId: number): void {
    this.setKeysEnabled(batchId, false)
    this.ledger.setEnabled(batchId, false)
  }

  enableBatch(batchId: number): void {
    this.setKeysEnabled(batchId, true)
    this.ledger.setEnabled(batchId, true)
  }
}
