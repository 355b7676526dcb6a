// The ELDER editor (Li et al., AAAI 2025; elder-spec.md, defaults §9; docs/elder-method.md): MoLoRA on c_fc
// ("c_fc" here and below: the model's target module, model.ts) of L blocks, one router per layer scoring one
// shared query (c_fc input of the block below the first MoLoRA block, at the last prompt token), and a scope
// decision that sends inputs far from every edit to the base model.
// Two ways to run it (config.ts):
//   'elder-paper': top-k mixing by raw router scores, a guided loss towards label-keyed presets, and deferral when
//                  an input's allocation code is not within Hamming distance < ε of a stored code;
//   'elder' (default): every edit is trained and served through its label's fixed preset allocation; the scope is
//                  the nearest stored edit query (same base answer token, subject and relation: query-table.ts,
//                  relations.ts) within a cosine radius, and that edit's
//                  allocation serves the input; each step rehearses a fixed number of earlier edits, slipped first
//                  (an answer gone wrong, or a loss risen above slipLoss).
//
// Steps of applyBatch:
//   1. pick rehearsal rows; encode rows (prompt + " " + target + EOS); run blocks [0, first) once without
//      gradients (prefix cache) and read the query q [B, D];
//   2. per step: route (router top-k, or the fixed presets), forward blocks [first, n) with the mixture,
//      loss = CE(target tokens) (+ λ·guided with learned routers); Adam with step decay;
//   3. stop early when every target token is the argmax and CE < threshold, else after maxSteps;
//   4. store each new row's code, query, base answer and text; supersede earlier edits of the same facts; check a
//      rotating window of earlier edits and queue those that slipped (wrong, or loss above slipLoss) for rehearsal.
import * as tf from '@tensorflow/tfjs'
import type { LanguageModel } from '../model/model'
import { Adam } from '../optim'
import { Prng } from '../prng'
import { codeFromScores, packCode, unpackCode, type Code } from './codes'
import { parseElderConfig, placement, type ElderConfig } from './config'
import { DeferralTable } from './deferral'
import { MoLora } from './molora'
import { AllocationPresets } from './presets'
import { QueryTable, sameFact, type Gate, type RowMeta, type RowRef } from './query-table'
import { FeatureMap, RelationClassifier, featureBlocks } from './relations'
import { encodePrompts, encodeRows, type EncodedRows, type PromptTarget } from './rows'
import { elderPredict, elderPromptLogits, elderScore } from './infer'
import { lastRows, padBatch, type TokenBatch } from '../model/gpt2'
import { exportState } from './state'
import {
  EditCancelledError, type ApplyOptions, type BatchReport, type Editor, type EditorModel, type EditRow, type Prediction,
  type PredictionDetails, type RowScore
} from '../methods/editor'
import { codeBits, nearestRow } from './probe'
import { elderExplain, elderMapVectors, elderThreshold, elderUsage, setElderThreshold } from './scope'
import type { ScopeExplanation, ScopeThreshold } from '../methods/scope'


export interface BatchResult extends BatchReport {
  /** Earlier edit rows replayed with this batch. */
  rehearsed: RowRef[]
  /** Earlier edits this batch replaced (same prompt, or same subject and relation). */
  superseded: number
}

/** Routing of a batch of sequences: code, distance to the nearest stored code, deferral. */
export interface Routing {
  codes: Code[]
  /** Hamming distance to the nearest stored code (Infinity: none stored). */
  nearest: number[]
  /** Cosine distance of the query to the nearest stored edit query (Infinity: none stored). */
  queryDistance: number[]
  deferred: boolean[]
  /** The stored edit row whose allocation serves each input (discriminator 'key'), or null. */
  matched: Array<RowRef | null>
  /** The threshold each decision compared with: the query radius, widened when the relation gate matched (key). */
  threshold: number[]
  /** Each input's predicted relation (relation gate), or null. */
  relation: Array<string | null>
}

const refKey = (r: RowRef): string => `${r.owner}:${r.row}`

