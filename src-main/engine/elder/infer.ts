// Inference through an ELDER editor (or the bare base model): teacher-forced scoring of prompt + target, and
// greedy prediction with the probe's details (top-5, allocation code, nearest stored code, deferral).
// Routing is decided once per sequence from its prompt (the query at the last prompt token) and kept for every
// position and every generated token (elder-spec.md §1 "Which token").
import * as tf from '@tensorflow/tfjs'
import { generateGreedy, lastRows, padBatch, type RunOptions, type TokenBatch } from '../model/gpt2'
import type { Code } from './codes'
import type { RowRef } from './query-table'
import type { EditorModel, ElderEditor } from './editor'
import { encodePrompts, encodeRows, type PromptTarget } from './rows'

export interface RowScore {
  /** Every target token is the argmax under teacher forcing (= greedy exact match of the target). */
  exact: boolean
  /** Fraction of target tokens that are the argmax. */
  tokenAccuracy: number
  /** The argmax token at each target position. */
  predicted: number[]
  /** null when scored on the base model alone. */
  code: Code | null
  nearest: number
  /** Cosine distance of the routing query to the nearest stored edit query (Infinity on the base model). */
  queryDistance: number
  deferred: boolean
}

type RowRouting = {
  codes: Array<Code | null>
  nearest: number[]
  queryDistance: number[]
  deferred: boolean[]
  matched: Array<RowRef | null>
}

/** Routing of n rows on the base model: no code, nothing stored, every row deferred. */
function baseRouting(n: number): RowRouting {
  const none = Array.from({ length: n }, () => Infinity)
  return { codes: none.map(() => null), nearest: none, queryDistance: none, deferred: none.map(() => true), matched: none.map(() => null) }
}

const CHUNK = 256 // sequences per forward pass in scoring (bigger chunks amortise per-op overhead)

/** Teacher-forced scores of items on the edited model (editor given) or the base model (editor null). */
export function scoreRows(base: EditorModel, editor: ElderEditor | null, items: readonly PromptTarget[]): RowScore[] {
  const out: RowScore[] = []
  for (let i = 0; i < items.length; i += CHUNK) out.push(...scoreChunk(base, editor, items.slice(i, i + CHUNK)))
  return out
}

function scoreChunk(base: EditorModel, editor: ElderEditor | null, items: readonly PromptTarget[]): RowScore[] {
  const rows = encodeRows(base.tokenizer, items, false, base.model.config.nPositions)
  const { B, T } = rows.batch
  let predicted: Int32Array
  let routing: RowRouting
  if (editor) {
    const { hidden, query } = editor.prefix(rows)
    const r = editor.routePrefix(hidden, query, T, rows.lastPrompt, items.map((it) => it.prompt))
    routing = r
    predicted = tf.tidy(() => {
      const mask = editor.mask(r.codes, r.deferred)
      const logits = editor.upperLogits(hidden, query, mask, B, T, rows.targetRows)
      return tf.argMax(logits, 1).dataSync() as Int32Array
    })
    tf.dispose([hidden, query])
  } else {
    const logits = base.model.logits(rows.batch, rows.targetRows)
    predicted = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array)
    logits.dispose()
    routing = baseRouting(items.length)
  }
  return rows.spans.map(([s, e], b) => {
    let right = 0
    for (let i = s; i < e; i++) if (predicted[i] === rows.labels[i]) right++
    return {
      exact: right === e - s,
      tokenAccuracy: right / (e - s),
      predicted: Array.from(predicted.subarray(s, e)),
      code: routing.codes[b],
      nearest: routing.nearest[b],
      queryDistance: routing.queryDistance[b],
      deferred: routing.deferred[b]
    }
  })
}

export interface Prediction {
  prompt: string
  answer: string
  answerIds: number[]
  /** Next-token distribution after the prompt: the five most likely tokens. */
  top5: Array<{ id: number; token: string; prob: number }>
  code: Code | null
  nearest: number
  /** The stored edit row that serves the prompt (discriminator 'key'; null when deferred or on the base model). */
  matched: RowRef | null
  deferred: boolean
}

interface Prepared {
  seqs: number[][]
  batch: TokenBatch
  last: Int32Array
  routing: RowRouting
  /** Mixing weights [B, L·N] (null on the base model); owned by the caller. */
  w: tf.Tensor2D | null
  opts: RunOptions
}

/** Encodes prompts and decides each one's routing once, from its last token. */
function prepare(base: EditorModel, editor: ElderEditor | null, prompts: readonly string[]): Prepared {
  const seqs = encodePrompts(base.tokenizer, prompts, base.model.config.nPositions)
  const batch = padBatch(seqs, base.tokenizer.eosId)
  const last = lastRows(batch)
  if (!editor) {
    return { seqs, batch, last, routing: baseRouting(seqs.length), w: null, opts: {} }
  }
  const { hidden, query } = editor.prefix({ batch, lastPrompt: last })
  const routing = editor.routePrefix(hidden, query, batch.T, last, prompts)
  const w = tf.tidy(() => editor.weights(query, editor.mask(routing.codes, routing.deferred)))
  tf.dispose([hidden, query])
  return { seqs, batch, last, routing, w, opts: { fcHook: editor.hook(w) } }
}

/** Next-token logits after each prompt, [B, V] row-major, on the edited model (or the base when editor is null). */
export function promptLogits(base: EditorModel, editor: ElderEditor | null, prompts: readonly string[]): Float32Array {
  const p = prepare(base, editor, prompts)
  try {
    const logits = base.model.logits(p.batch, p.last, p.opts)
    const data = logits.dataSync() as Float32Array
    logits.dispose()
    return data
  } finally {
    p.w?.dispose()
  }
}

/** Greedy answers (until EOS or maxNewTokens) on the edited model, or on the base model when editor is null. */
export function predict(
  base: EditorModel,
  editor: ElderEditor | null,
  prompts: readonly string[],
  maxNewTokens = 8
): Prediction[] {
  const { model, tokenizer } = base
  const p = prepare(base, editor, prompts)
  try {
    const logits = model.logits(p.batch, p.last, p.opts)
    const top = tf.tidy(() => tf.topk(tf.softmax(logits), 5))
    const topIds = top.indices.arraySync() as number[][]
    const topP = top.values.arraySync() as number[][]
    tf.dispose([logits, top.indices, top.values])
    const answers = generateGreedy(model, p.seqs, maxNewTokens, tokenizer.eosId, p.opts)
    return prompts.map((prompt, b) => ({
      prompt,
      answer: tokenizer.decode(answers[b]).trim(),
      answerIds: answers[b],
      top5: topIds[b].map((id, i) => ({ id, token: tokenizer.decode([id]), prob: topP[b][i] })),
      code: p.routing.codes[b],
      nearest: p.routing.nearest[b],
      matched: p.routing.matched[b],
      deferred: p.routing.deferred[b]
    }))
  } finally {
    p.w?.dispose()
  }
}
