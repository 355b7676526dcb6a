// A broken record in a JSON array spoils only itself (issue 11): the reader resynchronises at the next record, so
// every other record is imported, and the error points into the broken one, by line and column, in files with one
// record per line, one record over many lines, and the whole array on one line.
import { describe, expect, it } from 'vitest'
import { formatIssue, importBytes, type ImportResult, type RecordIssue } from '../../src-main/importers/index'
import { lineStarts } from '../../scripts/import-fuzz/cases'
import { importSamples, jsonArrayLayout, layOut, SAMPLE_LAYOUTS, type SampleLayout } from '../../scripts/fixture/import-samples'

/** The file of issue 11's reproduction: one record per line, spaces after ":" and ",". */
const perLine = (n: number) => `[\n${Array.from({ length: n }, (_, i) => `{"prompt": "p${i + 1}", "target": "t${i + 1}"}`).join(',\n')}\n]\n`
const prompts = (r: ImportResult) => r.records.map((x) => `${x.prompt}@${x.sourceLine}`)

describe('JSON array: after a broken record, reading resumes at the next one', () => {
  it('a missing quote: the records after it are kept, the error names its line', async () => {
    // the reproduction in issue 11: p3–p5 used to vanish behind "the file ends inside it"
    const text = perLine(5).replace('"target": "t2"', '"target: "t2"')
    const r = await importBytes(Buffer.from(text))
    expect(r.total).toBe(5)
    expect(prompts(r)).toEqual(['p1@2', 'p3@4', 'p4@5', 'p5@6'])
    expect(r.errors.map(formatIssue)).toEqual([
      "line 3, column 31 (record 2): invalid JSON: Unexpected token 't'; reading resumed at the next record, line 4, column 1"
    ])
  })

  it('a missing "}": the error is on the broken record\'s line, not the next one', async () => {
    const text = perLine(4).replace('"t2"}', '"t2"')
    const r = await importBytes(Buffer.from(text))
    expect(prompts(r)).toEqual(['p1@2', 'p3@4', 'p4@5'])
    expect(r.errors.map(formatIssue)).toEqual([
      "line 3, column 31 (record 2): invalid JSON: Expected ',' or '}' after property value; reading resumed at the next record, line 4, column 1"
    ])
  })

  it('a stray "[" or a lost "," between records does not swallow the records after it', async () => {
    const bracket = await importBytes(Buffer.from(perLine(3).replace('{"prompt": "p2"', '[{"prompt": "p2"')))
    expect(prompts(bracket)).toEqual(['p1@2', 'p2@3', 'p3@4'])
    expect(bracket.errors.map(formatIssue)).toEqual([
      'line 3, column 1 (record 2): invalid JSON: Unexpected end of JSON input; reading resumed at the next record, line 3, column 2'
    ])
    const comma = await importBytes(Buffer.from(perLine(3).replace('"t1"},', '"t1"}')))
    expect(prompts(comma)).toEqual(['p1@2', 'p2@3', 'p3@4'])
    expect(comma.errors.map(formatIssue)).toEqual(['line 2, column 33: expected "," between two records'])
  })

  it('one line: a bad byte spoils its record only, and errors give column and record number', async () => {
    // issue 11: this file was refused whole ("no_records"), and every error said "line 1"
    const bytes = Buffer.concat([Buffer.from('[{"prompt":"a","target":"b"},{"prompt":"c'), Buffer.from([0xff]), Buffer.from('","target":"d"},{"prompt":"e","target":"f"}]')])
    const r = await importBytes(bytes)
    expect(r.total).toBe(3)
    expect(r.records.map((x) => x.prompt)).toEqual(['a', 'e'])
    expect(r.errors.map(formatIssue)).toEqual(['line 1, column 42 (record 2): invalid UTF-8 byte sequence'])
    expect(bytes[41]).toBe(0xff)
    // columns are byte columns of the file as it is, a BOM included
    const bom = await importBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]))
    expect(bom.errors.map(formatIssue)).toEqual(['line 1, column 45 (record 2): invalid UTF-8 byte sequence'])

    const fields = await importBytes(Buffer.from(JSON.stringify([{ prompt: 'p1', target: 't1' }, { prompt: 'p2' }, { prompt: 'p3', target: 't3' }, { prompt: 'p4', target: 4 }])))
    expect(fields.errors.map(formatIssue)).toEqual([
      'line 1, column 32 (record 2), field "target": expected a non-empty string, but the field is missing',
      'line 1, column 78 (record 4), field "target": expected a non-empty string, got number'
    ])
  })
})

