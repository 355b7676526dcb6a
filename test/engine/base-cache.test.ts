// Cached base-model predictions for benchmarks: the same answers as a fresh computation, reused by a second call,
// and recomputed when the entry belongs to other items or is corrupt.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { scoreRows } from '../../src-main/engine/methods/infer'
import { basePredictions } from '../../src-main/engine/eval/base-cache'
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load'
import { tinyModelDir } from '../helpers/tiny-model'

let base: LoadedModel
beforeAll(async () => {
  await initBackend('wasm')
  base = await loadModel(tinyModelDir())
})
afterAll(() => base.model.dispose())

const ITEMS = [
  { prompt: 'The capital of France is', target: 'Paris' },
  { prompt: 'Zebras are', target: 'striped animals' }
]

describe('basePredictions', () => {
  it('computes once, then reads the cache; a corrupt entry is recomputed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'elder-cache-'))
    const fresh = scoreRows(base, null, ITEMS)
    const first = basePredictions(base, ITEMS, dir)
    expect(first.cached).toBe(false)
    expect(first.predicted).toEqual(fresh.map((s) => s.predicted))
    expect(first.tokenAccuracy).toEqual(fresh.map((s) => s.tokenAccuracy))
    const second = basePredictions(base, ITEMS, dir)
    expect(second.cached).toBe(true)
    expect(second.predicted).toEqual(first.predicted)
    // Other items have their own entry.
    expect(basePredictions(base, ITEMS.slice(0, 1), dir).cached).toBe(false)
    expect(readdirSync(dir)).toHaveLength(2)
    for (const f of readdirSync(dir)) writeFileSync(join(dir, f), '{"model": "x"')
    const again = basePredictions(base, ITEMS, dir)
    expect(again.cached).toBe(false)
    expect(again.predicted).toEqual(first.predicted)
    // Without a directory nothing is cached.
    expect(basePredictions(base, ITEMS, null).cached).toBe(false)
  })
})
