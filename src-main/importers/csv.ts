import { CsvRecordReader, parseRecords, type CsvRow, type RawRecord } from './csv-records'
import { FieldReader } from './fields'
import { readLines, type ByteSource, type Line } from './lines'
import {
  boundIssue, ImportError, quote, quoteList, type ImportLimits, type ImportResult, type LocalityPair, type RecordIssue
} from './types'

/** What each header column means. */
interface Columns {
  names: string[]
  prompt: number
  target: number
  groundTruth?: number
  subject?: number
  relation?: number
  rephrases: number[]
  locality: { prompt: number; answer: number }[]
  ignored: string[]
}

// A Map, not an object literal: a column named "constructor" must not find Object.prototype's.
const SINGLE = new Map<string, 'prompt' | 'target' | 'groundTruth' | 'subject' | 'relation'>([
  ['prompt', 'prompt'], ['target', 'target'], ['target_new', 'target'], ['ground_truth', 'groundTruth'],
  ['subject', 'subject'], ['relation', 'relation'], ['relation_id', 'relation']
])
const REPHRASE = /^(?:rephrases?|rephrase_prompt)_?(\d*)$/
const LOC_PROMPT = /^locality_prompt_?(\d*)$/
const LOC_ANSWER = /^(?:locality_answer|locality_ground_truth)_?(\d*)$/

/**
 * Header names are matched case-insensitively with spaces/hyphens read as "_". Rephrase columns may repeat or be
 * numbered (rephrase1, rephrase_2); locality_prompt/locality_answer columns pair by their number, or by order
 * when unnumbered. Unknown columns are ignored with a warning.
 */
export function mapHeader(row: CsvRow): Columns {
  if (row.problems.length > 0 || row.badUtf8Line !== undefined || row.tooLongLine !== undefined) {
    throw new ImportError('bad_header', 'the CSV header row is malformed (bad quoting, bytes or length)', row.line)
  }
  const names = row.cells.map((c) => c.trim().toLowerCase().replace(/[\s-]+/g, '_'))
  const cols: Partial<Columns> & { rephrases: number[]; locality: Columns['locality']; ignored: string[] } =
    { names, rephrases: [], locality: [], ignored: [] }
  const prompts = new Map<string, number>()
  const answers = new Map<string, number>()
  let unnumberedP = 0
  let unnumberedA = 0
  names.forEach((name, i) => {
    let m: RegExpExecArray | null
    const single = SINGLE.get(name)
    if (single) {
      if (cols[single] !== undefined) throw new ImportError('bad_header', `column ${quote(row.cells[i], 40)} appears more than once`, row.line, row.cells[i])
      cols[single] = i
    } else if (REPHRASE.test(name)) cols.rephrases.push(i)
    else if ((m = LOC_PROMPT.exec(name))) prompts.set(m[1] || `#${unnumberedP++}`, i)
    else if ((m = LOC_ANSWER.exec(name))) answers.set(m[1] || `#${unnumberedA++}`, i)
    else cols.ignored.push(row.cells[i])
  })
  for (const need of ['prompt', 'target'] as const) {
    if (cols[need] === undefined) {
      throw new ImportError('bad_header',
        `the CSV header has no "${need}" column (found: ${quoteList(row.cells)})`, row.line, need)
    }
  }
  for (const [key, p] of prompts) {
    const a = answers.get(key)
    if (a === undefined) throw new ImportError('bad_header', `column ${quote(row.cells[p], 40)} has no matching locality_answer column`, row.line, row.cells[p])
    cols.locality.push({ prompt: p, answer: a })
    answers.delete(key)
  }
  if (answers.size > 0) {
    const a = [...answers.values()][0]
    throw new ImportError('bad_header', `column ${quote(row.cells[a], 40)} has no matching locality_prompt column`, row.line, row.cells[a])
  }
  return cols as Columns
}

/**
 * One data row → record or issues. Empty cells mean "not given". A row with fewer cells than the header is an
 * error, not a row with the last columns empty: a lost comma or a cut would otherwise import shifted or shortened
 * values. `ended` is false for a last row with no line break after it, which a cut file has too.
 */