/** The relation classifier is fitted on at most this many of the latest live edits of each relation. */
const FIT_PER_RELATION = 256
/** At most this many rows' relation features are kept between refits (~3.5 KB each on the embedded model). */
const FEATURES_KEPT = 8192

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export class ElderEditor implements Editor {
  readonly method = 'elder'
  /** Not readonly: scope tuning sets the threshold (setScopeThreshold); nothing else changes after construction. */
  config: ElderConfig
  readonly first: number
  readonly L: number
  readonly queryBlock: number
  readonly molora: MoLora
  presets: AllocationPresets
  table: DeferralTable
  /** Every edit row's routing query, base answer, code and text: the scope decision ('key', 'code+query') and rehearsal. */
  queries: QueryTable
  /** When false every input runs the base model (the editor is switched off, nothing is lost). */
  enabled = true
  nextBatchId = 1
  /**
   * Stored rows found slipped when last checked or rehearsed, with how badly (Infinity: an answer token wrong; else
   * the mean CE above slipLoss): rehearsed first, worst first. Rebuilt by checks after a reload.
   */
  private readonly slipped = new Map<string, { ref: RowRef; severity: number }>()
  /** Rotating position of the post-batch check over the live rows. */
  private checkCursor = 0
  /** Blocks whose outputs feed the relation classifier, and how their rows become features (relations.ts). */
  private readonly featureBlocks: number[]
  private readonly featureMap: FeatureMap
  /**
   * Relation features of the rows the classifier is fitted on (and of rows added since): kept from a row's own batch,
   * or recomputed from its prompt (after a reload, or when an older row re-enters the sample).
   */
  private readonly rowFeatures = new Map<RowMeta, Float32Array>()
  /** The relation classifier and the QueryTable version it was fitted on. */
  private fitted: { version: number; classifier: RelationClassifier | null } | null = null

  constructor(
    readonly base: EditorModel,
    config: unknown = {}
  ) {
    this.config = parseElderConfig(config)
    const c = this.config
    const m = base.model.config
    ;({ first: this.first, L: this.L, queryBlock: this.queryBlock } = placement(c, m.nLayer))
    this.molora = new MoLora({ L: this.L, N: c.numExperts, r: c.rank, D: base.model.target.inDim, F: base.model.target.outDim }, c.alpha / c.rank, c.seed)
    this.presets = new AllocationPresets(this.L, c.numExperts, c.topK, c.seed)
    this.table = new DeferralTable(this.L, c.numExperts, c.topK)
    this.queries = new QueryTable(base.model.target.inDim)
    this.featureBlocks = featureBlocks(this.queryBlock, m.nLayer)
    this.featureMap = new FeatureMap(this.featureBlocks.length, m.nEmbd, c.seed)
    base.model.prepareBackward(this.first)
  }

  get model(): LanguageModel {
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

  /** Encodes prompts (no target) into a right-padded batch and runs its prefix; the caller disposes hidden and query. */
  promptPrefix(prompts: readonly string[]): { seqs: number[][]; batch: TokenBatch; last: Int32Array; hidden: tf.Tensor2D; query: tf.Tensor2D } {
    const { tokenizer, model } = this.base
    const seqs = encodePrompts(tokenizer, prompts, model.config.nPositions)
    const batch = padBatch(seqs, tokenizer.eosId)
    const last = lastRows(batch)
    return { seqs, batch, last, ...this.prefix({ batch, lastPrompt: last }) }
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

  /**
   * The rest of the frozen base model from a prefix's hidden state: each prompt's answer token and, when asked,
   * its relation features (the residual stream at the last prompt token after the feature blocks).
   */
  baseForward(hidden: tf.Tensor2D, B: number, T: number, lastPrompt: Int32Array, features: boolean): { answers: Int32Array; features: Float32Array[] | null } {
    const n = this.model.nLayer
    const blocks = features ? this.featureBlocks : []
    const [answerT, pickedT] = tf.tidy(() => {
      if (blocks.length === 0) {
        const { hidden: h } = this.model.runBlocks(hidden, this.first, n, B, T)
        return [tf.argMax(this.model.head(h, lastPrompt), 1)]
      }
      const picked: tf.Tensor2D[] = []
      let h = hidden
      if (blocks.includes(this.queryBlock)) picked.push(tf.gather(h, lastPrompt))
      for (let j = this.first; j < n; j++) {
        h = this.model.runBlocks(h, j, j + 1, B, T).hidden
        if (blocks.includes(j)) picked.push(tf.gather(h, lastPrompt))
      }
      return [tf.argMax(this.model.head(h, lastPrompt), 1), tf.concat(picked, 0)] // [blocks · B, D]
    })
    const answers = answerT.dataSync() as Int32Array
    const all = pickedT ? (pickedT.dataSync() as Float32Array) : null
    tf.dispose([answerT, ...(pickedT ? [pickedT] : [])])
    if (!all) return { answers, features: null }
    const size = all.length / blocks.length
    const rows = blocks.map((_, j) => all.subarray(j * size, (j + 1) * size))
    return { answers, features: this.featureMap.features(rows, B) }
  }

  /** Whether the scope decision needs each input's base answer. */
  get needsAnswers(): boolean {
    return this.config.discriminator === 'key' && this.config.answerGate
  }

  /** What the scope decision reads of the rest of the base model: answers and relation features, when it needs them. */
  baseFor(hidden: tf.Tensor2D, B: number, T: number, lastPrompt: Int32Array): { answers: Int32Array | null; features: Float32Array[] | null } {
    if (this.queries.size === 0 || !(this.needsAnswers || this.needsFeatures)) return { answers: null, features: null }
    const r = this.baseForward(hidden, B, T, lastPrompt, this.needsFeatures)
    return { answers: this.needsAnswers ? r.answers : null, features: r.features }
  }

  /** Whether the scope decision needs each input's relation features (the relation gate). */
  get needsFeatures(): boolean {
    return this.config.discriminator === 'key' && this.config.relationGate
  }

  /**
   * The relation classifier over the live stored edits that name a relation (the latest FIT_PER_RELATION of each, so
   * a refit costs the same at 100,000 edits as at 4,000), refitted when they changed; null when the gate is off or
   * fewer than two relations are stored.
   */
  relationClassifier(): RelationClassifier | null {
    if (!this.needsFeatures) return null
    if (this.fitted?.version === this.queries.version) return this.fitted.classifier
    const byRelation = new Map<string, RowMeta[]>()
    for (const m of this.queries.labelled()) {
      const rows = byRelation.get(m.relation as string)
      if (rows) rows.push(m)
      else byRelation.set(m.relation as string, [m])
    }
    const metas = [...byRelation.values()].flatMap((rows) => rows.slice(-FIT_PER_RELATION))
    const missing = metas.filter((m) => !this.rowFeatures.has(m))
    for (let i = 0; i < missing.length; i += 256) {
      const chunk = missing.slice(i, i + 256)
      const { batch, last, hidden, query } = this.promptPrefix(chunk.map((m) => m.prompt))
      const f = this.baseForward(hidden, chunk.length, batch.T, last, true).features as Float32Array[]
      tf.dispose([hidden, query])
      chunk.forEach((m, b) => this.rowFeatures.set(m, f[b]))
    }
    const classifier = RelationClassifier.fit(metas.map((m) => ({ features: this.rowFeatures.get(m) as Float32Array, relation: m.relation as string })))
    // Keep only the sample's features: memory stays bounded however many edits are stored.
    const keep = new Set(metas)
    for (const m of this.rowFeatures.keys()) if (!keep.has(m)) this.rowFeatures.delete(m)
    this.fitted = { version: this.queries.version, classifier }
    return classifier
  }

  /** What an input must share with a stored edit to be compared with it (scope decision and its explanation alike). */
  gateFor(answer: number | null, text: string | null, relation: string | null): Gate {
    return {
      ...(answer !== null ? { answer } : {}),
      ...(text !== null && this.config.subjectGate ? { text } : {}),
      ...(relation ? { relation } : {})
    }
  }

  /**
   * The radius a stored edit matches an input within: `radius`, or radius × relationScale for an edit of the relation
   * the classifier reads the input as (relations.ts says why).
   */
  matchRadius(ref: RowRef, relation: string | null, radius: number): number {
    return relation && this.queries.meta(ref).relation === relation ? radius * this.config.relationScale : radius
  }

  /**
   * Each row's code and the deferral decision (queries [B, D] as read back; base answers when needsAnswers; the
   * input texts for the subject gate).
   */
  route(
    scores: Float32Array, queries: Float32Array, B: number, answers: Int32Array | null = null, texts: readonly string[] | null = null,
    /** Overrides the tuned threshold (queryRadius for 'key', eps otherwise): scope tuning's "what if". */
    threshold?: number,
    /** Each input's relation features (needsFeatures). */
    features: Float32Array[] | null = null
  ): Routing {
    const { discriminator, routing } = this.config
    const key = discriminator === 'key'
    const queryRadius = key ? (threshold ?? this.config.queryRadius) : this.config.queryRadius
    const eps = key ? this.config.eps : (threshold ?? this.config.eps)
    const D = queries.length / B
    const own = this.codesOf(scores, B)
    const r: Routing = { codes: [], nearest: [], queryDistance: [], deferred: [], matched: [], threshold: [], relation: [] }
    const classifier = key && features ? this.relationClassifier() : null
    own.forEach((routerCode, b) => {
      let code = routerCode
      const q = queries.subarray(b * D, (b + 1) * D)
      let inScope: boolean
      let qd: number
      let matched: RowRef | null = null
      let radius = key ? queryRadius : eps
      const relation = classifier && features ? classifier.predict(features[b]) : null
      if (discriminator === 'key') {
        const n = this.queries.nearest(q, this.gateFor(answers ? answers[b] : null, texts ? texts[b] : null, relation))
        qd = n.distance
        if (n.owner !== null) radius = this.matchRadius({ owner: n.owner, row: n.row }, relation, queryRadius)
        inScope = qd < radius
        if (n.owner !== null) {
          matched = { owner: n.owner, row: n.row }
          // The input is served by the edit it matched, through the allocation that edit was trained with.
          if (routing === 'preset') code = Uint32Array.from(this.queries.meta(matched).code)
        }
      } else {
        qd = this.queries.nearest(q).distance
        const d = this.table.nearestDistance(code)
        inScope = d < eps && (discriminator === 'code' || qd < queryRadius)
      }
      r.codes.push(code)
      r.nearest.push(this.table.nearestDistance(code))
      r.queryDistance.push(qd)
      r.matched.push(inScope ? matched : null)
      r.threshold.push(radius)
      r.relation.push(relation)
      // An empty table defers everything (distance Infinity); so does a disabled editor.
      r.deferred.push(!this.enabled || !inScope)
    })
    return r
  }

  /** Routing of a prefix (prompts: the input texts): scores, queries and base answers read back once. */
  routePrefix(hidden: tf.Tensor2D, query: tf.Tensor2D, T: number, lastPrompt: Int32Array, prompts: readonly string[]): Routing {
    const B = query.shape[0]
    const base = this.baseFor(hidden, B, T, lastPrompt)
    return this.route(this.scores(query), query.dataSync() as Float32Array, B, base.answers, prompts, undefined, base.features)
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

  /**
   * Mixing weights [B, L·N] under a 0/1 mask: the routers' own softmax scores (routing 'router'), or 1/k for each
   * allocated expert (routing 'preset': the routers play no part).
   */
  weights(query: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
    if (this.config.routing === 'preset') return tf.mul(mask, 1 / this.config.topK) as tf.Tensor2D
    return tf.mul(this.molora.routerProbs(query), mask) as tf.Tensor2D
  }

  /** Logits [P, V] at `rows` for a prefix cache, mixing the experts under `mask` (see weights). */
  upperLogits(hidden: tf.Tensor2D, query: tf.Tensor2D, mask: tf.Tensor2D, B: number, T: number, rows: Int32Array): tf.Tensor2D {
    const w = this.weights(query, mask)
    const { hidden: h } = this.model.runBlocks(hidden, this.first, this.model.nLayer, B, T, { fcHook: this.hook(w) })
    return this.model.head(h, rows)
  }

  /**
   * Earlier edits to replay with a batch: up to `rehearsal` live rows per edit in it, slipped ones first (all but two places, so
   * a few random rows keep being refreshed), the rest drawn at random; never a row of the same fact as the batch.
   */
  private pickRehearsal(edits: readonly EditRow[], batchId: number): RowRef[] {
    // Per edit in the batch, so a batch of 4 edits replays as much per edit as 4 batches of one (up to 8 edits'
    // worth: a step's cost grows with its rows).
    const R = this.config.rehearsal * Math.min(edits.length, 8)
    if (R === 0) return []
    const ok = (ref: RowRef): boolean => !edits.some((e) => sameFact(e, this.queries.meta(ref)))
    const live = this.queries.live().filter(ok)
    const picked = new Map<string, RowRef>()
    for (const { ref } of this.slippedRows()) {
      if (picked.size >= Math.max(R - 2, 1)) break
      if (this.isLive(ref) && ok(ref)) picked.set(refKey(ref), ref)
      else this.slipped.delete(refKey(ref))
    }
    const rng = new Prng((this.config.seed * 7919 + batchId) | 0)
    for (let tries = 0; picked.size < Math.min(R, live.length) && tries < 4 * R; tries++) {
      const ref = live[rng.int(live.length)]
      picked.set(refKey(ref), ref)
    }
    return [...picked.values()]
  }

  /**
   * The rows queued for rehearsal, worst first: a wrong answer (severity Infinity) before a loss above slipLoss,
   * higher loss first, equal severities in the order they were found. With slipLoss on, more rows slip than a batch
   * replays, and a wrong answer must not wait behind a thinning margin (found first, replayed first let reliability
   * fall to 98.9% at 1,000 edits).
   */
  slippedRows(): Array<{ ref: RowRef; severity: number }> {
    return [...this.slipped.values()].sort((a, b) => (a.severity === b.severity ? 0 : b.severity > a.severity ? 1 : -1))
  }

  private isLive(ref: RowRef): boolean {
    try {
      const m = this.queries.meta(ref)
      return !m.superseded && this.queries.isEnabled(ref.owner)
    } catch {
      return false
    }
  }

  /** Forward-only check of the next `rehearsalCheck` live rows per edit of the batch (rotating): slipped rows are queued for rehearsal. */
  private checkEarlier(edits: number): void {
    const W = this.config.rehearsalCheck * edits
    if (W === 0 || this.config.routing !== 'preset') return
    const live = this.queries.live()
    if (live.length === 0) return
    const refs: RowRef[] = []
    for (let i = 0; i < Math.min(W, live.length); i++) refs.push(live[(this.checkCursor + i) % live.length])
    this.checkCursor = (this.checkCursor + refs.length) % live.length
    const metas = refs.map((r) => this.queries.meta(r))
    const rows = encodeRows(this.base.tokenizer, metas, false, this.model.config.nPositions)
    const { hidden, query } = this.prefix(rows)
    let logp: Float32Array | null = null
    const pred = tf.tidy(() => {
      const mask = this.mask(metas.map((m) => Uint32Array.from(m.code)), null)
      const logits = this.upperLogits(hidden, query, mask, rows.batch.B, rows.batch.T, rows.targetRows)
      if (this.config.slipLoss > 0) logp = this.labelLogp(logits, rows.labels).dataSync() as Float32Array
      return tf.argMax(logits, 1).dataSync() as Int32Array
    })
    tf.dispose([hidden, query])
    this.markRows(refs, rows, pred, 0, logp)
  }

  /** Log-probability [P] of each target row's label under logits [P, V]: what slipLoss is compared with. */
  private labelLogp(logits: tf.Tensor2D, labels: Int32Array): tf.Tensor1D {
    const V = logits.shape[1]
    return tf.tidy(() => tf.gather(tf.reshape(tf.logSoftmax(logits), [-1]), tf.tensor1d(Int32Array.from(labels, (l, i) => i * V + l), 'int32')))
  }

  /** Records which rows are right (argmax on every target token, mean CE ≤ slipLoss when on) and which slipped. */
  private markRows(refs: readonly RowRef[], rows: EncodedRows, pred: ArrayLike<number>, offset = 0, logp: Float32Array | null = null): void {
    refs.forEach((ref, i) => {
      const [s, e] = rows.spans[offset + i]
      let severity = 0
      for (let t = s; t < e; t++) if (pred[t] !== rows.labels[t]) severity = Infinity
      if (logp && severity === 0) {
        let ce = 0
        for (let t = s; t < e; t++) ce -= logp[t]
        if (ce / (e - s) > this.config.slipLoss) severity = ce / (e - s)
      }
      if (severity === 0) this.slipped.delete(refKey(ref))
      else this.slipped.set(refKey(ref), { ref, severity })
    })
  }

  async applyBatch(edits: readonly EditRow[], opts: ApplyOptions = {}): Promise<BatchResult> {
    const c = this.config
    const N = c.numExperts
    const preset = c.routing === 'preset'
    const t0 = performance.now()
    const batchId = opts.batchId ?? this.nextBatchId
    if (this.table.owners().includes(batchId)) throw new Error(`batch ${batchId} already has stored codes`)
    const replay = preset ? this.pickRehearsal(edits, batchId) : []
    const replayMeta = replay.map((r) => this.queries.meta(r))
    const rows = encodeRows(this.base.tokenizer, [...edits, ...replayMeta], true, this.model.config.nPositions)
    const { B, T } = rows.batch
    const E = edits.length
    const presetsBefore = this.presets.toJSON() // new labels draw presets; a failed batch must not keep them
    const presetCodes = edits.map((e) => this.presets.presetFor(e.target))
    const presetMask = new Float32Array(B * this.L * N)
    presetCodes.forEach((p, b) => p.forEach((experts, l) => experts.forEach((e) => (presetMask[(b * this.L + l) * N + e] = 1))))
    // With fixed presets every row's allocation is known before training and never changes.
    const fixedCodes = preset
      ? [...presetCodes.map((p) => packCode(p, this.L, N)), ...replayMeta.map((m) => Uint32Array.from(m.code))]
      : null
    const { hidden, query } = this.prefix(rows)
    const queryData = query.dataSync() as Float32Array // [B, D]: fixed for the batch (the prefix is frozen)
    // Base answers are stored for the batch's own edits only: the rehearsed rows (after them) already have theirs.
    const own = tf.slice(hidden, [0, 0], [E * T, hidden.shape[1]])
    const { answers, features: newFeatures } = this.baseForward(own, E, T, rows.lastPrompt.subarray(0, E), this.needsFeatures)
    own.dispose()
    const presetT = tf.tensor2d(presetMask, [B, this.L * N])
    const labelsT = tf.tidy(() => tf.oneHot(tf.tensor1d(rows.labels, 'int32'), this.model.config.vocabSize))
    const vars = this.trainable()
    const saved = this.molora.snapshot()
    const adam = new Adam(vars)
    const fixedMask = fixedCodes ? this.mask(fixedCodes, null) : null
    const losses: number[] = []
    let codes: Code[] = []
    let pred: Int32Array = new Int32Array(0)
    let lastLogp: Float32Array | null = null
    let earlyStopped = false
    try {
      for (let step = 0; step < c.maxSteps; step++) {
        if (opts.signal?.aborted) throw new EditCancelledError(`batch ${batchId} cancelled at step ${step}`)
        // While editing every row is in scope: no deferral lookup.
        codes = fixedCodes ?? this.codesOf(this.scores(query), B)
        const mask = fixedMask ?? this.mask(codes, null)
        const side: { argmax?: tf.Tensor; lm?: tf.Tensor; logp?: tf.Tensor } = {}
        const { value, grads } = tf.variableGrads(() => {
          const logits = this.upperLogits(hidden, query, mask, B, T, rows.targetRows)
          const ce = tf.losses.softmaxCrossEntropy(labelsT, logits)
          side.argmax = tf.keep(tf.argMax(logits, 1))
          if (c.slipLoss > 0) side.logp = tf.keep(this.labelLogp(logits, rows.labels))
          side.lm = tf.keep(ce)
          if (preset) return ce as tf.Scalar
          const probs = this.molora.routerProbs(query)
          // Guided loss: batch mean of Σ over layers and preset experts of −log score.
          const routerLoss =
            c.routerLoss === 'guided' ? tf.div(tf.neg(tf.sum(tf.mul(presetT, tf.log(tf.add(probs, 1e-9))))), B) : this.balanceLoss(probs, mask)
          return tf.add(ce, tf.mul(routerLoss, c.lambda)) as tf.Scalar
        }, vars)
        const loss = value.dataSync()[0]
        const lmLoss = (side.lm as tf.Tensor).dataSync()[0]
        pred = (side.argmax as tf.Tensor).dataSync() as Int32Array
        lastLogp = side.logp ? (side.logp.dataSync() as Float32Array) : null
        side.logp?.dispose()
        tf.dispose([value, side.argmax as tf.Tensor, side.lm as tf.Tensor])
        if (mask !== fixedMask) mask.dispose()
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
      if (fixedMask) fixedMask.dispose()
      adam.dispose()
    }
    const newCodes = codes.slice(0, E)
    let superseded = 0
    for (const e of edits) superseded += this.queries.supersede(e)
    this.table.addRows(batchId, newCodes)
    const D = this.model.target.inDim
    this.queries.add(
      batchId,
      Array.from({ length: E }, (_, b) => queryData.slice(b * D, (b + 1) * D)),
      edits.map((e, b) => ({
        answer: answers[b],
        code: Array.from(newCodes[b]),
        prompt: e.prompt,
        target: e.target,
        ...(e.subject ? { subject: e.subject } : {}),
        ...(e.relation ? { relation: e.relation } : {})
      }))
    )
    newFeatures?.forEach((f, b) => this.rowFeatures.set(this.queries.meta({ owner: batchId, row: b }), f))
    // Many batches with no scope decision between them: drop the oldest kept features (a refit recomputes any it needs).
    if (this.rowFeatures.size > FEATURES_KEPT) {
      for (const m of [...this.rowFeatures.keys()].slice(0, this.rowFeatures.size - FEATURES_KEPT / 2)) this.rowFeatures.delete(m)
    }
    // The last forward ran before the last update: a rehearsed row right there is right now, near enough.
    this.markRows(replay, rows, pred, E, lastLogp)
    this.nextBatchId = Math.max(this.nextBatchId, batchId + 1)
    this.checkEarlier(E)
    return {
      batchId,
      losses,
      steps: losses.length,
      earlyStopped,
      wallMs: performance.now() - t0,
      codes: newCodes,
      presets: presetCodes.map((p) => packCode(p, this.L, N)),
      rehearsed: replay,
      superseded
    }
  }

  /**
   * Switch Transformer load balancing summed over layers: N · Σᵢ fᵢ·Pᵢ, fᵢ the share of the batch's top-k slots
   * on expert i (from the 0/1 mask [B, L·N], no gradient), Pᵢ the batch-mean score of expert i (probs [B, L·N]).
   */
  private balanceLoss(probs: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
    const { numExperts: N, topK: k } = this.config
    const f = tf.div(tf.mean(mask, 0), k) // [L·N]: each layer's shares sum to 1
    return tf.mul(tf.sum(tf.mul(f, tf.mean(probs, 0))), N) as tf.Scalar
  }

  /** Removes a batch's codes (rollback). Its LoRA updates stay in the weights; restore a checkpoint to undo them. */
  removeBatch(batchId: number): void {
    this.table.removeBatch(batchId)
    this.queries.removeBatch(batchId)
  }

  /** What training updates: learned routers train with the guided loss; fixed presets leave them out altogether. */
  trainable(): tf.Variable[] {
    return this.config.routing === 'preset' ? [...this.molora.A, ...this.molora.B] : this.molora.variables()
  }

  /** Renames batch owners in every table (the workspace renumbers batches when it replays history). */
  renumber(to: ReadonlyMap<number, number>): void {
    const json = this.table.toJSON()
    this.table = DeferralTable.fromJSON({ ...json, batches: json.batches.map((b) => ({ ...b, owner: to.get(b.owner) ?? b.owner })) })
    this.queries.renumber(to)
    this.slipped.clear()
  }

  disableBatch(batchId: number): void {
    this.table.disableBatch(batchId)
    this.queries.setEnabled(batchId, false)
  }

  enableBatch(batchId: number): void {
    this.table.enableBatch(batchId)
    this.queries.setEnabled(batchId, true)
  }

  score(items: readonly PromptTarget[]): RowScore[] {
    return elderScore(this, items)
  }

  predict(prompts: readonly string[], maxNewTokens: number): Prediction[] {
    return elderPredict(this, prompts, maxNewTokens)
  }

  promptLogits(prompts: readonly string[]): Float32Array {
    return elderPromptLogits(this, prompts)
  }

  details(p: Prediction): PredictionDetails {
    return {
      code: p.code ? codeBits(p.code, this.L, this.config.numExperts) : '',
      nearestDistance: Number.isFinite(p.nearest) ? p.nearest : null,
      // The edit that serves the prompt when the scope decision names one; else the nearest stored code.
      nearest: p.matched
        ? { batchId: p.matched.owner, row: p.matched.row }
        : p.code && this.config.discriminator !== 'key' ? nearestRow(this.table, p.code) : null
    }
  }

  explain(prompts: readonly string[], threshold?: number): ScopeExplanation[] {
    return elderExplain(this, prompts, threshold)
  }

  scopeThreshold(): ScopeThreshold {
    return elderThreshold(this)
  }

  setScopeThreshold(value: number): void {
    setElderThreshold(this, value)
  }

  mapVectors(prompts: readonly string[]): { feature: string; vectors: Float32Array[] } {
    return elderMapVectors(this, prompts)
  }

  usage(): { rows: number; cols: number; counts: number[] } {
    return elderUsage(this)
  }

  owners(): number[] {
    return this.table.owners()
  }

  get rowCount(): number {
    return this.table.size
  }

  paramCount(): number {
    return this.trainable().reduce((a, v) => a + v.size, 0)
  }

  exportState(): Uint8Array {
    return exportState(this)
  }

  dispose(): void {
    this.molora.dispose()
  }
}
