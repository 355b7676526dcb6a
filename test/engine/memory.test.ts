// The memory check before loading: parameter counts of published shapes, and a refusal that names the model, the
// estimate and what is available — before any weight is read (the shard files here are empty).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { parseModelConfig } from '../../src-main/engine/model/config'
import { loadBareModel, ModelLoadError } from '../../src-main/engine/model/load'
import { estimateMemory, paramCounts, WASM_HEAP_BYTES } from '../../src-main/engine/model/memory'

const LLAMA2_7B = {
  model_type: 'llama', hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32,
  num_key_value_heads: 32, max_position_embeddings: 4096, vocab_size: 32000, rms_norm_eps: 1e-5, bos_token_id: 1,
  eos_token_id: 2, tie_word_embeddings: false
}
const SMOLLM_135M = {
  model_type: 'llama', hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9,
  num_key_value_heads: 3, max_position_embeddings: 2048, vocab_size: 49152, rms_norm_eps: 1e-5, bos_token_id: 0,
  eos_token_id: 0, tie_word_embeddings: true
}
const QWEN2_05B = {
  model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14,
  num_key_value_heads: 2, max_position_embeddings: 32768, vocab_size: 151936, rms_norm_eps: 1e-6, eos_token_id: 151643,
  tie_word_embeddings: true
}
const TINYLLAMA = { ...LLAMA2_7B, hidden_size: 2048, intermediate_size: 5632, num_hidden_layers: 22, num_key_value_heads: 4 }
const GPT2 = { model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257 }

describe('parameter counts', () => {
  it.each([
    ['Llama-2-7B', LLAMA2_7B, 6_738_415_616],
    ['TinyLlama-1.1B', TINYLLAMA, 1_100_048_384],
    ['SmolLM-135M', SMOLLM_135M, 134_515_008],
    ['Qwen2-0.5B', QWEN2_05B, 494_032_768],
    ['GPT-2', GPT2, 124_439_808]
  ])('%s has its published count', (_, json, count) => {
    expect(paramCounts(parseModelConfig(json, 'x')).total).toBe(count)
  })

  it('wasm counts XNNPACK packed copies and is capped by its 4 GiB heap', () => {
    const c = parseModelConfig(SMOLLM_135M, 'x')
    const none = { trainTokens: 0, trainBlocks: 0 }
    const wasm = estimateMemory(c, 'wasm', none)
    const cpu = estimateMemory(c, 'cpu', none)
    // Weights and the head's kept transpose [576, 49152].
    expect(cpu.bytes).toBe((134_515_008 + 576 * 49_152) * 4)
    expect(wasm.bytes).toBeGreaterThan(cpu.bytes)
    expect(wasm.available).toBeLessThanOrEqual(WASM_HEAP_BYTES)
    expect(estimateMemory(c, 'cpu', { trainTokens: 1024, trainBlocks: 6 }).bytes).toBeGreaterThan(cpu.bytes)
  })
})

describe('a model too big for the backend', () => {
  it('is refused before loading, with one line naming the model, the estimate and what is available', async () => {
    await initBackend('wasm')
    const dir = mkdtempSync(join(tmpdir(), 'Llama-2-7b-hf-'))
    try {
      writeFileSync(join(dir, 'config.json'), JSON.stringify(LLAMA2_7B))
      const map = { 'model.embed_tokens.weight': 'model-00001-of-00002.safetensors', 'lm_head.weight': 'model-00002-of-00002.safetensors' }
      writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: map }))
      for (const f of Object.values(map)) writeFileSync(join(dir, f), '')
      let e: unknown
      try {
        loadBareModel(dir)
      } catch (err) {
        e = err
      }
      expect(e).toBeInstanceOf(ModelLoadError)
      const msg = (e as Error).message
      expect(msg).not.toContain('\n')
      expect(msg).toMatch(/^Llama-2-7b-hf-\w+ \(llama, 6\.74 B parameters\) needs about \d+\.\d\d GiB on the wasm backend \(weights 25\.10 GiB, XNNPACK packed copies /)
      expect(msg).toMatch(/more than the 4\.00 GiB available \(the wasm32 heap limit\)/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
