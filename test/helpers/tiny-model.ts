// A tiny GPT-2 with a tokenizer, for fast engine tests: the committed gpt2-tiny fixture (2 blocks, d 64, 512 ids;
// `npm run build:fixtures` regenerates it) plus GPT-2's byte-level BPE cut to its first 255 merges, which has exactly
// 512 ids with <|endoftext|> = 511 as the fixture's config says.
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { worldTokenizerJson } from '../../scripts/world/tokenizer'

/** Absolute, so tests may pass it to child processes whatever their working directory. */
export const FIXTURE = fileURLToPath(new URL('../fixtures/gpt2-tiny', import.meta.url))

export function tinyModelDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'elder-tiny-'))
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(FIXTURE, f), join(dir, f))
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(worldTokenizerJson(255)))
  return dir
}
