// The sequential-editing benchmark behind `elder bench edit` and `npm run bench:ablation`, on the embedded model:
// the two protocols split rephrases as documented, and the result reports what the README's tables quote.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { runEditBench } from '../../src-main/engine/eval/bench'
import type { SuiteRecord } from '../../src-main/engine/eval/metrics'
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load'

const DIR = 'resources/models/tiny-world'
const SUITE = readFileSync(`${DIR}/edits.jsonl`, 'utf8').trim().split('\n').slice(0, 4).map((l) => JSON.parse(l) as SuiteRecord)

let base: LoadedModel & { dir: string }
beforeAll(async () => {
  await initBackend('wasm')
  base = { ...(await loadModel(DIR)), dir: DIR }
})
afterAll(() => base.model.dispose())

describe('runEditBench', () => {
  it('never trains rephrases by default: all five per fact test generalization', async () => {
    const r = await runEditBench(base, SUITE, { method: 'elder', edits: 4, batchSize: 1, seed: 0, config: { maxSteps: 3 } })
    expect(r.metrics.generalization.n).toBe(20)
    expect(r.protocol).toBe('rephrases never trained')
    // Fixed presets train A and B only: L · (D·N·r + N·r·F) = 6 · (128·32 + 32·512).
    expect(r.trainable_params).toBe(6 * (128 * 32 + 32 * 512))
    expect(r.tensors_after).toBe(r.tensors_before)
    // Each edit stores its query (128 floats), code, answer and text: hundreds of bytes, not kilobytes of weights.
    expect(r.state_bytes_per_edit).toBeGreaterThan(512)
    expect(r.state_bytes_per_edit).toBeLessThan(4096)
  })

  it("the paper's protocol trains the first half of each fact's rephrases and tests only the other half", async () => {
    const r = await runEditBench(base, SUITE, {
      method: 'elder',
      edits: 4,
      batchSize: 2,
      seed: 0,
      trainHalfRephrases: true,
      config: { maxSteps: 3 }
    })
    expect(r.metrics.generalization.n).toBe(4 * 3) // 5 rephrases: 2 trained, 3 tested
    expect(r.metrics.reliability.n).toBe(4)
    expect(r.protocol).toMatch(/half of the rephrases trained/)
  })

  // The scaling curve (Fig. 2's shape): GRACE adds one value row (F = 512 floats) per new key as it goes.
  it('any registered method runs; the curve records the parameter count as the edits go', async () => {
    const r = await runEditBench(base, SUITE, { method: 'grace', edits: 4, batchSize: 1, seed: 0, curveEvery: 2, config: { maxSteps: 3 } })
    expect(r.curve.map((c) => c.edits)).toEqual([2, 4])
    expect(r.curve.map((c) => c.params)).toEqual([2 * 512, 4 * 512])
    expect(r.trainable_params_after).toBe(4 * 512)
    expect(r.stored_bytes_after).toBeGreaterThan(4 * 512 * 4)
  })
})
