// Whole-file import checks shared by the committed samples (test/importers/sample-files.test.ts, in `npm test`) and
// the real third-party files (test/real, in `npm run test:real`), so both are held to exactly the same cases.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { importBytes, importFile, type ImportedRecord } from '../../src-main/importers/index'
import type { CounterfactEasyEditRecord, ZsreMendRecord } from '../../scripts/fixture/import-samples'

/** CounterFact in EasyEdit's layout: every record, fields mapped as documented, each line pointing at its "{". */
export async function expectCounterfactEasyEdit(file: string, total: number): Promise<ImportedRecord[]> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as CounterfactEasyEditRecord[]
  const lines = readFileSync(file, 'utf8').split('\n')
  const r = await importFile(file)
  expect(r).toMatchObject({ format: 'counterfact-easyedit', container: 'json-array', total, errors: [], omittedErrors: 0 })
  expect(r.records).toHaveLength(total)
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
  return r.records
}

/** The same records written as the project's JSONL into `dir` and read back streamed: identical, one per line. */
export async function expectSameAfterJsonl(file: string, dir: string): Promise<void> {
  const fromArray = await importFile(file)
  const total = fromArray.records.length
  const jsonl = fromArray.records.map((x) => JSON.stringify({
    prompt: x.prompt, target: x.target, ground_truth: x.groundTruth, rephrases: x.rephrases, locality: x.locality, subject: x.subject
  })).join('\n') + '\n'
  const f = join(dir, 'converted.jsonl')
  writeFileSync(f, jsonl)
  const r = await importFile(f)
  expect(r).toMatchObject({ format: 'elder', container: 'jsonl', total, errors: [] })
  expect(r.records.map((x) => ({ ...x, sourceLine: 0 }))).toEqual(fromArray.records.map((x) => ({ ...x, sourceLine: 0 })))
  expect(r.records.map((x) => x.sourceLine)).toEqual(r.records.map((_, i) => i + 1))
  // A file streams in 64 KB reads; 97-byte pieces make records straddle chunk boundaries even in a small sample.
  const pieces = await importBytes(readFileSync(f), { name: f, chunkBytes: 97 })
  expect(pieces.records).toEqual(r.records)
}

/** zsRE in MEND's layout: towards alt by default and towards answers[0] on request, NQ's tag stripped. */
export async function expectZsreMend(file: string, total: number): Promise<void> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as ZsreMendRecord[]
  const lines = readFileSync(file, 'utf8').split('\n')
  const alt = await importFile(file)
  expect(alt).toMatchObject({ format: 'zsre-mend', container: 'json-array', total, errors: [], zsreTarget: 'alt' })
  const ans = await importFile(file, { zsreTarget: 'answers' })
  expect(ans).toMatchObject({ total, errors: [], zsreTarget: 'answers' })
  raw.forEach((x, i) => {
    const base = {
      prompt: x.src.trim(), groundTruth: x.answers[0].trim(), subject: x.subject.trim(), rephrases: [x.rephrase.trim()],
      locality: [{ prompt: x.loc.replace(/^nq question: /, '').trim(), answer: x.loc_ans.trim() }]
    }
    expect(alt.records[i]).toEqual({ ...base, target: x.alt.trim(), sourceLine: alt.records[i].sourceLine })
    expect(ans.records[i]).toEqual({ ...base, target: x.answers[0].trim(), sourceLine: alt.records[i].sourceLine })
    expect(alt.records[i].locality[0].prompt.startsWith('nq question')).toBe(false)
    expect(lines[alt.records[i].sourceLine - 1].trim()).toBe('{')
  })
}
