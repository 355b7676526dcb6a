// Inference through an ELDER editor: teacher-forced scoring of prompt + target, and greedy prediction with the
// probe's details (top-5, allocation code, nearest stored code, deferral). methods/infer.ts chunks and dispatches.
// Routing is decided once per sequence from its prompt (the query at the last prompt token) and kept for every
// position and every generated token (elder-spec.md §1 "Which token").
import * as tf from '@tensorflow/tfjs'
import type { RunOptions, TokenBatch } from '../model/gpt2'
import type { Prediction, RowScore } from '../methods/editor'
import { greedyPredictions, rowScores } from '../methods/infer'
import type { ElderEditor, Routing } from './editor'
import { encodeRows, type PromptTarget } from './rows'

/** Teacher-forced scores of one chunk of items on the edited model. */
export function elderScore(editor: ElderEditor, items: readonly PromptTarget[]): RowScore[] {
  const rows = encodeRows(editor.base.tokenizer, items, false, editor.model.config.nPositions)
  const { B, T } = rows.batch
  const { hidden, query } = editor.prefix(rows)
  const r = editor.routePrefix(hidden, query, T, rows.lastPrompt, items.map((it) => it.prompt))
  const predicted = tf.tidy(() => {
    const mask = editor.mask(r.codes, r.deferred)
    const logits = editor.upperLogits(hidden, query, mask, B, T, rows.targetRows)
    return tf.argMax(logits, 1).dataSync() as Int32Array
  })
  tf.dispose([hidden, query])
  return rowScores(rows, predicted, (b) => ({
    code: r.codes[b],
    nearest: r.nearest[b],
    queryDistance: r.queryDistance[b],
    deferred: r.deferred[b]
  }))
}

interface Prepared {
  seqs: number[][]
  batch: TokenBatch
  last: Int32Array
  routing: Routing
  /** Mixing weights [B, L·N]; owned by the caller. */
  w: tf.Tensor2D
  opts: RunOptions
}

/** Encodes prompts and decides each one's routing once, from its last token. */
function prepare(editor: ElderEditor, prompts: readonly string[]): Prepared {
  const { seqs, batch, last, hidden, query } = editor.promptPrefix(prompts)
  const routing = editor.routePrefix(hidden, query, batch.T, last, prompts)
  const w = tf.tidy(() => editor.weights(query, editor.mask(routing.codes, routing.deferred)))
  tf.dispose([hidden, query])
  return { seqs, batch, last, routing, w, opts: { fcHook: editor.hook(w) } }
}

export function elderPromptLogits(editor: ElderEditor, prompts: readonly string[]): Float32Array {
  const p = prepare(editor, prompts)
  try {
    const logits = editor.model.logits(p.batch, p.last, p.opts)
    const data = logits.dataSync() as Float32Array
    logits.dispose()
    return data
  } finally {
    p.w.dispose()
  }
}

export function elderPredict(editor: ElderEditor, prompts: readonly string[], maxNewTokens: number): Prediction[] {
  const p = prepare(editor, prompts)
  try {
    return greedyPredictions(editor.base, prompts, p.seqs, p.batch, p.last, p.opts, maxNewTokens, (b) => ({
      code: p.routing.codes[b],
      nearest: p.routing.nearest[b],
      matched: p.routing.matched[b],
      deferred: p.routing.deferred[b]
    }))
  } finally {
    p.w.dispose()
  }
}
