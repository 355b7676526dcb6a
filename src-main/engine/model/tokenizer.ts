// Text ↔ token ids for Hugging Face model folders, through the maintained @huggingface/tokenizers library.
// A folder with tokenizer.json is used as is; one with only the original GPT-2 files (vocab.json + merges.txt)
// gets the equivalent tokenizer.json built in memory, so both paths run the same, well-tested code.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'

export interface TextTokenizer {
  /** Plain text → ids. Adds no BOS/EOS; a literal "<|endoftext|>" in the text becomes the special id, as in transformers. */
  encode(text: string): number[]
  /** Ids → text, keeping special tokens and spaces exactly (byte-level BPE round-trips losslessly). */
  decode(ids: number[]): string
  eosId: number
  /** Highest id + 1, including added tokens (50257 for GPT-2). */
  vocabSize: number
  /**
   * The begin-of-sequence id a prompt starts with, as the tokenizer's config says (add_bos_token, else a template
   * post-processor that puts a special token first), or null (GPT-2, Qwen2).
   */
  bosId: number | null
  /**
   * Text that follows other text (a target after its prompt): the same ids it gets inside the whole string. For
   * tokenizers that mark word starts themselves (SentencePiece's ▁ with a prepended marker) a leading space is that
   * marker, so it is dropped before encoding; elsewhere this is encode().
   */
  encodeContinuation(text: string): number[]
}

export interface LoadTokenizerOptions {
  /** Overrides the end-of-text id otherwise taken from tokenizer_config.json or the "<|endoftext|>" token. */
  eosId?: number
}

export class TokenizerError extends Error {
  override name = 'TokenizerError'
}

const ENDOFTEXT = '<|endoftext|>'

interface AddedTokenJson {
  id: number
  content: string
  single_word: boolean
  lstrip: boolean
  rstrip: boolean
  normalized: boolean
  special: boolean
}

interface ByteLevelJson {
  type: 'ByteLevel'
  add_prefix_space: boolean
  trim_offsets: boolean
  use_regex: boolean
}

/**
 * The subset of the tokenizer.json schema that GPT-2 byte-level BPE needs.
 * A type alias, not an interface, so that it is assignable to Record<string, unknown>.
 */
export type Gpt2TokenizerJson = {
  version: '1.0'
  truncation: null
  padding: null
  added_tokens: AddedTokenJson[]
  normalizer: null
  pre_tokenizer: ByteLevelJson
  post_processor: ByteLevelJson
  decoder: ByteLevelJson
  model: {
    type: 'BPE'
    dropout: null
    unk_token: null
    continuing_subword_prefix: ''
    end_of_word_suffix: ''
    fuse_unk: false
    byte_fallback: false
    vocab: Record<string, number>
    merges: string[]
  }
}

/**
 * The tokenizer.json that transformers' GPT2TokenizerFast produces from vocab.json + merges.txt:
 * BPE over the byte-level alphabet, GPT-2's split regex, no prefix space, and <|endoftext|> as a special added token.
 */
export function buildGpt2TokenizerJson(vocab: Record<string, number>, merges: string[]): Gpt2TokenizerJson {
  const byteLevel = (addPrefixSpace: boolean, trimOffsets: boolean): ByteLevelJson => ({
    type: 'ByteLevel',
    add_prefix_space: addPrefixSpace,
    trim_offsets: trimOffsets,
    use_regex: true
  })
  const eos = Object.hasOwn(vocab, ENDOFTEXT) ? vocab[ENDOFTEXT] : undefined
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens:
      eos === undefined
        ? []
        : [{ id: eos, content: ENDOFTEXT, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: byteLevel(false, true),
    post_processor: byteLevel(true, false),
    decoder: byteLevel(true, true),
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges
    }
  }
}

