// Stored edit rows for the default method's scope decision: gates, superseding, disabling, renumbering and the
// state-file round trip.
import { describe, expect, it } from 'vitest'
import { QueryTable } from '../../src-main/engine/elder/query-table'

const v = (...xs: number[]): Float32Array => Float32Array.from(xs)
const row = (answer: number, prompt: string, subject?: string, relation?: string) => ({
  answer,
  code: [answer],
  prompt,
  target: 't',
  ...(subject ? { subject } : {}),
  ...(relation ? { relation } : {})
})

function table(): QueryTable {
  const t = new QueryTable(2)
  t.add(1, [v(1, 0), v(0, 1)], [row(7, 'The capital of Velmora is', 'Velmora', 'capital'), row(8, 'Tarsk lies in', 'Tarsk')])
  t.add(2, [v(1, 1)], [row(7, 'The river of Brelo is')])
  return t
}

describe('QueryTable', () => {
  it('answers the nearest row by cosine distance, only among rows that pass the answer and subject gates', () => {
    const t = table()
    expect(t.nearest(v(1, 0.1))).toMatchObject({ owner: 1, row: 0 })
    // Answer 8 leaves only "Tarsk lies in"; answer 9 leaves nothing.
    expect(t.nearest(v(1, 0.1), { answer: 8 })).toMatchObject({ owner: 1, row: 1 })
    expect(t.nearest(v(1, 0.1), { answer: 9 }).distance).toBe(Infinity)
    // A text that does not mention Velmora skips that row; the row without a subject is never skipped for it.
    expect(t.nearest(v(1, 0.1), { answer: 7, text: 'Where is Brelo?' })).toMatchObject({ owner: 2, row: 0 })
    expect(t.nearest(v(1, 0.1), { answer: 7, text: 'the capital of  VELMORA?' })).toMatchObject({ owner: 1, row: 0 })
    expect(t.nearest(v(1, 1)).distance).toBeCloseTo(0, 6)
  })

  it('the relation gate compares only rows of the input’s relation (or of none), except the row’s own prompt', () => {
    const t = table()
    // Row 1:0 is a 'capital' edit; an input read as 'currency' skips it and falls to the row without a relation.
    expect(t.nearest(v(1, 0.1), { answer: 7, relation: 'currency' })).toMatchObject({ owner: 2, row: 0 })
    expect(t.nearest(v(1, 0.1), { answer: 7, relation: 'capital' })).toMatchObject({ owner: 1, row: 0 })
    // The edit's own prompt (the same query) passes whatever relation the classifier reads it as.
    expect(t.nearest(v(1, 0), { answer: 7, relation: 'currency' })).toMatchObject({ owner: 1, row: 0 })
    const scanned = t.scan(v(1, 0.1), { answer: 7, relation: 'currency' })
    expect(scanned.find((r) => r.owner === 1 && r.row === 0)!.failedGates).toEqual(['relation'])
    expect(t.scan(v(1, 0), { relation: 'currency' }).find((r) => r.owner === 1 && r.row === 0)!.failedGates).toEqual([])
  })

  it('supersedes rows of the same fact (same prompt, or same subject and relation) and keeps them out', () => {
    const t = table()
    expect(t.supersede({ prompt: 'Q: What is the capital of Velmora? A:', subject: 'Velmora', relation: 'capital' })).toBe(1)
    expect(t.supersede({ prompt: ' The river of  Brelo is ' })).toBe(1)
    expect(t.supersede({ prompt: 'Tarsk lies in', subject: 'Other', relation: 'x' })).toBe(1)
    expect(t.nearest(v(1, 0)).distance).toBe(Infinity)
    expect(t.live()).toEqual([])
  })

  it('disabled and removed batches leave the scope and the rehearsal pool; renumbering moves them', () => {
    const t = table()
    t.setEnabled(1, false)
    expect(t.live()).toEqual([{ owner: 2, row: 0 }])
    expect(t.nearest(v(1, 0))).toMatchObject({ owner: 2 })
    t.setEnabled(1, true)
    t.removeBatch(2)
    expect(t.live()).toEqual([{ owner: 1, row: 0 }, { owner: 1, row: 1 }])
    t.renumber(new Map([[1, 5]]))
    expect(t.live().map((r) => r.owner)).toEqual([5, 5])
    expect(t.meta({ owner: 5, row: 1 }).prompt).toBe('Tarsk lies in')
  })

  it('round-trips through JSON with superseded flags, and reads tables written without row meta', () => {
    const t = table()
    t.supersede({ prompt: 'Tarsk lies in' })
    const { json, vectors } = t.toJSON()
    const back = QueryTable.fromJSON(json, vectors)
    expect(back.live()).toEqual(t.live())
    expect(back.nearest(v(0, 1), { answer: 8 }).distance).toBe(Infinity)
    const old = QueryTable.fromJSON({ D: 2, batches: [{ owner: 3, enabled: true, rows: 1 }] }, v(0, 1))
    expect(old.nearest(v(0, 1))).toMatchObject({ owner: 3, row: 0 })
    expect(old.live()).toEqual([]) // no text: nothing to rehearse
    expect(() => QueryTable.fromJSON(json, v(1))).toThrow(/layout needs/)
  })
})
