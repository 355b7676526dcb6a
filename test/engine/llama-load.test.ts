// Refusals of a LLaMA-family folder: one line naming the file or field at fault.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { ModelConfigError } from '../../src-main/engine/model/config'
import { contentHashOf, loadBareModel, ModelLoadError } from '../../src-main/engine/model/load'
import { LLAMA_TINY, QWEN2_TINY } from '../helpers/llama-fixtures'

const dirs: string[] = []
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })))

/** A copy of a fixture with config.json changed by `edit`. */
function copyWith(src: string, edit: (c: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'elder-llama-'))
  dirs.push(dir)
  cpSync(src, dir, { recursive: true })
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>
  edit(c)
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c))
  return dir
}

function refusal(dir: string, target?: string): Error {
  try {
    loadBareModel(dir, target === undefined ? {} : { target }).model.dispose()
  } catch (e) {
    return e as Error
  }
  return expect.fail('expected the folder to be refused')
}

describe('LLaMA-family folders that are refused', () => {
  it('an unsupported model_type, naming the field and what is supported', async () => {
    await initBackend('cpu')
    const e = refusal(copyWith(LLAMA_TINY, (c) => (c.model_type = 'gemma')))
    expect(e).toBeInstanceOf(ModelConfigError)
    expect((e as ModelConfigError).field).toBe('model_type')
    expect(e.message).toMatch(/^unsupported model_type "gemma" in .*config\.json; supported: gpt2, llama, mistral, qwen2$/)
  })

  it('a missing shard, naming the file', async () => {
    await initBackend('cpu')
    const dir = copyWith(LLAMA_TINY, () => {})
    rmSync(join(dir, 'model-00002-of-00002.safetensors'))
    const e = refusal(dir)
    expect(e).toBeInstanceOf(ModelLoadError)
    expect(e.message).toBe(`${dir}: missing shard model-00002-of-00002.safetensors (listed in model.safetensors.index.json)`)
  })

  it('a rope_scaling kind other than linear or llama3, naming it', async () => {
    await initBackend('cpu')
    const e = refusal(copyWith(QWEN2_TINY, (c) => (c.rope_scaling = { type: 'yarn', factor: 4 })))
    expect((e as ModelConfigError).field).toBe('rope_scaling')
    expect(e.message).toMatch(/rope_scaling kind "yarn" in .* is not supported \(supported: linear, llama3\)/)
  })

  it('a config whose sizes disagree with the weights, naming the weight', async () => {
    await initBackend('cpu')
    const e = refusal(copyWith(QWEN2_TINY, (c) => (c.intermediate_size = 64)))
    expect(e.message).toMatch(/weight "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[96,48\], expected \[64,48\]/)
  })

  it('a target module the architecture does not have', async () => {
    await initBackend('cpu')
    expect(refusal(LLAMA_TINY, 'mlp.c_fc').message).toBe(
      `target module "mlp.c_fc" is not one of llama's (mlp.down_proj, mlp.up_proj, mlp.gate_proj)`
    )
  })
})

describe('Mistral sliding window', () => {
  it('refuses a sequence longer than the window with a message saying so', async () => {
    await initBackend('cpu')
    const dir = copyWith(LLAMA_TINY, (c) => Object.assign(c, { model_type: 'mistral', sliding_window: 4 }))
    const { model } = loadBareModel(dir)
    try {
      const batch = { ids: Int32Array.from([1, 5, 6, 7, 8]), B: 1, T: 5, lengths: [5] }
      expect(() => model.logits(batch, Int32Array.from([4]))).toThrow(
        "sequence of 5 tokens is longer than mistral's sliding window of 4 tokens, which this engine does not implement; shorten the prompt"
      )
      const short = { ids: Int32Array.from([1, 5, 6, 7]), B: 1, T: 4, lengths: [4] }
      model.logits(short, Int32Array.from([3])).dispose()
    } finally {
      model.dispose()
    }
  })
})

describe('content hash', () => {
  it('of a sharded checkpoint changes when a shard does', () => {
    const a = contentHashOf(LLAMA_TINY)
    const dir = copyWith(LLAMA_TINY, () => {})
    expect(contentHashOf(dir)).toBe(a)
    const shard = join(dir, 'model-00002-of-00002.safetensors')
    const bytes = readFileSync(shard)
    bytes[bytes.length - 1] ^= 1
    writeFileSync(shard, bytes)
    expect(contentHashOf(dir)).not.toBe(a)
  })
})
