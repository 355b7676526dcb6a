// bench compare's rows are configs the registry accepts, and its markdown puts methods and ablations in the
// tables shaped like the paper's, naming what they ran on.
import { describe, expect, it } from 'vitest'
import type { BenchResult } from '../../src-main/engine/eval/bench'
import { COMPARE_ROWS, compareMarkdown } from '../../src-main/engine/eval/compare'
import { parseMethodConfig } from '../../src-main/engine/methods/configs'

const result = (over: Partial<BenchResult>): BenchResult =>
  ({
    edits: 10, batch_size: 1, protocol: 'rephrases never trained', model: 'm', backend: 'wasm', reliability_em: 1,
    generalization_em: 0.5, locality_em: 1, retention_em: 0.9, base_retention_em: 0.95, locality_deferred_rate: 0.25,
    s_per_edit_mean: 0.5, trainable_params_after: 100, stored_bytes_after: 400, ...over
  }) as BenchResult

describe('bench compare', () => {
  it('every row but base is a valid config of a registered method', () => {
    for (const [name, row] of Object.entries(COMPARE_ROWS)) {
      if (row.method === 'base') continue
      expect(parseMethodConfig({ ...row.config, method: row.method }).method, name).toBe(row.method)
    }
  })

  it('prints methods in one table and the elder-paper ablations in another, with backend and machine', () => {
    const md = compareMarkdown({
      backend: 'wasm',
      machine: 'CPU × 2',
      rows: [
        { name: 'grace', result: result({ generalization_em: 0.1 }) },
        { name: 'elder-paper', result: result({}) },
        { name: 'elder-paper w/o deferral', result: result({ locality_em: 0.5 }) }
      ]
    })
    expect(md).toContain('backend wasm; CPU × 2')
    expect(md).toContain('| grace | 100.0 | 10.0 | 100.0 | 90.0 (95.0) | 25.0 | 0.500 | 100 | 400 |')
    const [methods, ablations] = md.split('| ablation |')
    expect(methods).not.toContain('w/o deferral')
    expect(ablations).toContain('| elder-paper | 100.0 | 50.0 | 100.0 | 25.0 |')
    expect(ablations).toContain('| elder-paper w/o deferral | 100.0 | 50.0 | 50.0 | 25.0 |')
  })
})
