// The ELDER editor (Li et al., AAAI 2025; elder-spec.md, defaults §9): MoLoRA on c_fc of L blocks, one router per
// layer scoring one shared query (c_fc input of the block below the first MoLoRA block, at the last prompt token),
// top-k mixing by raw softmax scores, a guided loss towards label-keyed presets, and deferral: an input whose
// allocation code is not within Hamming distance < ε of any stored edit code runs the base model.
//
// Steps of applyBatch:
//   1. encode rows (prompt + " " + target + EOS); run blocks [0, first) once without gradients (prefix cache) and
//      read the query q [B, D];
//   2. per step: route (router scores → top-k code, read back: the choice is discrete), forward blocks
//      [first, n) with the mixture, loss = CE(target tokens) + λ·guided; Adam with step decay;
//   3. stop early when every target token is the argmax and CE < threshold, else after maxSteps;
//   4. store each row's code from the last step's forward (computed before that step's update, as in [E]).
import * as tf from '@tensorflow/tfjs'
import type { Gpt2 } from '../model/gpt2'
import type { TextTokenizer } from '../model/tokenizer'
import { Adam } from '../optim'
import { codeFromScores, packCode, unpackCode, type Code } from './codes'
import { parseElderConfig, placement, type ElderConfig } from './config'
import { DeferralTable } from './deferral'
import { MoLora } from './molora'
import { AllocationPresets } from './presets'
import { QueryTable } from './query-table'
import { encodeRows, type EncodedRows, type PromptTarget } from './rows'

export interface StepProgress {
  step: number // 1-based
  maxSteps: number
  loss: number
  lmLoss: number
}

export interface ApplyOptions {
  signal?: AbortSignal
  onProgress?: (p: StepProgress) => void
  /** Owner id of the batch's codes in the deferral table (the workspace's batch id); default: next free id. */
  batchId?: number
}

export interface BatchResult {
  batchId: number
  losses: number[]
  steps: number
  earlyStopped: boolean
  wallMs: number
  /** The stored allocation code of every row, in row order. */
  codes: Code[]
  /** The pre-assigned allocation of every row (guided-loss target). */
  presets: Code[]
}

/** Routing of a batch of sequences: code, distance to the nearest stored code, deferral. */
export interface Routing {
  codes: Code[]
  /** Hamming distance to the nearest stored code (Infinity: none stored). */
  nearest: number[]
  /** Cosine distance of the query to the nearest stored edit query (Infinity: none stored). */
  queryDistance: number[]
  deferred: boolean[]
}

export class EditCancelledError extends Error {
  override name = 'EditCancelledError'
}