const RECORDS = [1, 2, 3, 4, 5].map((i) => ({
  prompt: `The capital of Velmora${i} is`, target: `Brelo${i}`, locality: [{ prompt: `The capital of Quenth${i} is`, answer: `Darro${i}` }]
}))
// the committed samples' first records, laid out as there (CounterFact: 4 spaces, CRLF, \u escapes; MEND: 1 space)
const samples = importSamples()
const LAYOUTS: Record<string, { layout: SampleLayout; records: object[]; mutated: number[] }> = {
  'one record per line': { layout: layOut('[\n', RECORDS.map((r) => JSON.stringify(r)), ',\n', '\n]\n'), records: RECORDS, mutated: [0, 2, 4] },
  'the whole array on one line': { layout: jsonArrayLayout(RECORDS, 0), records: RECORDS, mutated: [0, 2, 4] },
  'indented, nested locality objects': { layout: jsonArrayLayout(RECORDS, 4), records: RECORDS, mutated: [1] },
  'CounterFact sample (CRLF, 4 spaces)': {
    layout: SAMPLE_LAYOUTS.counterfactEasyEdit(samples.counterfactEasyEdit.slice(0, 3)), records: samples.counterfactEasyEdit.slice(0, 3), mutated: [1]
  },
  'zsRE MEND sample (1 space)': { layout: SAMPLE_LAYOUTS.zsreMend(samples.zsreMend.slice(0, 3)), records: samples.zsreMend.slice(0, 3), mutated: [1] }
}

const EDITS: Array<[string, (t: Buffer, at: number) => Buffer]> = [
  ['delete', (t, at) => Buffer.concat([t.subarray(0, at), t.subarray(at + 1)])],
  ...[...'"{}[],:\\', '\xff'].flatMap((ch): Array<[string, (t: Buffer, at: number) => Buffer]> => {
    const b = Buffer.from(ch === '\xff' ? [0xff] : Buffer.from(ch))
    return [
      [`insert ${JSON.stringify(ch)}`, (t, at) => Buffer.concat([t.subarray(0, at), b, t.subarray(at)])],
      [`replace with ${JSON.stringify(ch)}`, (t, at) => Buffer.concat([t.subarray(0, at), b, t.subarray(at + 1)])]
    ]
  })
]

/** Byte offset of an issue's line and column in `bytes`. */
const offsetOf = (bytes: Buffer, e: RecordIssue): number => lineStarts(bytes)[e.line - 1] + (e.column as number) - 1

describe('JSON array: any one-byte change inside a record spoils that record only', () => {
  for (const [name, { layout: { text, spans }, records, mutated }] of Object.entries(LAYOUTS)) {
    it(name, async () => {
      const clean = await importBytes(Buffer.from(text))
      expect(clean.errors).toEqual([])
      expect(clean.records).toHaveLength(records.length)
      const original = Buffer.from(text)
      let cases = 0
      let spoiled = 0
      for (const k of mutated) {
        const [from, to] = spans[k]
        for (let at = from; at < to; at++) {
          for (const [edit, apply] of EDITS) {
            const bytes = apply(original, at)
            const shift = bytes.length - original.length
            const where = `${edit} at byte ${at} (record ${k + 1}): ${JSON.stringify(bytes.subarray(from, to + shift).toString('latin1'))}`
            const r = await importBytes(bytes)
            cases++
            // every other record comes through exactly as in the clean file
            // (lines after the change move when it deletes a line break)
            const lineShift = bytes.filter((c) => c === 10).length - original.filter((c) => c === 10).length
            const others = clean.records.flatMap((x, i) => (i === k ? [] : [{ ...x, sourceLine: x.sourceLine + (i > k ? lineShift : 0) }]))
            const kept = r.records.filter((x) => others.some((o) => o.prompt === x.prompt))
            expect(kept, where).toEqual(others)
            // and every error points into the changed record (a missing-"," note may sit at its end)
            for (const e of r.errors) {
              const off = offsetOf(bytes, e)
              expect(off >= from && off <= to + shift, `${where}: ${formatIssue(e)}`).toBe(true)
            }
            // a change that breaks nothing only alters the record's text: then it is imported too
            if (r.errors.length > 0) spoiled++
            else expect(r.records, where).toHaveLength(records.length)
          }
        }
      }
      // many of the changes break the record (the rest fall inside its strings)
      expect(spoiled).toBeGreaterThan(cases / 4)
    })
  }
})

describe('JSON array: resynchronising stays linear', () => {
  it('200 KB of "[{" nesting, where every "{" looks like a record start, is one error, not a hang', async () => {
    const text = `[${'[{'.repeat(100_000)}`
    const r = await importBytes(Buffer.from(`[{"prompt": "p", "target": "t"},${text.slice(1)}`))
    expect(r.records.map((x) => x.prompt)).toEqual(['p'])
    expect(r.errors.map(formatIssue)).toEqual(['line 1, column 33 (record 2): the record is truncated: the file ends inside it'])
  })
})
