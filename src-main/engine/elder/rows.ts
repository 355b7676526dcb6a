// Tokenised editing rows: prompt + " " + target (+ EOS when training), right-padded (elder-spec.md §4, §9).
// Prompt and target are encoded separately and concatenated, so the prompt's tokens (and therefore the routing
// query at its last token) are the same whether or not a target follows.
import { padBatch, type TokenBatch } from '../model/gpt2'
import type { TextTokenizer } from '../model/tokenizer'

export interface PromptTarget {
  prompt: string
  target: string
}

export interface EncodedRows {
  batch: TokenBatch
  /** Flat row of each sequence's last prompt token: where the routing query is read. */
  lastPrompt: Int32Array
  /** Flat rows whose next-token prediction is a target token (position t predicts t + 1). */
  targetRows: Int32Array
  /** The token each target row should predict. */
  labels: Int32Array
  /** Per sequence, its slice [start, end) of targetRows / labels. */
  spans: Array<[number, number]>
}

export class RowError extends Error {
  override name = 'RowError'
}

/** A prompt's ids, after the tokenizer's BOS when it has one (LLaMA family). */
export function encodePrompt(tok: TextTokenizer, prompt: string): number[] {
  const ids = tok.encode(prompt)
  if (ids.length === 0) throw new RowError('empty prompt')
  return tok.bosId === null ? ids : [tok.bosId, ...ids]
}

export function encodeTarget(tok: TextTokenizer, target: string): number[] {
  if (target.trim().length === 0) throw new RowError('empty target')
  return tok.encodeContinuation(` ${target.trim()}`)
}

export function encodeRows(
  tok: TextTokenizer,
  items: readonly PromptTarget[],
  withEos: boolean,
  maxLen: number
): EncodedRows {
  if (items.length === 0) throw new RowError('no rows to encode')
  const seqs: number[][] = []
  const promptLens: number[] = []
  items.forEach((it, i) => {
    const p = encodePrompt(tok, it.prompt)
    const t = encodeTarget(tok, it.target)
    const ids = withEos ? [...p, ...t, tok.eosId] : [...p, ...t]
    if (ids.length > maxLen) {
      throw new RowError(`row ${i}: prompt + target is ${ids.length} tokens, the model's context is ${maxLen}`)
    }
    seqs.push(ids)
    promptLens.push(p.length)
  })
  const batch = padBatch(seqs, tok.eosId)
  const targetRows: number[] = []
  const labels: number[] = []
  const spans: Array<[number, number]> = []
  seqs.forEach((s, b) => {
    const start = targetRows.length
    for (let t = promptLens[b]; t < s.length; t++) {
      targetRows.push(b * batch.T + t - 1)
      labels.push(s[t])
    }
    spans.push([start, targetRows.length])
  })
  return {
    batch,
    lastPrompt: Int32Array.from(promptLens, (len, b) => b * batch.T + len - 1),
    targetRows: Int32Array.from(targetRows),
    labels: Int32Array.from(labels),
    spans
  }
}

/** Prompts alone (for generation and routing). */
export function encodePrompts(tok: TextTokenizer, prompts: readonly string[], maxLen: number): number[][] {
  return prompts.map((p, i) => {
    const ids = encodePrompt(tok, p)
    if (ids.length >= maxLen) throw new RowError(`prompt ${i} is ${ids.length} tokens, the model's context is ${maxLen}`)
    return ids
  })
}