export interface EditorModel {
  model: Gpt2
  tokenizer: TextTokenizer
  contentHash: string
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export class ElderEditor {
  readonly config: ElderConfig
  readonly first: number
  readonly L: number
  readonly queryBlock: number
  readonly molora: MoLora
  presets: AllocationPresets
  table: DeferralTable
  /** Every edit row's routing query, for the 'code+query' discriminator (kept in any mode, so it can be switched). */
  queries: QueryTable
  /** When false every input runs the base model (the editor is switched off, nothing is lost). */
  enabled = true
  nextBatchId = 1

  constructor(
    readonly base: EditorModel,
    config: unknown = {}
  ) {
    this.config = parseElderConfig(config)
    const c = this.config
    const m = base.model.config
    ;({ first: this.first, L: this.L, queryBlock: this.queryBlock } = placement(c, m.nLayer))
    this.molora = new MoLora({ L: this.L, N: c.numExperts, r: c.rank, D: m.nEmbd, F: m.nInner }, c.alpha / c.rank, c.seed)
    this.presets = new AllocationPresets(this.L, c.numExperts, c.topK, c.seed)
    this.table = new DeferralTable(this.L, c.numExperts, c.topK)
    this.queries = new QueryTable(m.nEmbd)
    base.model.prepareBackward(this.first)
  }

  get model(): Gpt2 {
    return this.base.model
  }

  /** Blocks [0, first) without gradients: hidden state entering the first MoLoRA block and the queries [B, D]. */
  prefix(rows: { batch: EncodedRows['batch']; lastPrompt: Int32Array }): { hidden: tf.Tensor2D; query: tf.Tensor2D } {
    const { batch, lastPrompt } = rows
    return tf.tidy(() => {
      const x = this.model.embed(batch)
      const r = this.model.runBlocks(x, 0, this.first, batch.B, batch.T, {
        capture: { layer: this.queryBlock, rows: lastPrompt }
      })
      return { hidden: r.hidden, query: r.captured as tf.Tensor2D }
    })
  }

  /** Router scores for queries [B, D], read back: [B·L·N]. */
  scores(query: tf.Tensor2D): Float32Array {
    const p = tf.tidy(() => this.molora.routerProbs(query))
    const data = p.dataSync() as Float32Array
    p.dispose()
    return data
  }

  /** Each row's top-k code from its router scores [B·L·N]. */
  codesOf(scores: Float32Array, B: number): Code[] {
    const { numExperts: N, topK: k } = this.config
    const LN = this.L * N
    return Array.from({ length: B }, (_, b) => codeFromScores(scores.subarray(b * LN, (b + 1) * LN), this.L, N, k))
  }

  /** Each row's code and the deferral decision (queries [B, D] as read back). */
  route(scores: Float32Array, queries: Float32Array, B: number): Routing {
    const { eps, discriminator, queryRadius } = this.config
    const D = queries.length / B
    const r: Routing = { codes: this.codesOf(scores, B), nearest: [], queryDistance: [], deferred: [] }
    r.codes.forEach((code, b) => {
      const d = this.table.nearestDistance(code)
      const qd = this.queries.nearest(queries.subarray(b * D, (b + 1) * D)).distance
      r.nearest.push(d)
      r.queryDistance.push(qd)
      // An empty table defers everything (distance Infinity); so does a disabled editor.
      const inScope = d < eps && (discriminator === 'code' || qd < queryRadius)
      r.deferred.push(!this.enabled || !inScope)
    })
    return r
  }

  /** Routing of a prefix's queries: scores and the queries themselves read back once. */
  routeQueries(query: tf.Tensor2D): Routing {
    return this.route(this.scores(query), query.dataSync() as Float32Array, query.shape[0])
  }

  /** 0/1 mask [B, L·N]: each row's top-k experts per layer, all zero for deferred rows. */
  mask(codes: Code[], deferred: boolean[] | null): tf.Tensor2D {
    const N = this.config.numExperts
    const LN = this.L * N
    const m = new Float32Array(codes.length * LN)
    codes.forEach((code, b) => {
      if (deferred?.[b]) return
      unpackCode(code, this.L, N).forEach((experts, l) => {
        for (const e of experts) m[b * LN + l * N + e] = 1
      })
    })
    return tf.tensor2d(m, [codes.length, LN])
  }

  /** fc hook adding the mixture to c_fc of the MoLoRA blocks, with mixing weights w [B, L·N]. */
  hook(w: tf.Tensor2D): (layer: number, x: tf.Tensor2D) => tf.Tensor2D | null {
    return (layer, x) =>
      layer >= this.first && layer < this.first + this.L ? this.molora.delta(layer - this.first, x, w) : null
  }

  /** Logits [P, V] at `rows` for a prefix cache, mixing with the router's own scores under `mask`. */
  upperLogits(hidden: tf.Tensor2D, query: tf.Tensor2D, mask: tf.Tensor2D, B: number, T: number, rows: Int32Array): tf.Tensor2D {
    const w = tf.mul(this.molora.routerProbs(query), mask) as tf.Tensor2D
    const { hidden: h } = this.model.runBlocks(hidden, this.first, this.model.nLayer, B, T, { fcHook: this.hook(w) })
    return this.model.head(h, rows)
  }

  async applyBatch(edits: readonly PromptTarget[], opts: ApplyOptions = {}): Promise<BatchResult> {
    const c = this.config
    const N = c.numExperts
    const t0 = performance.now()
    const batchId = opts.batchId ?? this.nextBatchId
    if (this.table.owners().includes(batchId)) throw new Error(`batch ${batchId} already has stored codes`)
    const rows = encodeRows(this.base.tokenizer, edits, true, this.model.config.nPositions)
    const { B, T } = rows.batch
    const presetsBefore = this.presets.toJSON() // new labels draw presets; a failed batch must not keep them
    const presetCodes = edits.map((e) => this.presets.presetFor(e.target))
    const presetMask = new Float32Array(B * this.L * N)
    presetCodes.forEach((p, b) => p.forEach((experts, l) => experts.forEach((e) => (presetMask[(b * this.L + l) * N + e] = 1))))
    const { hidden, query } = this.prefix(rows)
    const queryData = query.dataSync() as Float32Array // [B, D]: fixed for the batch (the prefix is frozen)
    const presetT = tf.tensor2d(presetMask, [B, this.L * N])
    const labelsT = tf.tidy(() => tf.oneHot(tf.tensor1d(rows.labels, 'int32'), this.model.config.vocabSize))
    const vars = this.molora.variables()
    const saved = this.molora.snapshot()
    const adam = new Adam(vars)
    const losses: number[] = []
    let codes: Code[] = []
    let earlyStopped = false
    try {
      for (let step = 0; step < c.maxSteps; step++) {
        if (opts.signal?.aborted) throw new EditCancelledError(`batch ${batchId} cancelled at step ${step}`)
        codes = this.codesOf(this.scores(query), B) // while editing every row is in scope: no deferral lookup
        const mask = this.mask(codes, null)
        const side: { argmax?: tf.Tensor; lm?: tf.Tensor } = {}
        const { value, grads } = tf.variableGrads(() => {
          const logits = this.upperLogits(hidden, query, mask, B, T, rows.targetRows)
          const ce = tf.losses.softmaxCrossEntropy(labelsT, logits)
          // Guided loss: batch mean of Σ over layers and preset experts of −log score.
          const probs = this.molora.routerProbs(query)
          const guided = tf.div(tf.neg(tf.sum(tf.mul(presetT, tf.log(tf.add(probs, 1e-9))))), B)
          side.argmax = tf.keep(tf.argMax(logits, 1))
          side.lm = tf.keep(ce)
          return tf.add(ce, tf.mul(guided, c.lambda)) as tf.Scalar
        }, vars)
        const loss = value.dataSync()[0]
        const lmLoss = (side.lm as tf.Tensor).dataSync()[0]
        const pred = (side.argmax as tf.Tensor).dataSync()
        tf.dispose([value, mask, side.argmax as tf.Tensor, side.lm as tf.Tensor])
        losses.push(loss)
        opts.onProgress?.({ step: step + 1, maxSteps: c.maxSteps, loss, lmLoss })
        const allRight = rows.labels.every((l, i) => pred[i] === l)
        if (c.earlyStop && allRight && lmLoss < c.earlyStopLoss) {
          earlyStopped = true
          tf.dispose(Object.values(grads))
          break
        }
        const lr = c.lr * c.lrDecay ** Math.floor(step / c.lrDecayEvery)
        adam.step(
          vars.map((v) => grads[v.name] ?? tf.zerosLike(v)),
          lr
        )
        tf.dispose(Object.values(grads))
        await nextTick() // let cancel requests and progress messages through
      }
    } catch (e) {
      // A cancelled or failed batch leaves the editor as it was.
      this.molora.restore(saved)
      this.presets = AllocationPresets.fromJSON(presetsBefore)
      throw e
    } finally {
      tf.dispose([...saved, hidden, query, presetT, labelsT])
      adam.dispose()
    }
    this.table.addRows(batchId, codes)
    const D = this.model.config.nEmbd
    this.queries.add(
      batchId,
      Array.from({ length: B }, (_, b) => queryData.slice(b * D, (b + 1) * D))
    )
    this.nextBatchId = Math.max(this.nextBatchId, batchId + 1)
    return {
      batchId,
      losses,
      steps: losses.length,
      earlyStopped,
      wallMs: performance.now() - t0,
      codes,
      presets: presetCodes.map((p) => packCode(p, this.L, N))
    }
  }

  /** Removes a batch's codes (rollback). Its LoRA updates stay in the weights; restore a checkpoint to undo them. */
  removeBatch(batchId: number): void {
    this.table.removeBatch(batchId)
    this.queries.removeBatch(batchId)
  }

  disableBatch(batchId: number): void {
    this.table.disableBatch(batchId)
    this.queries.setEnabled(batchId, false)
  }

  enableBatch(batchId: number): void {
    this.table.enableBatch(batchId)
    this.queries.setEnabled(batchId, true)
  }

  dispose(): void {
    this.molora.dispose()
  }
}
