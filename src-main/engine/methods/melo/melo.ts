// MELO baseline (elder-spec.md §7): one LoRA of rank R = numBlocks · n on the target module (model.ts; c_fc on
// GPT-2) of ELDER's blocks, alpha = R, cut into rank-blocks of n; block b is rank slice [b·n, (b+1)·n), its A and B each scaled by √(R/n). Edits fill the
// blocks in turn (editsPerBlock each); the vector database (vecdb.ts) keeps every edit's key with its block, and an
// input is served by the block of its nearest key in the nearest cluster, or by the base model outside every radius.
import * as tf from '@tensorflow/tfjs'
import { placement } from '../../elder/config'
import { encodeRows } from '../../elder/rows'
import type { FcHook, RunOptions } from '../../model/gpt2'
import { matmul2 } from '../../model/ops'
import type { ApplyOptions, BatchReport, EditorModel, EditRow } from '../editor'
import { KeyedEditor, type Served } from '../keyed-editor'
import type { ScopeExplanation } from '../scope'
import { stateTensor, StateError, writeState, type ParsedState } from '../state'
import { trainSteps } from '../train'
import type { MeloConfig } from './config'
import { VecDb, type VecDbJSON } from './vecdb'

export class MeloEditor extends KeyedEditor<MeloConfig> {
  readonly method = 'melo'
  protected readonly measure = 'cluster-euclidean'
  readonly first: number
  readonly L: number
  private readonly A: Array<tf.Variable<tf.Rank.R2>> // per layer [D, R]
  private readonly B: Array<tf.Variable<tf.Rank.R2>> // per layer [R, F]
  vecdb: VecDb
  /** Edit rows trained so far: which block the next batch fills. */
  private editsSeen = 0

  constructor(base: EditorModel, config: MeloConfig) {
    const m = base.model.config
    const { first, L, queryBlock } = placement(config, m.nLayer)
    super(base, config, queryBlock)
    this.first = first
    this.L = L
    const R = config.numBlocks * config.ranksPerBlock
    // Each block is a small LoRA of rank n: A ~ U(±1/√n), B = 0, so a fresh block changes nothing.
    const bound = 1 / Math.sqrt(config.ranksPerBlock)
    this.A = Array.from({ length: L }, (_, l) =>
      tf.tidy(() => tf.variable(tf.randomUniform([base.model.target.inDim, R], -bound, bound, 'float32', config.seed * 1000 + l)))
    )
    this.B = Array.from({ length: L }, () => tf.tidy(() => tf.variable(tf.zeros([R, base.model.target.outDim]) as tf.Tensor2D)))
    this.vecdb = new VecDb(config.initRadius)
    base.model.prepareBackward(first)
  }

  private variables(): tf.Variable[] {
    return [...this.A, ...this.B]
  }

  private tensorNames(): string[] {
    return [...this.A.map((_, l) => `melo.${l}.A`), ...this.B.map((_, l) => `melo.${l}.B`)]
  }

  protected find(keys: Float32Array[]): Served[] {
    return keys.map((q) => {
      const f = this.vecdb.lookup(q)
      const n = this.vecdb.nearest(q)
      const radius = n.index >= 0 ? this.vecdb.clusters[n.index].radius : null
      return { serve: f.block, distance: f.distance, matched: f.point ? { owner: f.point.owner, row: f.point.row } : null, radius }
    })
  }

  /** The rank-block that serves the input, one cell per block. */
  protected override allocation(serve: number | null): ScopeExplanation['allocation'] {
    const weights = new Array<number>(this.config.numBlocks).fill(0)
    if (serve !== null) weights[serve] = 1
    return { rows: 1, cols: this.config.numBlocks, weights }
  }

  protected hooks(block: ReadonlyArray<number | null>): RunOptions {
    return { fcHook: this.hook(block) }
  }