function mapRow(row: CsvRow, c: Columns, limits: ImportLimits, ended: boolean): { record?: ImportResult['records'][number]; issues: RecordIssue[] } {
  const r = new FieldReader(row.line, limits)
  const colName = (i: number) => c.names[i] ?? `column ${i + 1}`
  if (row.badUtf8Line !== undefined) r.issues.push({ line: row.badUtf8Line, field: null, message: 'invalid UTF-8 byte sequence' })
  if (row.tooLongLine !== undefined) r.issues.push({ line: row.tooLongLine, field: null, message: `the line is longer than ${limits.maxLineBytes} bytes` })
  // (an unclosed quote ran the rest of the row into one cell: that problem is named below, not the count)
  if (row.problems.length === 0 && row.cells.length !== c.names.length) {
    r.fail(null, `the row has ${plural(row.cells.length, 'field')}; the header has ${c.names.length}`)
  }
  if (!ended) r.fail(null, 'the last row has no line break after it, unlike the rows before it: the file may be cut short (if the row is whole, end it with a line break)')
  for (const p of row.problems) r.fail(colName(p.cell), p.message)
  for (const i of row.overflow) r.fail(colName(i), `is longer than ${limits.maxFieldChars} characters`)
  if (!r.ok) return { issues: r.issues }

  const cell = (i: number | undefined) => (i === undefined ? undefined : row.cells[i])
  const prompt = r.text(cell(c.prompt) ?? '', colName(c.prompt))
  const target = r.text(cell(c.target) ?? '', colName(c.target))
  const groundTruth = c.groundTruth === undefined ? undefined : r.optText(cell(c.groundTruth), colName(c.groundTruth))
  const subject = c.subject === undefined ? undefined : r.optText(cell(c.subject), colName(c.subject))
  const relation = c.relation === undefined ? undefined : r.optText(cell(c.relation), colName(c.relation))
  const rephrases: string[] = []
  for (const i of c.rephrases) { const s = r.optText(cell(i), colName(i)); if (s) rephrases.push(s) }
  const locality: LocalityPair[] = []
  for (const { prompt: pi, answer: ai } of c.locality) {
    const lp = r.optText(cell(pi), colName(pi))
    const la = r.optText(cell(ai), colName(ai))
    if (lp && la) locality.push({ prompt: lp, answer: la })
    else if (lp) r.fail(colName(ai), 'missing the answer for the locality prompt beside it')
    else if (la) r.fail(colName(pi), 'missing the locality prompt for the answer beside it')
  }
  if (!r.ok || prompt === undefined || target === undefined) return { issues: r.issues }
  const record: ImportResult['records'][number] = { prompt, target, rephrases, locality, sourceLine: row.line }
  if (groundTruth) record.groundTruth = groundTruth
  if (subject) record.subject = subject
  if (relation) record.relation = relation
  return { record, issues: [] }
}

/** One-line records parsed per csv-parse call. */
const PARSE_BATCH = 256

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`

const isBlank = (row: CsvRow) => row.problems.length === 0 && row.badUtf8Line === undefined &&
  row.tooLongLine === undefined && row.overflow.size === 0 && row.cells.every((x) => x.trim() === '')

/** Reads a CSV file with a header row, streaming line by line. */
export async function readCsv(source: ByteSource, limits: ImportLimits): Promise<ImportResult> {
  const reader = new CsvRecordReader()
  const res: ImportResult = { format: 'csv', container: 'csv', records: [], errors: [], omittedErrors: 0, total: 0, warnings: [] }
  let cols: Columns | null = null
  const take = (row: CsvRow | null, ended: boolean) => {
    if (row === null || isBlank(row)) return
    if (cols === null) {
      cols = mapHeader(row)
      if (cols.ignored.length) res.warnings.push(`ignored column(s): ${quoteList(cols.ignored)}`)
      return
    }
    res.total++
    const m = mapRow(row, cols, limits, ended)
    if (m.record) res.records.push(m.record)
    for (const i of m.issues) {
      if (res.errors.length < limits.maxErrors) res.errors.push(boundIssue(i))
      else res.omittedErrors++
    }
  }
  // Lines to read (again) before the next one from the file; see handle().
  const queue: Line[] = []
  // Bytes that may be read twice: a cap keeps a file of stray quotes linear.
  let rereadBudget = 64 * 1024 * 1024
  /** One-line records waiting to be parsed together (one csv-parse call each costs 4× the time), in file order. */
  let pending: Array<{ raw: RawRecord; ended: boolean }> = []
  const flush = () => {
    const rows = parseRecords(pending.map((p) => p.raw), limits.maxFieldChars)
    const ends = pending.map((p) => p.ended)
    pending = []
    rows.forEach((row, i) => take(row, ends[i]))
  }
  /**
   * A record over several lines that is broken (bad quoting, a field count unlike the header's) is most likely one
   * stray quote running the rows after it into one field. Its first line is then an error of its own and the lines
   * after it are read again as rows, so the good rows among them are kept. Only such a record is read again, so the
   * one-line records before it are taken first and the ones after it wait for it.
   */
  const handle = (raw: RawRecord, ended: boolean) => {
    if (raw.row.lines !== null && raw.row.lines.length < 2) {
      pending.push({ raw, ended })
      if (pending.length >= PARSE_BATCH) flush()
      return
    }
    flush()
    const [row] = parseRecords([raw], limits.maxFieldChars)
    const lines = row.lines
    const broken = cols !== null && (row.problems.length > 0 || row.cells.length !== cols.names.length)
    if (!broken || lines === null || lines.length < 2 || rereadBudget <= 0) { take(row, ended); return }
    const alone = new CsvRecordReader()
    const first = alone.feed(lines[0]) ?? alone.end('a quote opened on this line is never closed before the row could end')
    if (first) take(parseRecords([first], limits.maxFieldChars)[0], lines[0].eol)
    queue.unshift(...lines.slice(1))
    for (const l of lines.slice(1)) rereadBudget -= l.bytes
  }
  const drain = () => {
    for (let l = queue.shift(); l; l = queue.shift()) {
      const raw = reader.feed(l)
      if (raw) handle(raw, l.eol)
    }
  }
  for await (const l of readLines(source, limits.maxLineBytes)) {
    queue.push(l)
    drain()
  }
  // a quoted field still open at the end is an error of its own (csv-records.ts), or lines to read again
  for (let raw = reader.end(); raw; raw = reader.end()) {
    handle(raw, true)
    drain()
  }
  flush()
  if (cols === null) throw new ImportError('empty_file', 'the CSV file has no header row')
  if (res.total === 0) res.warnings.push('the CSV file has a header but no data rows')
  return res
}
