// CSV records from physical lines, parsed by the maintained `csv-parse` package (issue 13: quoting, embedded line
// breaks and BOMs are what it already handles). This file only decides which lines make one record, keeps the
// line numbers, bad-byte and length marks our messages need, and turns csv-parse's errors into our words.
import { CsvError, parse } from 'csv-parse/sync'
import type { Line } from './lines'

/** One CSV record as parsed, before any column meaning is applied. */
export interface CsvRow {
  /** Line the record starts on. */
  line: number
  cells: string[]
  /** Quoting problems by cell index (0-based). */
  problems: { cell: number; message: string }[]
  /** Cells whose text exceeded the limit (the record is rejected; the text is cut so memory stays bounded). */
  overflow: Set<number>
  /** First physical line of the record with invalid UTF-8, if any. */
  badUtf8Line?: number
  /** First physical line that exceeded the byte limit, if any. */
  tooLongLine?: number
  /**
   * The physical lines the record was read from, so a record that a stray quote ran over several lines can be read
   * again line by line; null when they passed RETAINED_BYTES (then it stays one record).
   */
  lines: Line[] | null
}

/** Bytes of a multi-line record's text kept for parsing and for reading its lines again. */
const RETAINED_BYTES = 4 * 1024 * 1024

/** csv-parse's error codes, in the project's words (the field is named by the caller). */
const MESSAGES: Readonly<Record<string, string>> = {
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field (quote the field and double the quote)',
  CSV_INVALID_CLOSING_QUOTE: 'text after a closing quote (quote the whole field and double inner quotes)'
}

function quotes(text: string): number {
  let n = 0
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) n++
  return n
}

/** A record's lines, not parsed yet: parseRecords parses many at once (one csv-parse call per call is slow). */
export interface RawRecord {
  row: CsvRow
  text: string
  /** The input ended inside a quoted field: the message to give it. */
  unclosed: string | null
  /** Its last line ended with a line break (a cut file's last row has none). */
  ended: boolean
}

const OPTIONS = { relax_column_count: true, skip_empty_lines: false, record_delimiter: '\n', bom: false } as const

/**
 * Collects the lines of one record. RFC 4180: a line break ends a record unless a quoted field is open, i.e. unless
 * the record so far holds an odd number of quote characters. A stray quote thus runs a record over the next lines;
 * csv-parse then names it, and the CSV reader reads those lines again (csv.ts).
 */
export class CsvRecordReader {
  private row: CsvRow | null = null
  private text: string[] = []
  private retained = 0
  private open = false
  private ended = true

  /** Feeds a line; returns the finished record, or null when a quoted field continues on the next line. */
  feed(l: Line): RawRecord | null {
    const row = this.row ?? (this.row = { line: l.no, cells: [], problems: [], overflow: new Set(), lines: [] })
    this.retained += l.bytes
    if (row.lines && this.retained <= RETAINED_BYTES) {
      row.lines.push(l)
      this.text.push(l.text)
    } else row.lines = null
    if (l.badUtf8 && row.badUtf8Line === undefined) row.badUtf8Line = l.no
    if (l.tooLong && row.tooLongLine === undefined) row.tooLongLine = l.no
    if (quotes(l.text) % 2 === 1) this.open = !this.open
    this.ended = l.eol
    return this.open ? null : this.finish(null)
  }

  /** At end of input (or of the lines given): the record still open (an unterminated quote), if any. */
  end(unclosed = 'a quoted field is never closed (the file ends inside the quotes)'): RawRecord | null {
    return this.row ? this.finish(unclosed) : null
  }

  private finish(unclosed: string | null): RawRecord {
    const r: RawRecord = { row: this.row as CsvRow, text: this.text.join('\n'), unclosed, ended: this.ended }
    this.row = null
    this.text = []
    this.retained = 0
    this.open = false
    return r
  }
}

/**
 * Parses records into their rows' cells and problems: all in one csv-parse call when they read cleanly, else each
 * on its own so that every problem stays with its record.
 */
export function parseRecords(records: readonly RawRecord[], maxFieldChars: number): CsvRow[] {
  if (records.length > 1 && records.every((r) => r.unclosed === null && r.row.lines !== null)) {
    let all: string[][] | null = null
    try {
      all = parse(records.map((r) => r.text).join('\n'), OPTIONS) as string[][]
    } catch (e) {
      if (!(e instanceof CsvError)) throw e
    }
    if (all !== null && all.length === records.length) {
      return records.map((r, i) => withCells(r.row, all[i], maxFieldChars))
    }
  }
  return records.map((r) => parseOne(r, maxFieldChars))
}

function parseOne(r: RawRecord, maxFieldChars: number): CsvRow {
  const { row } = r
  let records: string[][]
  try {
    records = parse(r.text, OPTIONS) as string[][]
  } catch (e) {
    if (!(e instanceof CsvError)) throw e
    const cell = typeof e.index === 'number' ? e.index : 0
    if (e.code !== 'CSV_QUOTE_NOT_CLOSED') row.problems.push({ cell, message: MESSAGES[e.code] ?? `cannot be read as CSV (${e.code})` })
    // Past RETAINED_BYTES only a prefix was kept: the open field is too long to keep, not "never closed".
    else if (row.lines === null) row.overflow.add(cell)
    else row.problems.push({ cell, message: r.unclosed ?? 'a quoted field is never closed' })
    return row
  }
  const cells = records.length === 0 ? [''] : records[0]
  if (records.length > 1) row.problems.push({ cell: cells.length - 1, message: 'a line break outside quotes inside one record' })
  return withCells(row, cells, maxFieldChars)
}

function withCells(row: CsvRow, cells: string[], maxFieldChars: number): CsvRow {
  row.cells = cells.map((c, i) => {
    if (c.length <= maxFieldChars) return c
    row.overflow.add(i)
    return c.slice(0, maxFieldChars)
  })
  return row
}
