// GRACE baseline (elder-spec.md §7): a codebook at the target module (model.ts; "c_fc" below) of one block. Each sequence's key is c_fc's input at its
// last prompt token, decided once from the prompt; when the nearest enabled key is within its ε, the key's value
// replaces c_fc's output at every position of the sequence (fcOutHook), else the model runs unchanged. Editing
// applies the codebook rules (codebook.ts) to each row, then trains the values of the rows' keys. The parameter
// count is one value row (F numbers) per key, so it grows with the edits.
import * as tf from '@tensorflow/tfjs'
import { placement } from '../../elder/config'
import { encodeRows } from '../../elder/rows'
import type { FcOutHook, RunOptions } from '../../model/gpt2'
import { pickRows } from '../../model/ops'
import { MethodConfigError, type ApplyOptions, type BatchReport, type EditorModel, type EditRow } from '../editor'
import { KeyedEditor, type Served } from '../keyed-editor'
import { stateTensor, StateError, writeState, type ParsedState } from '../state'
import { trainSteps } from '../train'
import { Codebook, type CodebookJSON } from './codebook'
import type { GraceConfig } from './config'

export class GraceEditor extends KeyedEditor<GraceConfig> {
  readonly method = 'grace'
  protected readonly measure = 'key-euclidean'
  codebook: Codebook
  /** Values [K, F]; null while the codebook is empty. */
  private values: tf.Variable<tf.Rank.R2> | null = null

  constructor(base: EditorModel, config: GraceConfig) {
    const m = base.model.config
    const block = config.block ?? placement({ layers: 6, firstBlock: null }, m.nLayer).queryBlock
    if (block >= m.nLayer) throw new MethodConfigError(`GRACE config field "block": ${block} is not a block of a ${m.nLayer}-block model`)
    super(base, config, block)
    this.codebook = new Codebook(config.epsInit)
    base.model.prepareBackward(block)
  }

  protected find(keys: Float32Array[]): Served[] {
    return keys.map((q) => {
      const f = this.codebook.lookup(q)
      const e = f.index === null ? null : this.codebook.entries[f.index]
      const n = this.codebook.nearest(q)
      const radius = n.index >= 0 ? this.codebook.entries[n.index].eps : null
      return { serve: f.index, distance: f.distance, matched: e ? { owner: e.owner, row: e.row } : null, radius }
    })
  }

  /** Replaces c_fc's output at every position of sequence b with the value of key index[b] (when set). */
  protected hooks(index: ReadonlyArray<number | null>): RunOptions {
    return { fcOutHook: this.hook(index) }
  }

  private hook(index: ReadonlyArray<number | null>): FcOutHook {
    const values = this.values as tf.Variable<tf.Rank.R2>
    return (layer, x, out) => {
      if (layer !== this.keyBlock) return null
      const B = index.length
      const T = x.shape[0] / B
      const rows = Int32Array.from({ length: B * T }, (_, i) => index[Math.floor(i / T)] ?? 0)
      const replaced = pickRows(values, rows) // a gather whose gradient the wasm backend can run
      if (index.every((i) => i !== null)) return replaced
      const on = tf.tensor2d(Uint8Array.from({ length: B * T }, (_, i) => (index[Math.floor(i / T)] === null ? 0 : 1)), [B * T, 1], 'bool')
      return tf.where(on, replaced, out) as tf.Tensor2D
    }
  }

  async applyBatch(edits: readonly EditRow[], opts: ApplyOptions = {}): Promise<BatchReport> {
    const t0 = performance.now()
    const batchId = this.claimBatch(opts)
    const rows = encodeRows(this.base.tokenizer, edits, true, this.model.config.nPositions)
    const keys = this.keys(rows.batch, rows.lastPrompt)
    // The rules run before training (GRACE's iteration 0); a failed batch puts the codebook and values back.
    const before = { entries: this.codebook.entries.map((e) => ({ ...e })), values: this.values }
    const index = keys.map((q, b) => this.codebook.update(q, edits[b].target, batchId, b).index)
    const added = this.codebook.size - (before.values?.shape[0] ?? 0)
    const F = this.model.target.outDim
    // Cold values, as GRACE's default: uniform [0, 1).
    const fresh = added > 0 ? tf.randomUniform([added, F], 0, 1, 'float32', this.config.seed * 7919 + batchId) : null
    const grown = tf.tidy(() => tf.variable(before.values && fresh ? tf.concat([before.values, fresh]) : (fresh ?? (before.values as tf.Tensor2D)).clone()) as tf.Variable<tf.Rank.R2>)
    fresh?.dispose()
    this.values = grown
    let result
    try {
      result = await trainSteps(this.model, this.keyBlock, rows, [grown], { fcOutHook: this.hook(index) }, this.config, batchId, opts)
    } catch (e) {
      grown.dispose()
      this.values = before.values
      this.codebook.entries = before.entries
      throw e
    }
    before.values?.dispose()
    this.recordBatch(batchId, edits.length)
    const { losses, earlyStopped } = result
    return { batchId, losses, steps: losses.length, earlyStopped, wallMs: performance.now() - t0, codes: [], presets: [] }
  }

  /** The keys a batch created; keys of other batches, including those it widened, stay. */
  protected setKeysEnabled(batchId: number, enabled: boolean): void {
    for (const i of this.codebook.keysOf(batchId)) this.codebook.entries[i].enabled = enabled
  }

  /** Drops a batch's keys and their values (radii it widened on other keys stay widened). */
  removeBatch(batchId: number): void {
    const keep = this.codebook.entries.flatMap((e, i) => (e.owner === batchId ? [] : [i]))
    const old = this.values
    this.values = old && keep.length > 0 ? tf.tidy(() => tf.variable(tf.gather(old, keep)) as tf.Variable<tf.Rank.R2>) : null
    old?.dispose()
    this.codebook.entries = keep.map((i) => this.codebook.entries[i])
    this.ledger.remove(batchId)
  }

  renumber(to: ReadonlyMap<number, number>): void {
    for (const e of this.codebook.entries) e.owner = to.get(e.owner) ?? e.owner
    this.ledger.renumber(to)
  }

  paramCount(): number {
    return this.values?.size ?? 0
  }

  exportState(): Uint8Array {
    const { inDim: D, outDim: F } = this.model.target
    const K = this.codebook.size
    const keys = new Float32Array(K * D)
    this.codebook.entries.forEach((e, i) => keys.set(e.key, i * D))
    return writeState(
      this.base,
      [
        { name: 'grace.keys', shape: [K, D], data: keys },
        { name: 'grace.values', shape: [K, F], data: this.values ? (this.values.dataSync() as Float32Array) : new Float32Array(0) }
      ],
      {
        codebook: JSON.stringify(this.codebook.toJSON()),
        ...this.ledgerMeta()
      }
    )
  }

  /** Loads a checked state of the same model (every part is checked before anything is replaced). */
  loadState(s: ParsedState): void {
    const { inDim: D, outDim: F } = this.model.target
    if (!s.meta.codebook) throw new StateError('editor state has no codebook')
    const json = JSON.parse(s.meta.codebook) as CodebookJSON
    const K = json.entries.length
    const keys = stateTensor(s, 'grace.keys', [K, D])
    const values = stateTensor(s, 'grace.values', [K, F])
    const applyLedger = this.readLedger(s)
    this.codebook = Codebook.fromJSON(this.config.epsInit, json, keys, D)
    this.values?.dispose()
    this.values = K > 0 ? tf.variable(tf.tensor2d(values, [K, F])) : null
    applyLedger()
  }

  dispose(): void {
    this.values?.dispose()
  }
}