/** merges.txt lines; only a leading "#version" line is a comment ("# #" is a real merge). */
export function parseMerges(text: string): string[] {
  const lines = text.split(/\r?\n/)
  if (lines.length > 0 && lines[0].startsWith('#version')) lines.shift()
  return lines.filter((line) => line.length > 0)
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch (e) {
    throw new TokenizerError(`cannot read ${file}: ${(e as Error).message}`)
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** tokenizer_config.json writes eos_token either as a string or as an AddedToken object. */
function configEosToken(config: Record<string, unknown>): string | undefined {
  const eos = config.eos_token
  if (typeof eos === 'string') return eos
  if (isRecord(eos) && typeof eos.content === 'string') return eos.content
  return undefined
}

// The library's encode costs ~2 µs per pre-token (a TextEncoder call, a byte map and an LRU shuffle each time),
// about 4 s for 100k short sentences. For plain GPT-2 byte-level tokenizers we split the text into pre-tokens
// ourselves with the same rules and memoise each pre-token's ids: ~10× faster, same ids (tested against the
// library on random text). Any other tokenizer.json goes through the library unchanged.

/** GPT-2's pre-token pattern: the library's ByteLevel pre-tokenizer and openai/gpt-2 encoder.py use this one. */
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu
/** Bounds the memo; when full it is cleared, which is cheap and keeps hot words coming back quickly. */
const MAX_CACHED_WORDS = 100_000
/** Like the library's BPE cache: long pre-tokens rarely repeat. */
const MAX_CACHED_WORD_LENGTH = 256

interface WordSplit {
  /** Matches added tokens (longest first, as the library's trie does), or null when there are none. */
  added: RegExp | null
  addedIds: Map<string, number>
}

/** Returns how to split text when the tokenizer is plain byte-level BPE (GPT-2 style), else null. */
function plainByteLevel(json: Record<string, unknown>, config: Record<string, unknown>): WordSplit | null {
  const pre = json.pre_tokenizer
  const model = json.model
  const post = json.post_processor
  const plain =
    json.normalizer == null &&
    isRecord(pre) &&
    pre.type === 'ByteLevel' &&
    pre.add_prefix_space !== true &&
    pre.use_regex !== false &&
    isRecord(model) &&
    model.type === 'BPE' &&
    !model.dropout &&
    (post == null || (isRecord(post) && post.type === 'ByteLevel')) &&
    config.remove_space !== true &&
    config.do_lowercase_and_remove_accent !== true
  if (!plain) return null
  const addedIds = new Map<string, number>()
  for (const t of Array.isArray(json.added_tokens) ? json.added_tokens : []) {
    if (!isRecord(t) || typeof t.content !== 'string' || typeof t.id !== 'number' || t.lstrip || t.rstrip) return null
    if (t.content.length > 0) addedIds.set(t.content, t.id)
  }
  const escaped = [...addedIds.keys()]
    .sort((a, b) => b.length - a.length)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return { added: escaped.length > 0 ? new RegExp(escaped.join('|'), 'g') : null, addedIds }
}

/**
 * Wraps a library Tokenizer. `where` names the source in error messages.
 * eosId: explicit option, else tokenizer_config's eos_token, else "<|endoftext|>".
 */
export function createTokenizer(
  tokenizerJson: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown>,
  where: string,
  opts: LoadTokenizerOptions = {}
): TextTokenizer {
  const tok = new Tokenizer(tokenizerJson, tokenizerConfig)
  let vocabSize = 0
  for (const id of tok.get_vocab(true).values()) vocabSize = Math.max(vocabSize, id + 1)

  const eosToken = configEosToken(tokenizerConfig) ?? ENDOFTEXT
  const eosId = opts.eosId ?? tok.token_to_id(eosToken)
  if (eosId === undefined) {
    throw new TokenizerError(`tokenizer in ${where} has no "${eosToken}" token to use as end-of-text; pass eosId`)
  }
  if (!Number.isInteger(eosId) || eosId < 0 || eosId >= vocabSize) {
    throw new TokenizerError(`eosId ${eosId} is outside the vocabulary [0, ${vocabSize}) of the tokenizer in ${where}`)
  }

  const libraryEncode = (text: string): number[] => {
    const ids = tok.encode(text, { add_special_tokens: false }).ids
    // Byte-level BPE covers every byte; an unknown piece only happens with a vocabulary missing byte tokens.
    if (ids.some((id) => id === undefined)) {
      throw new TokenizerError(`tokenizer in ${where} has no token for part of ${JSON.stringify(text.slice(0, 80))}`)
    }
    return ids
  }

  const split = plainByteLevel(tokenizerJson, tokenizerConfig)
  const words = new Map<string, number[]>()
  const encodeWords = (section: string, out: number[]): void => {
    for (const match of section.matchAll(GPT2_PATTERN)) {
      const word = match[0]
      let ids = words.get(word)
      if (ids === undefined) {
        ids = libraryEncode(word)
        if (word.length <= MAX_CACHED_WORD_LENGTH) {
          if (words.size >= MAX_CACHED_WORDS) words.clear()
          words.set(word, ids)
        }
      }
      for (const id of ids) out.push(id)
    }
  }
  const cachedEncode = (s: WordSplit, text: string): number[] => {
    const out: number[] = []
    let start = 0
    if (s.added) {
      for (const match of text.matchAll(s.added)) {
        encodeWords(text.slice(start, match.index), out)
        out.push(s.addedIds.get(match[0]) as number)
        start = match.index + match[0].length
      }
    }
    encodeWords(text.slice(start), out)
    return out
  }

  const bosToken = bosTokenOf(tokenizerJson, tokenizerConfig)
  const bosId = bosToken === null ? null : (tok.token_to_id(bosToken) ?? null)
  if (bosToken !== null && bosId === null) throw new TokenizerError(`tokenizer in ${where} has no "${bosToken}" token to begin prompts with`)
  const encode = (text: string): number[] => (split ? cachedEncode(split, text) : libraryEncode(text))
  const marker = marksWordStart(tokenizerJson)

  return {
    eosId,
    vocabSize,
    bosId,
    encode,
    encodeContinuation: (text: string): number[] => encode(marker && text.startsWith(' ') ? text.slice(1) : text),
    decode(ids: number[]): string {
      // The library rejects an empty array; an empty sequence is simply empty text.
      if (ids.length === 0) return ''
      for (const id of ids) {
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize || tok.id_to_token(id) === undefined) {
          throw new TokenizerError(`token id ${id} is not in the vocabulary of the tokenizer in ${where}`)
        }
      }
      // clean_up_tokenization_spaces defaults to true and would turn " ." into ".", breaking the round trip.
      return tok.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false })
    }
  }
}

