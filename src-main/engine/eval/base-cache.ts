// Base-model predictions for a suite, cached on disk: they depend only on the model's weights and the items, so
// every `bench edit` after the first reuses them instead of recomputing (13,140 retention prompts take longer than
// a hundred edits). Keyed by the model's content hash and a sha256 of the items; written to a temp file and renamed,
// so a crash mid-write leaves no half file; an unreadable or mismatched entry is recomputed, never trusted.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { EditorModel } from '../methods/editor'
import { scoreRows } from '../methods/infer'
import type { PromptTarget } from '../elder/rows'

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'elder-workbench', 'base-predictions')
}

interface Entry {
  model: string
  items: string
  predicted: number[][]
  exact: boolean[]
  tokenAccuracy: number[]
}

/** The base model's argmax tokens and exact-match flags on items (teacher forcing), from the cache when present. */
export function basePredictions(
  base: EditorModel,
  items: readonly PromptTarget[],
  cacheDir: string | null
): Omit<Entry, 'model' | 'items'> & { cached: boolean } {
  const itemsHash = createHash('sha256').update(JSON.stringify(items.map((i) => [i.prompt, i.target]))).digest('hex')
  const file = cacheDir ? join(cacheDir, `${base.contentHash.slice(0, 16)}-${itemsHash.slice(0, 16)}.json`) : null
  if (file) {
    try {
      const e = JSON.parse(readFileSync(file, 'utf8')) as Entry
      if (e.model === base.contentHash && e.items === itemsHash && e.predicted.length === items.length) {
        return { predicted: e.predicted, exact: e.exact, tokenAccuracy: e.tokenAccuracy, cached: true }
      }
    } catch {
      // absent or unreadable: recompute below
    }
  }
  const scores = scoreRows(base, null, items)
  const entry: Entry = {
    model: base.contentHash,
    items: itemsHash,
    predicted: scores.map((s) => s.predicted),
    exact: scores.map((s) => s.exact),
    tokenAccuracy: scores.map((s) => s.tokenAccuracy)
  }
  if (file && cacheDir) {
    mkdirSync(cacheDir, { recursive: true })
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(entry))
    renameSync(tmp, file)
  }
  return { predicted: entry.predicted, exact: entry.exact, tokenAccuracy: entry.tokenAccuracy, cached: false }
}
