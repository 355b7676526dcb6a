import { describe, expect, it } from 'vitest'
import { importBytes, ImportError, sniffContainer, formatIssue } from '../../src-main/importers/index'
import { CF_EASYEDIT, CF_ROME, CSV, ELDER_JSONL, enc, ZSRE_EASYEDIT, ZSRE_MEND } from './samples'

describe('format detection and mapping', () => {
  it('zsRE MEND: alt by default, answers[0] on request; nq prefix stripped; says which target', async () => {
    const r = await importBytes(enc(ZSRE_MEND), { name: 'z.json' })
    expect(r).toMatchObject({ format: 'zsre-mend', container: 'json-array', total: 2, errors: [], zsreTarget: 'alt' })
    expect(r.records[0]).toEqual({
      prompt: 'What is the product made by Quillmark?', target: 'paper kite', groundTruth: 'lantern',
      rephrases: ['What will be the product of Quillmark?'],
      locality: [{ prompt: "who played the ferryman's daughter in harbour lights", answer: 'Mira Tessaly' }], subject: 'Quillmark', sourceLine: 2
    })
    const a = await importBytes(enc(ZSRE_MEND), { zsreTarget: 'answers' })
    expect(a.zsreTarget).toBe('answers')
    expect(a.records.map((x) => [x.target, x.groundTruth])).toEqual([['lantern', 'lantern'], ['1987', '1987']])
  })

  it('zsRE EasyEdit: list-valued ground truths take the first item', async () => {
    const r = await importBytes(enc(ZSRE_EASYEDIT))
    expect(r.format).toBe('zsre-easyedit')
    expect(r.zsreTarget).toBeUndefined()
    expect(r.records[0]).toMatchObject({ target: 'paper kite', groundTruth: 'lantern', locality: [{ answer: 'Mira Tessaly' }], sourceLine: 2 })
  })

  it('CounterFact EasyEdit: lines point at each record\'s "{"', async () => {
    const r = await importBytes(enc(CF_EASYEDIT))
    expect(r.format).toBe('counterfact-easyedit')
    expect(r.records.map((x) => x.sourceLine)).toEqual([2, 12])
    expect(r.records[1]).toEqual({
      prompt: 'The profession of Tamsin Orrow is', target: 'actor', groundTruth: 'politician', subject: 'Tamsin Orrow',
      rephrases: ['Tamsin Orrow is known for'], locality: [{ prompt: "Hadrik Vell's profession is a", answer: 'politician' }], sourceLine: 12
    })
  })

  it('CounterFact ROME: fills the subject into "{}", neighbours keep the true answer', async () => {
    const r = await importBytes(enc(CF_ROME))
    expect(r.format).toBe('counterfact-rome')
    expect(r.records[0]).toMatchObject({
      prompt: 'The mother tongue of Odile Marveaux is', target: 'Velmoran', groundTruth: 'Quenthish', relation: 'P103',
      subject: 'Odile Marveaux', locality: [{ prompt: 'The mother tongue of Léa Brunnor is', answer: 'Quenthish' }, { prompt: 'The native language of Castellane Oster is', answer: 'Quenthish' }]
    })
    expect(r.records[0].rephrases).toHaveLength(2)
    const dollar = CF_ROME.replace('Odile Marveaux"}', () => '$& Co"}')
    expect((await importBytes(enc(dollar))).records[0].prompt).toBe('The mother tongue of $& Co is')
  })

  it('project JSONL: every field, extra keys ignored, across tiny chunks', async () => {
    const r = await importBytes(enc(ELDER_JSONL + '\n{"prompt":"p","target":"t","form":"statement","template":0}\n'), { chunkBytes: 7 })
    expect(r).toMatchObject({ format: 'elder', container: 'jsonl', total: 3, errors: [] })
    expect(r.records[0]).toEqual({
      prompt: 'The capital of Velmora is', target: 'Brelo', groundTruth: 'Ostin', rephrases: ['Velmora has its capital in'],
      locality: [{ prompt: 'The capital of Quenth is', answer: 'Darro' }], subject: 'Velmora', relation: 'capital', sourceLine: 1
    })
    expect(r.records.map((x) => x.sourceLine)).toEqual([1, 2, 4])
  })

  it('CSV: BOM, CRLF, repeated rephrase columns, quotes with commas, doubled quotes and newlines', async () => {
    for (const chunkBytes of [5, 64 * 1024]) {
      const r = await importBytes(enc(CSV), { name: 'edits.csv', chunkBytes })
      expect(r).toMatchObject({ format: 'csv', container: 'csv', total: 2, errors: [], warnings: ['ignored column(s): "notes"'] })
      expect(r.records[0]).toEqual({
        prompt: 'The capital of Velmora is', target: 'Brelo', groundTruth: 'Ostin', rephrases: ['Velmora has its capital in'],
        locality: [{ prompt: 'The capital of Quenth is', answer: 'Darro' }], subject: 'Velmora', relation: 'capital', sourceLine: 2
      })
      expect(r.records[1]).toEqual({ prompt: 'He said "hi", then', target: 'Brelo', rephrases: ['a rephrase, with a comma', 'two-line\nrephrase'], locality: [], sourceLine: 3 })
    }
  })

  it('CSV: numbered rephrase/locality columns pair up; detected without the extension', async () => {
    const text = 'Prompt,Target,Rephrase1,rephrase_2,locality_prompt2,locality_answer1,locality_prompt1,locality_answer2\n' +
      'p,t,r1,r2,lp2,la1,lp1,la2\n'
    const r = await importBytes(enc(text))
    expect(r.records[0]).toMatchObject({ rephrases: ['r1', 'r2'], locality: [{ prompt: 'lp2', answer: 'la2' }, { prompt: 'lp1', answer: 'la1' }] })
  })

  it('CSV: columns named like Object.prototype members are just unknown columns', async () => {
    const r = await importBytes(enc('prompt,target,constructor,__proto__,toString\np,t,a,b,c\n'), { name: 'x.csv' })
    expect(r.records).toEqual([{ prompt: 'p', target: 't', rephrases: [], locality: [], sourceLine: 2 }])
    expect(r.warnings).toEqual(['ignored column(s): "constructor", "__proto__", "toString"'])
  })

  it('trusts an explicit extension; sniffs the content of .json and unnamed files', () => {
    expect(sniffContainer(enc('  \n[{"a":1}]'), 'x.csv')).toBe('csv')
    expect(sniffContainer(enc('[]\n{"prompt":"p","target":"t"}\n'), 'x.jsonl')).toBe('jsonl')
    expect(sniffContainer(enc('42\n'), 'x.NDJSON')).toBe('jsonl')
    expect(sniffContainer(enc('  \n[{"a":1}]'), 'x.json')).toBe('json-array')
    expect(sniffContainer(enc('{"prompt":"p","target":"t"}\n'), 'x.json')).toBe('jsonl')
    expect(sniffContainer(enc('prompt,target\n1,2\n'))).toBe('csv')
    expect(sniffContainer(enc('a,b\n1,2\n'), 'x.CSV')).toBe('csv')
    expect(() => sniffContainer(enc('{\n  "prompt": "p"\n}\n'), 'x.json')).toThrow(/JSON object spread over several lines/)
    expect(() => sniffContainer(enc('hello world'), 'x.txt')).toThrow(ImportError)
    expect(() => sniffContainer(enc(' \n\t '))).toThrow(/only whitespace/)
  })

  it('a bad first line in a .jsonl file is one bad record, not a reason to refuse the file (issue 11)', async () => {
    for (const first of ['[]', '42', '[{"prompt":"p0","target":"t0"}]']) {
      const r = await importBytes(enc(`${first}\n{"prompt":"p","target":"t"}\n`), { name: 'edits.jsonl' })
      expect(r).toMatchObject({ container: 'jsonl', total: 2, records: [{ prompt: 'p', sourceLine: 2 }] })
      expect(r.errors.map(formatIssue)).toEqual([`line 1: expected a JSON object for a record, got ${first === '42' ? 'number' : 'array'}`])
    }
  })

  it('renders issues as "line N, field F: message"', () => {
    expect(formatIssue({ line: 3, field: 'target', message: 'expected a non-empty string' })).toBe('line 3, field "target": expected a non-empty string')
    expect(formatIssue({ line: 4, field: null, message: 'invalid JSON' })).toBe('line 4: invalid JSON')
    expect(formatIssue({ line: 1, column: 31, record: 2, field: 'target', message: 'expected a string' })).toBe('line 1, column 31 (record 2), field "target": expected a string')
  })
})
