import { describe, expect, it } from 'vitest'
import { configDiff, parseCsv, seriesCsv, SERIES_NAMES, toCsv } from '../../src-renderer/tracking/table'

describe('tracking table helpers', () => {
  it('CSV round-trips fields with commas, quotes and line breaks, and numbers at full precision', () => {
    const rows = [['a,b', 'say "hi"', 0.1 + 0.2], ['line\nbreak', null, 3]]
    const parsed = parseCsv(toCsv(['x', 'y', 'z'], rows))
    expect(parsed).toEqual([['x', 'y', 'z'], ['a,b', 'say "hi"', '0.30000000000000004'], ['line\nbreak', '', '3']])
    expect(Number(parsed[1][2])).toBe(0.1 + 0.2)
  })

  it('series CSV is long format, one row per point', () => {
    const csv = seriesCsv([{ experiment: 'A', metric: 'reliability', points: [{ batchId: 3, editCount: 20, value: 0.95 }] }])
    expect(parseCsv(csv)).toEqual([['experiment', 'metric', 'edits_applied', 'value', 'batch_id'], ['A', 'reliability', '20', '0.95', '3']])
  })

  it('config diff lists only differing fields, nested ones by path, missing ones as null', () => {
    const d = configDiff([
      { method: 'elder', numExperts: 8, rank: 4, sched: { every: 30 }, only: 1 },
      { method: 'elder', numExperts: 4, rank: 4, sched: { every: 10 } }
    ])
    expect(d).toEqual([
      { field: 'numExperts', values: ['8', '4'] },
      { field: 'only', values: ['1', null] },
      { field: 'sched.every', values: ['30', '10'] }
    ])
    expect(configDiff([{ a: [1, 2] }, { a: [1, 2] }])).toEqual([])
  })

  it('loads exact match and token accuracy of each curve, the deferral rate and s/edit', () => {
    expect(SERIES_NAMES).toEqual([
      'reliability', 'reliability_token_accuracy', 'generalization', 'generalization_token_accuracy', 'locality', 'locality_token_accuracy',
      'retention', 'retention_token_accuracy', 'locality_deferred_rate', 's_per_edit'
    ])
  })
})

describe('names shared with the service', () => {
  it('the token-accuracy suffix is the one the service stores', async () => {
    const service = await import('../../src-main/service/evaluate')
    const { TOKEN_SUFFIX } = await import('../../src-renderer/tracking/table')
    expect(TOKEN_SUFFIX).toBe(service.TOKEN_SUFFIX)
  })
})