  /** Adds sequence b's rank-block (none when null) to c_fc of the LoRA blocks. */
  private hook(block: ReadonlyArray<number | null>): FcHook {
    const { numBlocks, ranksPerBlock: n } = this.config
    const R = numBlocks * n
    // (√(R/n))² from scaling A and B, times alpha / R = 1.
    const scale = R / n
    return (layer, x) => {
      const l = layer - this.first
      if (l < 0 || l >= this.L) return null
      const B = block.length
      const T = x.shape[0] / B
      const mask = new Float32Array(B * T * R)
      for (let i = 0; i < B * T; i++) {
        const b = block[Math.floor(i / T)]
        if (b !== null) mask.fill(1, i * R + b * n, i * R + (b + 1) * n)
      }
      const h = tf.mul(matmul2(x, this.A[l]), tf.tensor2d(mask, [B * T, R])) as tf.Tensor2D
      return tf.mul(matmul2(h, this.B[l]), scale) as tf.Tensor2D
    }
  }

  async applyBatch(edits: readonly EditRow[], opts: ApplyOptions = {}): Promise<BatchReport> {
    const t0 = performance.now()
    const batchId = this.claimBatch(opts)
    const rows = encodeRows(this.base.tokenizer, edits, true, this.model.config.nPositions)
    const block = Math.floor(this.editsSeen / this.config.editsPerBlock) % this.config.numBlocks
    const { losses, earlyStopped } = await trainSteps(
      this.model, this.first, rows, this.variables(), this.hooks(edits.map(() => block)), this.config, batchId, opts
    )
    // The database learns the keys once the batch is in the weights (a cancelled batch leaves no trace).
    this.keys(rows.batch, rows.lastPrompt).forEach((q, b) => this.vecdb.update(q, edits[b].target, block, batchId, b))
    this.editsSeen += edits.length
    this.recordBatch(batchId, edits.length)
    return { batchId, losses, steps: losses.length, earlyStopped, wallMs: performance.now() - t0, codes: [], presets: [] }
  }

  /** The batch's points; its update stays in its block, which other batches' points may still select. */
  protected setKeysEnabled(batchId: number, enabled: boolean): void {
    for (const p of this.vecdb.pointsOf(batchId)) p.enabled = enabled
  }

  /** Drops a batch's keys; its update stays in the block until a checkpoint before it is restored. */
  removeBatch(batchId: number): void {
    for (const c of this.vecdb.clusters) c.points = c.points.filter((p) => p.owner !== batchId)
    this.ledger.remove(batchId)
  }

  renumber(to: ReadonlyMap<number, number>): void {
    for (const c of this.vecdb.clusters) for (const p of c.points) p.owner = to.get(p.owner) ?? p.owner
    this.ledger.renumber(to)
  }

  paramCount(): number {
    return this.variables().reduce((a, v) => a + v.size, 0)
  }

  exportState(): Uint8Array {
    const names = this.tensorNames()
    return writeState(
      this.base,
      this.variables().map((v, i) => ({ name: names[i], shape: v.shape, data: v.dataSync() as Float32Array })),
      {
        vecdb: JSON.stringify(this.vecdb.toJSON()),
        edits_seen: String(this.editsSeen),
        ...this.ledgerMeta()
      }
    )
  }

  /** Loads a checked state of the same sizes (every part is checked before anything is replaced). */
  loadState(s: ParsedState): void {
    const vars = this.variables()
    const data = this.tensorNames().map((name, i) => stateTensor(s, name, vars[i].shape))
    if (!s.meta.vecdb) throw new StateError('editor state has no vector database')
    const vecdb = VecDb.fromJSON(this.config.initRadius, JSON.parse(s.meta.vecdb) as VecDbJSON)
    const applyLedger = this.readLedger(s)
    vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(data[i], v.shape))))
    this.vecdb = vecdb
    this.editsSeen = Number(s.meta.edits_seen)
    applyLedger()
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose()
  }
}
