import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { formatIssue, importBytes, ImportError, importFile, type ImportErrorCode } from '../../src-main/importers/index'
import { CF_EASYEDIT, enc } from './samples'

const dir = mkdtempSync(join(tmpdir(), 'elder-import-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function importError(p: Promise<unknown>, code: ImportErrorCode): Promise<ImportError> {
  try { await p } catch (e) {
    expect(e).toBeInstanceOf(ImportError)
    expect((e as ImportError).code).toBe(code)
    return e as ImportError
  }
  throw new Error(`expected ImportError(${code}), the import succeeded`)
}

const line = (o: object) => JSON.stringify(o)
const good = (i: number) => line({ prompt: `p${i}`, target: `t${i}` })

describe('per-record problems keep the good records', () => {
  it('one bad line among good ones in JSONL', async () => {
    const text = [good(1), '{"prompt": "p2", "target": 5}', good(3), '{"prompt": "p4", "target": ', '', good(6)].join('\n')
    const r = await importBytes(enc(text))
    expect(r.total).toBe(5)
    expect(r.records.map((x) => x.sourceLine)).toEqual([1, 3, 6])
    expect(r.errors.map(formatIssue)).toEqual([
      'line 2, field "target": expected a non-empty string, got number',
      'line 4: invalid JSON: Unexpected end of JSON input'
    ])
  })

  it('wrong types, missing fields and huge fields are reported per field', async () => {
    const huge = 'x'.repeat(10_001)
    const text = [
      line({ prompt: '', target: 't', rephrases: 'not a list' }),
      line({ prompt: 'p', target: huge, locality: [{ prompt: 'lp' }, 7] }),
      line({ target: 't', subject: 3 }),
      line({ prompt: 'p\ud800', target: 't' }),
      line([1, 2]),
      good(6)
    ].join('\n')
    const r = await importBytes(enc(text))
    expect(r.records).toHaveLength(1)
    expect(r.errors.map(formatIssue)).toEqual([
      'line 1, field "prompt": expected a non-empty string, got ""',
      'line 1, field "rephrases": expected an array of strings, got string',
      'line 2, field "target": is 10001 characters long; the limit is 10000',
      'line 2, field "locality[0].answer": expected a non-empty string, but the field is missing',
      'line 2, field "locality[1]": expected an object with prompt and answer, got number',
      'line 3, field "prompt": expected a non-empty string, but the field is missing',
      'line 3, field "subject": expected a string, got number',
      'line 4, field "prompt": contains an unpaired UTF-16 surrogate (a broken \\u escape)',
      'line 5: expected a JSON object for a record, got array'
    ])
  })

  it('JSON array: a broken record names its own line; a truncated file keeps the records before the cut', async () => {
    const bad = CF_EASYEDIT.replace('"target_new": "actor",', '"target_new": "actor"')
    const r = await importBytes(enc(bad))
    expect(r.records).toHaveLength(1)
    expect(r.errors.map(formatIssue)).toEqual([`line 16, column 9 (record 2): invalid JSON: Expected ',' or '}' after property value`])
    const cut = CF_EASYEDIT.slice(0, CF_EASYEDIT.indexOf('"rephrase_prompt": "Tamsin'))
    const t = await importBytes(enc(cut))
    expect(t.records).toHaveLength(1)
    expect(t.errors.map(formatIssue)).toEqual(['line 12, column 5 (record 2): the record is truncated: the file ends inside it'])
    const unclosed = await importBytes(enc(CF_EASYEDIT.trimEnd().slice(0, -1)))
    expect(unclosed.records).toHaveLength(2)
    expect(unclosed.errors.map(formatIssue)).toEqual(['line 22, column 1: the file ends before the array\'s closing "]" (truncated?)'])
    const e = await importError(importBytes(enc('[\n  {"prompt": "p", "tar')), 'no_records')
    expect(e.line).toBe(2)
  })

  it('invalid UTF-8 names the line (JSONL, JSON array, CSV) and spares the rest', async () => {
    const bytes = (s: string, at: string, junk: number[]) => {
      const b = Buffer.from(s)
      const i = b.indexOf(at)
      return Buffer.concat([b.subarray(0, i), Buffer.from(junk), b.subarray(i)])
    }
    const jl = await importBytes(bytes([good(1), good(2), good(3)].join('\n'), 't2', [0xc3, 0x28]))
    expect(jl.errors.map(formatIssue)).toEqual(['line 2: invalid UTF-8 byte sequence'])
    expect(jl.records).toHaveLength(2)
    const arr = await importBytes(bytes(CF_EASYEDIT, 'Tamsin Orrow is known', [0xed, 0xa0, 0x80]))
    expect(arr.errors.map(formatIssue)).toEqual(['line 18, column 29 (record 2): invalid UTF-8 byte sequence'])
    expect(arr.records).toHaveLength(1)
    const csv = await importBytes(bytes('prompt,target\np1,t1\n"p2\nstill p2",t2\np3,t3\n', 'still', [0xff]), { name: 'a.csv' })
    expect(csv.errors.map(formatIssue)).toEqual(['line 4: invalid UTF-8 byte sequence'])
    expect(csv.records.map((x) => x.sourceLine)).toEqual([2, 5])
  })

  it('CSV: a short row or a last row cut off is an error, not a record with values missing (issue 11)', async () => {
    const short = await importBytes(enc('prompt,target,locality_prompt,locality_answer\nThe capital of X is,Paris\n'), { name: 's.csv' })
    expect(short).toMatchObject({ total: 1, records: [] })
    expect(short.errors.map(formatIssue)).toEqual(['line 2: the row has 2 fields; the header has 4'])
    const cut = await importBytes(enc('prompt,target\nThe capital of X is,Paris\nThe capital of Y is,Par'), { name: 'c.csv' })
    expect(cut.records.map((x) => [x.target, x.sourceLine])).toEqual([['Paris', 2]])
    expect(cut.errors.map(formatIssue)).toEqual([
      'line 3: the last row has no line break after it, unlike the rows before it: the file may be cut short (if the row is whole, end it with a line break)'
    ])
    // with its line break the same row is whole
    expect((await importBytes(enc('prompt,target\nThe capital of Y is,Par\n'), { name: 'c.csv' })).records).toHaveLength(1)
  })

  it('CSV: a stray quote does not run the rows after it into one field; they are read as rows (issue 11)', async () => {
    const r = await importBytes(enc('prompt,target\np1,t1\n"p2,t2\np3,t3\np4,"t4"\np5,t5\n'), { name: 'q.csv' })
    expect(r.records.map((x) => `${x.prompt}@${x.sourceLine}`)).toEqual(['p1@2', 'p3@4', 'p4@5', 'p5@6'])
    expect(r.errors.map(formatIssue)).toEqual(['line 3, field "prompt": a quote opened on this line is never closed before the row could end'])
    // a line break inside a quoted field, where the row is whole, is still one field
    const whole = await importBytes(enc('prompt,target\n"two\nlines",t\n'), { name: 'w.csv' })
    expect(whole.records).toMatchObject([{ prompt: 'two\nlines', target: 't', sourceLine: 2 }])
  })

  it('CSV quoting problems and ragged rows are per-record errors naming the column', async () => {
    const text = 'prompt,target,locality_prompt,locality_answer\n' +
      'p1,t1,,\n' +
      'p"2,t2,,\n' +
      '"p3"x,t3,,\n' +
      'p4,t4,lp,\n' +
      'p5,t5,,,extra\n' +
      'p6,,,\n' +
      '"p7,t7\n'
    const r = await importBytes(enc(text), { name: 'e.csv' })
    expect(r.records.map((x) => x.prompt)).toEqual(['p1'])
    expect(r.total).toBe(7)
    expect(r.errors.map(formatIssue)).toEqual([
      'line 3, field "prompt": a quote inside an unquoted field (quote the field and double the quote)',
      'line 4, field "prompt": text after a closing quote (quote the whole field and double inner quotes)',
      'line 5, field "locality_answer": missing the answer for the locality prompt beside it',
      'line 6: the row has 5 fields; the header has 4',
      'line 7, field "target": expected a non-empty string, got ""',
      'line 8, field "prompt": a quoted field is never closed (the file ends inside the quotes)'
    ])
  })
})

describe('file-level problems throw ImportError', () => {
  it('empty, whitespace-only, missing, directory, unknown content', async () => {
    const empty = join(dir, 'empty.jsonl')
    writeFileSync(empty, '')
    expect((await importError(importFile(empty), 'empty_file')).message).toMatch(/is empty/)
    const blank = join(dir, 'blank.json')
    writeFileSync(blank, '\n\n  \n')
    await importError(importFile(blank), 'empty_file')
    await importError(importFile(join(dir, 'nope.json')), 'not_found')
    await importError(importFile(dir), 'unreadable')
    await importError(importBytes(enc('PK\u0003\u0004 binary')), 'unknown_format')
    await importError(importBytes(enc('{"a": 1}\n{"b": 2}\n')), 'unknown_format')
    await importError(importBytes(enc('\n\n'), { name: 'x.csv' }), 'empty_file')
    // a header alone is a valid, empty import: no error, but a warning the UI can show
    expect(await importBytes(enc('prompt,target\n'), { name: 'x.csv' })).toMatchObject({ total: 0, records: [], warnings: ['the CSV file has a header but no data rows'] })
  })

  it('CSV header problems', async () => {
    expect((await importError(importBytes(enc('prompt,answer\np,t\n'), { name: 'x.csv' }), 'bad_header')).message)
      .toBe('line 1: the CSV header has no "target" column (found: "prompt", "answer")')
    await importError(importBytes(enc('prompt,target,prompt\n'), { name: 'x.csv' }), 'bad_header')
    await importError(importBytes(enc('prompt,target,locality_prompt\n'), { name: 'x.csv' }), 'bad_header')
  })

  it('messages are short and printable whatever the file holds (issue 11)', async () => {
    // a 3 MB header used to come back whole in the message
    const header = await importError(importBytes(enc(`prompt,${'x'.repeat(3_000_000)}\np,t\n`), { name: 'h.csv' }), 'bad_header')
    expect(header.message).toBe(`line 1: the CSV header has no "target" column (found: "prompt", "${'x'.repeat(40)}…")`)
    const many = await importBytes(enc(`prompt,target,${Array.from({ length: 5000 }, (_, i) => `c${i}\u0007`).join(',')}\n`), { name: 'w.csv' })
    expect(many.warnings).toEqual([`ignored column(s): ${Array.from({ length: 10 }, (_, i) => `"c${i}\\u0007"`).join(', ')} and 4990 more`, 'the CSV file has a header but no data rows'])
    // V8 quotes the offending character raw: a BOM, a NUL, a line separator
    const raw = ['\ufeff', '\u0000', '\u2028'].map((c, i) => `{"prompt":"p${i}","target":${c}"t"}`).concat(good(4)).join('\n')
    expect((await importBytes(enc(raw), { name: 'r.jsonl' })).errors.map(formatIssue)).toEqual([
      "line 1: invalid JSON: Unexpected token '\\ufeff'", "line 2: invalid JSON: Unexpected token '\\u0000'", "line 3: invalid JSON: Unexpected token '\\u2028'"
    ])
    const keys = await importError(importBytes(enc(JSON.stringify([{ [`k\n${'y'.repeat(1_000_000)}`]: 1 }]))), 'unknown_format')
    expect(keys.message).toBe('line 1: no record has a known set of fields (zsRE MEND/EasyEdit, CounterFact EasyEdit/ROME, or prompt+target); ' +
      `the first has keys "k\\u000a${'y'.repeat(38)}…"`)
  })

  it('a NUL inside a field is refused with its own error, in every container (issue 11)', async () => {
    const nul = 'contains a NUL character (U+0000), which breaks exports and terminals'
    const jsonl = await importBytes(enc('{"prompt":"p\\u0000q","target":"t"}\n{"prompt":"p","target":"t"}\n'), { name: 'n.jsonl' })
    expect(jsonl.errors.map(formatIssue)).toEqual([`line 1, field "prompt": ${nul}`])
    expect(jsonl.records).toHaveLength(1)
    const csv = await importBytes(enc('prompt,target\np,t\u0000\n'), { name: 'n.csv' })
    expect(csv.errors.map(formatIssue)).toEqual([`line 2, field "target": ${nul}`])
    const arr = await importBytes(enc('[{"prompt":"p","target":"t","rephrases":["a\\u0000"]}]'))
    expect(arr.errors.map(formatIssue)).toEqual([`line 1, column 2 (record 1), field "rephrases[0]": ${nul}`])
  })

  it('one size limit for every container, checked before reading', async () => {
    for (const [name, text] of [['big.json', CF_EASYEDIT], ['big.jsonl', good(1)], ['big.csv', 'prompt,target\np,t\n']]) {
      const f = join(dir, name)
      writeFileSync(f, text)
      const e = await importError(importFile(f, { limits: { maxFileBytes: 10 } }), 'too_large')
      expect(e.message).toBe(`${f} is 0.0 MiB; the limit is 0.0 MiB (split it into smaller files)`)
      expect(e.toData()).toEqual({ code: 'too_large', message: e.message })
      await importError(importBytes(enc(text), { name, limits: { maxFileBytes: 10 } }), 'too_large')
    }
    // a 1 TiB file (sparse: it takes no disk) is refused at once; reading it would never end
    const huge = join(dir, 'huge.jsonl')
    writeFileSync(huge, '')
    truncateSync(huge, 2 ** 40)
    expect((await importError(importFile(huge), 'too_large')).message).toBe(`${huge} is 1048576.0 MiB; the limit is 256.0 MiB (split it into smaller files)`)
  })

  it('an over-long JSONL line is an error for that line only', async () => {
    const text = [good(1), line({ prompt: 'p', target: 'y'.repeat(500) }), good(3)].join('\n')
    const r = await importBytes(enc(text), { limits: { maxLineBytes: 100 }, chunkBytes: 16 })
    expect(r.records).toHaveLength(2)
    expect(r.errors.map(formatIssue)).toEqual(['line 2: the line is 526 bytes long; the limit is 100'])
  })

  it('caps the error list and counts the rest', async () => {
    const text = Array.from({ length: 50 }, () => '{"prompt": 1, "target": "t"}').join('\n') + '\n' + good(51)
    const r = await importBytes(enc(text), { limits: { maxErrors: 10 } })
    expect(r.errors).toHaveLength(10)
    expect(r.omittedErrors).toBe(40)
    expect(r.records).toHaveLength(1)
  })
})