/**
 * Loads the tokenizer of a Hugging Face model folder: tokenizer.json (+ tokenizer_config.json when present),
 * else vocab.json + merges.txt (original GPT-2 files).
 */
export function loadTokenizer(dir: string, opts: LoadTokenizerOptions = {}): TextTokenizer {
  const configFile = path.join(dir, 'tokenizer_config.json')
  const config = fs.existsSync(configFile) ? readJson(configFile) : {}
  if (!isRecord(config)) throw new TokenizerError(`${configFile} is not a JSON object`)

  const jsonFile = path.join(dir, 'tokenizer.json')
  if (fs.existsSync(jsonFile)) {
    const json = readJson(jsonFile)
    if (!isRecord(json)) throw new TokenizerError(`${jsonFile} is not a JSON object`)
    return createTokenizer(json, config, dir, opts)
  }

  const vocabFile = path.join(dir, 'vocab.json')
  const mergesFile = path.join(dir, 'merges.txt')
  if (fs.existsSync(vocabFile) && fs.existsSync(mergesFile)) {
    const vocab = readJson(vocabFile)
    if (!isRecord(vocab) || !Object.values(vocab).every((id) => Number.isInteger(id))) {
      throw new TokenizerError(`${vocabFile} is not an object of token → integer id`)
    }
    let merges: string[]
    try {
      merges = parseMerges(fs.readFileSync(mergesFile, 'utf8'))
    } catch (e) {
      throw new TokenizerError(`cannot read ${mergesFile}: ${(e as Error).message}`)
    }
    return createTokenizer(buildGpt2TokenizerJson(vocab as Record<string, number>, merges), config, dir, opts)
  }

  throw new TokenizerError(`no tokenizer in ${dir}: looked for tokenizer.json, or vocab.json together with merges.txt`)
}

/** A special token's content: tokenizer_config writes it as a string or as an AddedToken object. */
function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (isRecord(v) && typeof v.content === 'string') return v.content
  return undefined
}

/**
 * The BOS token a prompt starts with: tokenizer_config's add_bos_token (Llama 2) with its bos_token, else the
 * first item of a TemplateProcessing post-processor when it is a special token (Llama 3), else none.
 */
export function bosTokenOf(json: Record<string, unknown>, config: Record<string, unknown>): string | null {
  if (config.add_bos_token === false) return null
  if (config.add_bos_token === true) return tokenContent(config.bos_token) ?? null
  const post = json.post_processor
  if (isRecord(post) && post.type === 'TemplateProcessing' && Array.isArray(post.single)) {
    const first: unknown = post.single[0]
    if (isRecord(first) && isRecord(first.SpecialToken) && typeof first.SpecialToken.id === 'string') return first.SpecialToken.id
  }
  return null
}

/** Whether the tokenizer puts a word-start marker before the text itself (Metaspace prepend, Prepend normalizer, ByteLevel add_prefix_space). */
export function marksWordStart(json: Record<string, unknown>): boolean {
  const parts = (v: unknown): Record<string, unknown>[] => {
    if (!isRecord(v)) return []
    if (v.type === 'Sequence') {
      const list = Array.isArray(v.pretokenizers) ? v.pretokenizers : Array.isArray(v.normalizers) ? v.normalizers : []
      return list.flatMap(parts)
    }
    return [v]
  }
  const pre = parts(json.pre_tokenizer).some(
    (p) =>
      (p.type === 'Metaspace' && (p.prepend_scheme === 'first' || p.prepend_scheme === 'always' || p.add_prefix_space === true)) ||
      (p.type === 'ByteLevel' && p.add_prefix_space === true)
  )
  return pre || parts(json.normalizer).some((n) => n.type === 'Prepend')
}
