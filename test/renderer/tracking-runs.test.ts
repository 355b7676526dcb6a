import { describe, expect, it } from 'vitest'
import type { ExperimentView } from '../../src-preload/contract'
import { keyConfig, matchesRun, runsCsvRows, sortRuns } from '../../src-renderer/tracking/runs'
import { parseCsv, toCsv } from '../../src-renderer/tracking/table'

function run(id: number, over: Partial<ExperimentView> = {}): ExperimentView {
  return {
    id, name: `run ${id}`, modelId: 1, method: 'elder', config: {}, settings: {}, notes: '', tags: [], createdAt: id,
    counts: { queued: 0, applied: id * 10, failed: 0, disabled: 0, rolled_back: 0 }, archived: false, evalEvery: 50, preset: 'elder',
    repro: { modelHash: 'h', backend: 'wasm', appVersion: '0.1.0', seed: 0, editSequence: `seq${id}` },
    latest: {}, secondsPerEdit: null, health: { holds: 0, checked: 0 }, ...over
  }
}

describe('runs table', () => {
  const rows = [
    run(1, { latest: { reliability: { editCount: 10, value: 0.5 } }, tags: ['baseline'] }),
    run(2, { method: 'grace', preset: 'grace', config: { maxSteps: 30 }, latest: { reliability: { editCount: 20, value: 0.9 } } }),
    run(3)
  ]

  it('sorts by any column, missing values last either way', () => {
    expect(sortRuns(rows, 'reliability', -1).map((r) => r.id)).toEqual([2, 1, 3])
    expect(sortRuns(rows, 'reliability', 1).map((r) => r.id)).toEqual([1, 2, 3])
    expect(sortRuns(rows, 'method', 1).map((r) => r.method)).toEqual(['elder', 'elder', 'grace'])
  })

  it('filters on every word across name, method, preset, tags and config', () => {
    expect(rows.filter((r) => matchesRun(r, 'grace maxSteps=30')).map((r) => r.id)).toEqual([2])
    expect(rows.filter((r) => matchesRun(r, 'BASELINE')).map((r) => r.id)).toEqual([1])
    expect(keyConfig(rows[1])).toBe('maxSteps=30')
  })

  it('CSV carries every column and the reproduction record, and parses back', () => {
    const { header, rows: cells } = runsCsvRows(rows)
    const [h, ...lines] = parseCsv(toCsv(header, cells))
    expect(h).toContain('edit_sequence')
    expect(lines.map((l) => Number(l[h.indexOf('reliability')]))).toEqual([0.5, 0.9, 0])
    expect(lines[2][h.indexOf('reliability')]).toBe('')
    expect(lines.map((l) => l[h.indexOf('edit_sequence')])).toEqual(['seq1', 'seq2', 'seq3'])
  })
})
