// Whole files in every supported format, written by the project (scripts/fixture/import-samples.ts, committed under
// test/fixtures/import): the cases the real-data tests cover (test/real), on invented records in the real layouts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { importFile, type ImportResult } from '../../src-main/importers/index'
import {
  CSV_HEADER, IMPORT_SAMPLE_FILES, importSamples, SAMPLE_COUNTS, type CounterfactRomeRecord, type ElderRecord, type ZsreEasyEditRecord
} from '../../scripts/fixture/import-samples'
import { expectCounterfactEasyEdit, expectSameAfterJsonl, expectZsreMend } from './checks'

const DIR = fileURLToPath(new URL('../fixtures/import', import.meta.url))
const file = (k: keyof typeof IMPORT_SAMPLE_FILES): string => join(DIR, IMPORT_SAMPLE_FILES[k])
const text = (k: keyof typeof IMPORT_SAMPLE_FILES): string => readFileSync(file(k), 'utf8')
const tmp = mkdtempSync(join(tmpdir(), 'elder-samples-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** In an indented JSON array each record's line is its opening "{". */
function expectLinesAtBraces(r: ImportResult, source: string): void {
  const lines = source.split('\n')
  for (const rec of r.records) expect(lines[rec.sourceLine - 1].trim(), `line ${rec.sourceLine}`).toBe('{')
}

const NON_ASCII = /[^\x00-\x7f]/

describe('CounterFact, EasyEdit layout', () => {
  it('is written like the real split: CRLF line ends and \\u escapes for non-ASCII letters', () => {
    const t = text('counterfactEasyEdit')
    expect(t.split('\n').slice(0, -1).every((l) => l.endsWith('\r'))).toBe(true)
    expect(t).toMatch(/\\u00[0-9a-f]{2}/)
    expect(NON_ASCII.test(t)).toBe(false)
  })

  it('imports every record with no errors, fields mapped as documented, lines at each "{"', async () => {
    const records = await expectCounterfactEasyEdit(file('counterfactEasyEdit'), SAMPLE_COUNTS.counterfactEasyEdit)
    // the escapes decode to the letters they stand for
    expect(records.some((x) => NON_ASCII.test(x.subject ?? ''))).toBe(true)
  })

  it('gives the same records when converted to the project JSONL (streamed)', async () => {
    await expectSameAfterJsonl(file('counterfactEasyEdit'), tmp)
  })
})

describe('zsRE, MEND layout', () => {
  it('is written like the real split: raw UTF-8, several answers on some records, NQ-tagged locality', () => {
    const raw = JSON.parse(text('zsreMend')) as Array<{ answers: string[]; loc: string }>
    expect(NON_ASCII.test(text('zsreMend'))).toBe(true)
    expect(raw.some((x) => x.answers.length > 1)).toBe(true)
    expect(raw.every((x) => x.loc.startsWith('nq question: '))).toBe(true)
  })

  it('imports every record towards alt by default and towards answers[0] on request', async () => {
    await expectZsreMend(file('zsreMend'), SAMPLE_COUNTS.zsreMend)
  })
})

describe('zsRE, EasyEdit layout', () => {
  it('takes the first item of list-valued ground truths; lines at each "{"', async () => {
    const raw = JSON.parse(text('zsreEasyEdit')) as ZsreEasyEditRecord[]
    const r = await importFile(file('zsreEasyEdit'))
    expect(r).toMatchObject({ format: 'zsre-easyedit', container: 'json-array', total: SAMPLE_COUNTS.zsreEasyEdit, errors: [] })
    expect(r.records).toEqual(raw.map((x, i) => ({
      prompt: x.prompt, target: x.target_new, groundTruth: x.ground_truth[0], subject: x.subject, rephrases: [x.rephrase_prompt],
      locality: [{ prompt: x.locality_prompt, answer: x.locality_ground_truth[0] }], sourceLine: r.records[i].sourceLine
    })))
    expectLinesAtBraces(r, text('zsreEasyEdit'))
  })
})

describe('CounterFact, ROME layout', () => {
  it('fills the subject into "{}", paraphrases rephrase, neighbours keep the true answer; lines at each "{"', async () => {
    const raw = JSON.parse(text('counterfactRome')) as CounterfactRomeRecord[]
    const r = await importFile(file('counterfactRome'))
    expect(r).toMatchObject({ format: 'counterfact-rome', container: 'json-array', total: SAMPLE_COUNTS.counterfactRome, errors: [] })
    expect(r.records).toEqual(raw.map((x, i) => {
      const rw = x.requested_rewrite
      return {
        prompt: rw.prompt.replace('{}', rw.subject), target: rw.target_new.str, groundTruth: rw.target_true.str, subject: rw.subject,
        relation: rw.relation_id, rephrases: x.paraphrase_prompts,
        locality: x.neighborhood_prompts.map((p) => ({ prompt: p, answer: rw.target_true.str })), sourceLine: r.records[i].sourceLine
      }
    }))
    expectLinesAtBraces(r, text('counterfactRome'))
  })
})

describe('project JSONL', () => {
  it('maps every field, optional ones only where present; line n is record n', async () => {
    const raw = text('jsonl').trimEnd().split('\n').map((l) => JSON.parse(l) as ElderRecord)
    const r = await importFile(file('jsonl'))
    expect(r).toMatchObject({ format: 'elder', container: 'jsonl', total: SAMPLE_COUNTS.jsonl, errors: [] })
    expect(raw.some((x) => x.subject === undefined)).toBe(true)
    expect(r.records).toEqual(raw.map((x, i) => ({
      prompt: x.prompt, target: x.target, rephrases: x.rephrases ?? [], locality: x.locality ?? [], sourceLine: i + 1,
      ...(x.ground_truth === undefined ? {} : { groundTruth: x.ground_truth }),
      ...(x.subject === undefined ? {} : { subject: x.subject, relation: x.relation })
    })))
  })
})

describe('CSV', () => {
  it('maps the columns, skips empty cells, keeps quoted commas, quotes and line breaks; lines where each row starts', async () => {
    const rows = importSamples().csv
    const r = await importFile(file('csv'))
    expect(r).toMatchObject({ format: 'csv', container: 'csv', total: SAMPLE_COUNTS.csv, errors: [], warnings: [] })
    expect(rows.some((row) => row.some((c) => c.includes('\n')))).toBe(true)
    expect(rows.some((row) => row.some((c) => c.includes('"') && c.includes(',')))).toBe(true)
    const col = (name: string) => CSV_HEADER.indexOf(name)
    let line = 2 // the header is line 1
    rows.forEach((row, i) => {
      const cell = (name: string) => row[col(name)]
      expect(r.records[i]).toEqual({
        prompt: cell('prompt'), target: cell('target'), ...(cell('ground_truth') ? { groundTruth: cell('ground_truth') } : {}),
        rephrases: [row[3], row[4]].filter((c) => c !== ''), locality: [{ prompt: cell('locality_prompt'), answer: cell('locality_answer') }],
        subject: cell('subject'), relation: cell('relation'), sourceLine: line
      })
      line += 1 + row.join('').split('\n').length - 1
    })
  })
})
