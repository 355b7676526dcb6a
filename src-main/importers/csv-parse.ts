import type { Line } from './lines'

/** One CSV record as parsed, before any column meaning is applied. */
export interface CsvRow {
  /** Line the record starts on. */
  line: number
  cells: string[]
  /** Quoting problems by cell index (0-based). */
  problems: { cell: number; message: string }[]
  /** Cells whose text exceeded the limit and was cut (the record is rejected, memory stays bounded). */
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

/** Bytes of a multi-line record's lines kept for reading them again. */
const RETAINED_BYTES = 4 * 1024 * 1024

/**
 * RFC 4180 record reader fed one physical line at a time: a quoted field may hold commas, doubled quotes and
 * line breaks (kept as "\n"). Deviations are recorded as problems on the row instead of aborting the file.
 */
export class CsvRecordReader {
  private row: CsvRow | null = null
  private cur = ''
  private inQuotes = false
  private quoted = false
  private afterQuote = false
  private retained = 0

  constructor(private readonly maxFieldChars: number) {}

  /** Feeds a line; returns the finished record, or null when a quoted field continues on the next line. */
  feed(l: Line): CsvRow | null {
    const row = this.row ?? (this.row = { line: l.no, cells: [], problems: [], overflow: new Set(), lines: [] })
    this.retained += l.bytes
    if (row.lines && this.retained <= RETAINED_BYTES) row.lines.push(l)
    else row.lines = null
    if (l.badUtf8 && row.badUtf8Line === undefined) row.badUtf8Line = l.no
    if (l.tooLong && row.tooLongLine === undefined) row.tooLongLine = l.no
    if (this.inQuotes && l.no !== row.line) this.append('\n')
    const t = l.text
    for (let i = 0; i < t.length; i++) {
      const c = t[i]
      if (this.inQuotes) {
        if (c !== '"') {
          const next = t.indexOf('"', i)
          const end = next < 0 ? t.length : next
          this.append(t.slice(i, end))
          i = end - 1
        } else if (t[i + 1] === '"') { this.append('"'); i++ }
        else { this.inQuotes = false; this.afterQuote = true }
      } else if (c === ',') {
        this.endCell()
      } else if (c === '"' && this.cur === '' && !this.quoted) {
        this.inQuotes = true
        this.quoted = true
      } else {
        if (this.afterQuote) this.problem('text after a closing quote (quote the whole field and double inner quotes)')
        else if (c === '"') this.problem('a quote inside an unquoted field (quote the field and double the quote)')
        this.afterQuote = false
        this.append(c)
      }
    }
    if (this.inQuotes) return null
    return this.finish()
  }

  /** At end of input (or of the lines given): the record still open (an unterminated quote), if any. */
  end(unclosed = 'a quoted field is never closed (the file ends inside the quotes)'): CsvRow | null {
    if (!this.row) return null
    if (this.inQuotes) this.problem(unclosed)
    return this.finish()
  }

  private finish(): CsvRow {
    this.endCell()
    const row = this.row as CsvRow
    this.row = null
    this.inQuotes = false
    this.retained = 0
    return row
  }

  private endCell(): void {
    ;(this.row as CsvRow).cells.push(this.cur)
    this.cur = ''
    this.quoted = false
    this.afterQuote = false
  }

  private append(s: string): void {
    const row = this.row as CsvRow
    const cell = row.cells.length
    if (row.overflow.has(cell)) return
    if (this.cur.length + s.length > this.maxFieldChars) {
      row.overflow.add(cell)
      this.cur = this.cur.slice(0, this.maxFieldChars)
      return
    }
    this.cur += s
  }

  private problem(message: string): void {
    const row = this.row as CsvRow
    const cell = row.cells.length
    if (!row.problems.some((p) => p.cell === cell)) row.problems.push({ cell, message })
  }
}
