// The LLaMA-family forward against reference logits from a NumPy float64 forward written apart from the engine
// (scripts/fixture/make-llama.py): llama-tiny (GQA, untied head, rope_scaling llama3, BF16 in two shards) and
// qwen2-tiny (q/k/v biases, tied head, rope_scaling linear, F16), every position of every case, wasm and cpu.
import { readFileSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { padBatch } from '../../src-main/engine/model/gpt2'
import { loadBareModel } from '../../src-main/engine/model/load'
import { createTokenizer, loadTokenizer } from '../../src-main/engine/model/tokenizer'
import { encodePrompt } from '../../src-main/engine/elder/rows'
import { expectedOf, LLAMA_TINY, QWEN2_TINY } from '../helpers/llama-fixtures'

function maxAbsDiff(got: Float32Array, want: number[][]): number {
  const V = want[0].length
  let max = 0
  want.forEach((row, t) => row.forEach((v, i) => (max = Math.max(max, Math.abs(got[t * V + i] - v)))))
  return max
}

const FIXTURES = [
  ['llama-tiny', LLAMA_TINY],
  ['qwen2-tiny', QWEN2_TINY]
] as const

describe.each(['wasm', 'cpu'])('LLaMA-family reference logits on %s', (backend) => {
  it.each(FIXTURES)('%s matches every position of every case, alone and right-padded in one batch', async (_, dir) => {
    await initBackend(backend)
    const { cases, tolerance } = expectedOf(dir)
    const before = tf.memory().numTensors
    const { model } = loadBareModel(dir)
    try {
      for (const c of cases) {
        const logits = model.logits(padBatch([c.ids], 0), Int32Array.from(c.ids, (_, t) => t))
        const diff = maxAbsDiff(logits.dataSync() as Float32Array, c.logits)
        logits.dispose()
        expect(diff, `case of ${c.ids.length} tokens`).toBeLessThan(tolerance)
      }
      const batch = padBatch(cases.map((c) => c.ids), 0)
      const flat = cases.flatMap((c, b) => c.ids.map((_, t) => b * batch.T + t))
      const logits = model.logits(batch, Int32Array.from(flat))
      const data = logits.dataSync() as Float32Array
      logits.dispose()
      const V = model.config.vocabSize
      let offset = 0
      for (const c of cases) {
        expect(maxAbsDiff(data.subarray(offset * V, (offset + c.ids.length) * V), c.logits)).toBeLessThan(tolerance)
        offset += c.ids.length
      }
    } finally {
      model.dispose()
    }
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe('LLaMA-family tokenizers', () => {
  it.each(FIXTURES)('%s encodes prompts as the reference does, with BOS as its tokenizer_config says', (_, dir) => {
    const tok = loadTokenizer(dir)
    for (const { text, ids } of expectedOf(dir).texts) expect(encodePrompt(tok, text), text).toEqual(ids)
  })

  it('a target after a prompt gets the ids it has inside the whole text (SentencePiece ▁ and byte-level alike)', () => {
    for (const [, dir] of FIXTURES) {
      const tok = loadTokenizer(dir)
      const whole = encodePrompt(tok, 'The capital of Velmora is Brelo')
      expect([...encodePrompt(tok, 'The capital of Velmora is'), ...tok.encodeContinuation(' Brelo')]).toEqual(whole)
    }
  })

  it("Llama 2's layout (a Prepend + Replace normalizer, no pre-tokenizer): a target still continues its prompt", () => {
    const json = JSON.parse(readFileSync(`${LLAMA_TINY}/tokenizer.json`, 'utf8')) as Record<string, unknown>
    const config = JSON.parse(readFileSync(`${LLAMA_TINY}/tokenizer_config.json`, 'utf8')) as Record<string, unknown>
    json.pre_tokenizer = null
    json.normalizer = {
      type: 'Sequence',
      normalizers: [{ type: 'Prepend', prepend: '\u2581' }, { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' }]
    }
    const tok = createTokenizer(json, config, 'llama-2 layout')
    // Without the word-start rule " Brelo" would become "▁▁Brelo": an extra "▁" token the whole text never has.
    expect(tok.encode(' Brelo')).not.toEqual(tok.encode('Brelo'))
    const whole = encodePrompt(tok, 'The capital of Velmora is Brelo')
    expect([...encodePrompt(tok, 'The capital of Velmora is'), ...tok.encodeContinuation(' Brelo')]).toEqual(whole)
    expect(whole[0]).toBe(1)
  })

  it('llama-tiny begins prompts with <s> and ends with </s>; qwen2-tiny has no BOS', () => {
    const llama = loadTokenizer(LLAMA_TINY)
    expect([llama.bosId, llama.eosId]).toEqual([1, 2])
    const qwen = loadTokenizer(QWEN2_TINY)
    expect(qwen.bosId).toBeNull()
    expect(qwen.decode([qwen.eosId])).toBe('<|endoftext|>')
  })
})
