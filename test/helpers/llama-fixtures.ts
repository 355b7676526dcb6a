// The LLaMA-family fixtures (scripts/fixture/make-llama.py): folder paths and their expected.json.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Absolute, so tests may pass them to child processes whatever their working directory. */
export const LLAMA_TINY = fileURLToPath(new URL('../fixtures/llama-tiny', import.meta.url))
export const QWEN2_TINY = fileURLToPath(new URL('../fixtures/qwen2-tiny', import.meta.url))

export interface LlamaExpected {
  tolerance: number
  texts: Array<{ text: string; ids: number[] }>
  cases: Array<{ ids: number[]; logits: number[][] }>
}

export function expectedOf(dir: string): LlamaExpected {
  return JSON.parse(readFileSync(`${dir}/expected.json`, 'utf8')) as LlamaExpected
}
