// The import fuzz benchmark (scripts/import-fuzz, `npm run fuzz:import` runs 10,000 cases) on its first 1,000 cases:
// every record a change did not touch is imported exactly or named by an error in it, and every single-field
// change is named by field on its record (issue 11).
import { describe, expect, it } from 'vitest'
import { runFuzz } from '../../scripts/import-fuzz/cases'

describe('import fuzz benchmark', () => {
  it('1,000 mutated sample files: nothing crashes, no good record is lost, every changed field is named', async () => {
    const s = await runFuzz(1000)
    expect(s.examples).toEqual([])
    expect({ crashes: s.crashes, lost: s.lost, refusedWithGood: s.filesRefusedWithGoodRecords, badErrors: s.badErrors })
      .toEqual({ crashes: 0, lost: 0, refusedWithGood: 0, badErrors: 0 })
    expect(s.fieldChangesNamed).toBe(s.fieldChanges)
    // and it measured something: many good records, many single-field changes, files the changes did break
    expect(s.goodRecords).toBeGreaterThan(10_000)
    expect(s.imported + s.reported).toBe(s.goodRecords)
    expect(s.fieldChanges).toBeGreaterThan(50)
    expect(s.longestMessage).toBeGreaterThan(50)
  })
})
