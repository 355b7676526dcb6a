// GPT-2 config.json parsing: the fixture, transformers' defaults, and one clear error per bad field.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { loadModelConfig, ModelConfigError, parseGpt2Config, parseModelConfig } from '../../src-main/engine/model/config'
import { FIXTURE as DIR } from '../helpers/tiny-model'

const fixture = JSON.parse(readFileSync(`${DIR}/config.json`, 'utf8')) as Record<string, unknown>

function errorOf(json: unknown): ModelConfigError {
  try {
    parseModelConfig(json, 'cfg.json')
  } catch (e) {
    expect(e).toBeInstanceOf(ModelConfigError)
    return e as ModelConfigError
  }
  return expect.fail('expected a ModelConfigError')
}

describe('parseModelConfig', () => {
  it('reads the gpt2-tiny fixture', () => {
    expect(loadModelConfig(DIR)).toEqual({
      modelType: 'gpt2',
      nEmbd: 64,
      nLayer: 2,
      nHead: 4,
      nPositions: 64,
      vocabSize: 512,
      nInner: 256, // n_inner is null in the file
      layerNormEpsilon: 1e-5,
      activation: 'gelu_new',
      eosTokenId: 511,
      bosTokenId: 511,
      tieWordEmbeddings: true
    })
  })

  it("applies transformers' defaults to absent optional fields", () => {
    const { n_inner, layer_norm_epsilon, activation_function, eos_token_id, bos_token_id, tie_word_embeddings, ...bare } =
      fixture
    const c = parseGpt2Config({ ...bare, vocab_size: 50257, n_embd: 768, n_head: 12 }, 'bare')
    expect(c.nInner).toBe(3072)
    expect(c.layerNormEpsilon).toBe(1e-5)
    expect(c.activation).toBe('gelu_new')
    expect(c.eosTokenId).toBe(50256)
    expect(c.bosTokenId).toBe(50256)
    expect(c.tieWordEmbeddings).toBe(true)
  })

  it('keeps explicit values', () => {
    const c = parseGpt2Config(
      { ...fixture, n_inner: 100, activation_function: 'relu', layer_norm_epsilon: 1e-6, bos_token_id: 0, tie_word_embeddings: false },
      'x'
    )
    expect([c.nInner, c.activation, c.layerNormEpsilon, c.bosTokenId, c.eosTokenId, c.tieWordEmbeddings]).toEqual([
      100,
      'relu',
      1e-6,
      0,
      511,
      false
    ])
  })

  it('names the model type and the source when it is not gpt2', () => {
    expect(errorOf({ ...fixture, model_type: 'falcon' }).message).toBe('unsupported model_type "falcon" in cfg.json; supported: gpt2, llama, mistral, qwen2')
    const { model_type, ...untyped } = fixture
    expect(errorOf(untyped).message).toBe('missing model_type in cfg.json; supported: gpt2, llama, mistral, qwen2')
  })

  it('names the field for missing or invalid numbers', () => {
    const cases: Array<[string, unknown]> = [
      ['n_embd', undefined],
      ['n_layer', 0],
      ['n_head', '4'],
      ['n_positions', 64.5],
      ['vocab_size', -1],
      ['n_inner', 0],
      ['layer_norm_epsilon', 0],
      ['eos_token_id', 512],
      ['bos_token_id', -1],
      ['tie_word_embeddings', 'yes'],
      ['activation_function', 'swish']
    ]
    for (const [field, value] of cases) {
      const json = { ...fixture, [field]: value }
      if (value === undefined) delete json[field]
      const err = errorOf(json)
      expect(err.field, field).toBe(field)
      expect(err.message).toContain(field)
      expect(err.message).toContain('cfg.json')
    }
    expect(errorOf({ ...fixture, n_head: '4' }).message).toBe('n_head in cfg.json must be a positive integer, got "4"')
    expect(errorOf({ ...fixture, activation_function: 'swish' }).message).toContain('gelu_new, gelu, relu')
  })

  it('requires n_embd divisible by n_head and says both', () => {
    expect(errorOf({ ...fixture, n_head: 5 }).message).toBe('n_embd 64 is not divisible by n_head 5 in cfg.json')
  })

  it('rejects a config that is not an object', () => {
    expect(errorOf([1, 2]).message).toBe('cfg.json is not a JSON object')
    expect(errorOf(null).field).toBeNull()
  })

  it('loadModelConfig reports a missing folder', () => {
    expect(() => loadModelConfig('/nonexistent-model-dir')).toThrow(/cannot read \/nonexistent-model-dir\/config\.json/)
  })
})
