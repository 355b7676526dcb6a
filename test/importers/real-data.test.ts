import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { importFile } from '../../src-main/importers/index'

// Third-party data, read in place and never copied into the repo (shared/data/README.md).
const DATA = resolve(__dirname, '../../../shared/data')
const CF = join(DATA, 'counterfact-val.json')
const ZSRE = join(DATA, 'zsre-dev-100.json')
const dir = mkdtempSync(join(tmpdir(), 'elder-real-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface CfRaw { case_id: number; prompt: string; target_new: string; subject: string; ground_truth: string; rephrase_prompt: string; locality_prompt: string; locality_ground_truth: string }
interface ZsreRaw { subject: string; src: string; alt: string; answers: string[]; rephrase: string; loc: string; loc_ans: string }

describe('real CounterFact (EasyEdit) validation split', () => {
  it('imports all 1,919 records with no errors, fields mapped as documented, lines at each "{"', async () => {
    const raw = JSON.parse(readFileSync(CF, 'utf8')) as CfRaw[]
    const lines = readFileSync(CF, 'utf8').split('\n')
    const r = await importFile(CF)
    expect(r).toMatchObject({ format: 'counterfact-easyedit', container: 'json-array', total: 1919, errors: [], omittedErrors: 0 })
    expect(r.records).toHaveLength(1919)
    r.records.forEach((rec, i) => {
      const x = raw[i]
      expect(rec).toEqual({
        prompt: x.prompt.trim(), target: x.target_new.trim(), groundTruth: x.ground_truth.trim(), subject: x.subject.trim(),
        rephrases: [x.rephrase_prompt.trim()], locality: [{ prompt: x.locality_prompt.trim(), answer: x.locality_ground_truth.trim() }],
        sourceLine: rec.sourceLine
      })
      expect(lines[rec.sourceLine - 1].trim()).toBe('{')
      expect(lines[rec.sourceLine]).toContain(`"case_id": ${x.case_id},`)
    })
  })

  it('gives the same records when converted to the project JSONL (streamed)', async () => {
    const fromArray = await importFile(CF)
    const jsonl = fromArray.records.map((x) => JSON.stringify({
      prompt: x.prompt, target: x.target, ground_truth: x.groundTruth, rephrases: x.rephrases, locality: x.locality, subject: x.subject
    })).join('\n') + '\n'
    const f = join(dir, 'cf.jsonl')
    writeFileSync(f, jsonl)
    const r = await importFile(f)
    expect(r).toMatchObject({ format: 'elder', container: 'jsonl', total: 1919, errors: [] })
    expect(r.records.map((x) => ({ ...x, sourceLine: 0 }))).toEqual(fromArray.records.map((x) => ({ ...x, sourceLine: 0 })))
    expect(r.records[1918].sourceLine).toBe(1919)
  })
})

describe('real zsRE (MEND) sample', () => {
  it('imports 100 records towards alt by default and towards answers[0] on request', async () => {
    const raw = JSON.parse(readFileSync(ZSRE, 'utf8')) as ZsreRaw[]
    const alt = await importFile(ZSRE)
    expect(alt).toMatchObject({ format: 'zsre-mend', container: 'json-array', total: 100, errors: [], zsreTarget: 'alt' })
    const ans = await importFile(ZSRE, { zsreTarget: 'answers' })
    expect(ans.zsreTarget).toBe('answers')
    raw.forEach((x, i) => {
      const base = {
        prompt: x.src.trim(), groundTruth: x.answers[0].trim(), subject: x.subject.trim(), rephrases: [x.rephrase.trim()],
        locality: [{ prompt: x.loc.replace(/^nq question: /, '').trim(), answer: x.loc_ans.trim() }]
      }
      expect(alt.records[i]).toEqual({ ...base, target: x.alt.trim(), sourceLine: alt.records[i].sourceLine })
      expect(ans.records[i]).toEqual({ ...base, target: x.answers[0].trim(), sourceLine: alt.records[i].sourceLine })
      expect(alt.records[i].locality[0].prompt.startsWith('nq question')).toBe(false)
    })
  })
})
