// Inference through any editor (or the bare base model, editor null): teacher-forced scoring of prompt + target in
// chunks, next-token logits and greedy prediction. Each method decides its own routing or scope (Editor.score,
// Editor.predict); the helpers below are what they share.
import * as tf from '@tensorflow/tfjs'
import { generateGreedy, lastRows, padBatch, type RunOptions, type TokenBatch } from '../model/gpt2'
import { encodePrompts, encodeRows, type EncodedRows, type PromptTarget } from '../elder/rows'
import type { Editor, EditorModel, Prediction, RowScore } from './editor'

const CHUNK = 256 // sequences per forward pass in scoring (bigger chunks amortise per-op overhead)

/** Teacher-forced scores of items on the edited model (editor given) or the base model (editor null). */
export function scoreRows(base: EditorModel, editor: Editor | null, items: readonly PromptTarget[]): RowScore[] {
  const out: RowScore[] = []
  for (let i = 0; i < items.length; i += CHUNK) {
    const chunk = items.slice(i, i + CHUNK)
    out.push(...(editor ? editor.score(chunk) : scoreWith(base, chunk, {}, () => BASE_SCOPE)))
  }
  return out
}

type Scope = Pick<RowScore, 'code' | 'nearest' | 'queryDistance' | 'deferred'>

/** On the base model: no code, nothing stored, every row deferred. */
const BASE_SCOPE: Scope = { code: null, nearest: Infinity, queryDistance: Infinity, deferred: true }

/** Teacher-forced scores of a chunk through the whole model with hooks `opts`; scope(b) gives row b's scope info. */
export function scoreWith(base: EditorModel, items: readonly PromptTarget[], opts: RunOptions, scope: (b: number) => Scope): RowScore[] {
  const rows = encodeRows(base.tokenizer, items, false, base.model.config.nPositions)
  const logits = base.model.logits(rows.batch, rows.targetRows, opts)
  const predicted = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array)
  logits.dispose()
  return rowScores(rows, predicted, scope)
}

/** Exact match and token accuracy of each row from the argmax at every target position. */
export function rowScores(rows: EncodedRows, predicted: Int32Array, scope: (b: number) => Scope): RowScore[] {
  return rows.spans.map(([s, e], b) => {
    let right = 0
    for (let i = s; i < e; i++) if (predicted[i] === rows.labels[i]) right++
    return { exact: right === e - s, tokenAccuracy: right / (e - s), predicted: Array.from(predicted.subarray(s, e)), ...scope(b) }
  })
}

/** Next-token logits after each prompt, [B, V] row-major, on the edited model (or the base when editor is null). */
export function promptLogits(base: EditorModel, editor: Editor | null, prompts: readonly string[]): Float32Array {
  if (editor) return editor.promptLogits(prompts)
  return logitsWith(base, prompts, {})
}

/** Next-token logits after each prompt through the whole model with hooks `opts`. */
export function logitsWith(base: EditorModel, prompts: readonly string[], opts: RunOptions): Float32Array {
  const seqs = encodePrompts(base.tokenizer, prompts, base.model.config.nPositions)
  const batch = padBatch(seqs, base.tokenizer.eosId)
  const logits = base.model.logits(batch, lastRows(batch), opts)
  const data = logits.dataSync() as Float32Array
  logits.dispose()
  return data
}

/** Greedy answers (until EOS or maxNewTokens) on the edited model, or on the base model when editor is null. */
export function predict(base: EditorModel, editor: Editor | null, prompts: readonly string[], maxNewTokens = 8): Prediction[] {
  if (editor) return editor.predict(prompts, maxNewTokens)
  return predictWith(base, prompts, {}, maxNewTokens, () => ({ code: null, nearest: Infinity, matched: null, deferred: true }))
}

type PredictionScope = Pick<Prediction, 'code' | 'nearest' | 'matched' | 'deferred'>

/** Greedy answers through the whole model with hooks `opts` (the same hooks at every generated token). */
export function predictWith(
  base: EditorModel,
  prompts: readonly string[],
  opts: RunOptions,
  maxNewTokens: number,
  scope: (b: number) => PredictionScope
): Prediction[] {
  const seqs = encodePrompts(base.tokenizer, prompts, base.model.config.nPositions)
  const batch = padBatch(seqs, base.tokenizer.eosId)
  return greedyPredictions(base, prompts, seqs, batch, lastRows(batch), opts, maxNewTokens, scope)
}

/** Top-5 after each prompt and the greedy answer, for prompts already encoded and batched. */
export function greedyPredictions(
  base: EditorModel,
  prompts: readonly string[],
  seqs: number[][],
  batch: TokenBatch,
  last: Int32Array,
  opts: RunOptions,
  maxNewTokens: number,
  scope: (b: number) => PredictionScope
): Prediction[] {
  const { model, tokenizer } = base
  const logits = model.logits(batch, last, opts)
  const top = tf.tidy(() => tf.topk(tf.softmax(logits), 5))
  const topIds = top.indices.arraySync() as number[][]
  const topP = top.values.arraySync() as number[][]
  tf.dispose([logits, top.indices, top.values])
  const answers = generateGreedy(model, seqs, maxNewTokens, tokenizer.eosId, opts)
  return prompts.map((prompt, b) => ({
    prompt,
    answer: tokenizer.decode(answers[b]).trim(),
    answerIds: answers[b],
    top5: topIds[b].map((id, i) => ({ id, token: tokenizer.decode([id]), prob: topP[b][i] })),
    ...scope(b)
  }))
}
