import type { JsonCollector } from './collect'
import { decodeUtf8, firstBadUtf8, hasBom } from './lines'
import { detectShape } from './shapes'
import { excerpt, ImportError, quote, type Place } from './types'

const NL = 10
const CR = 13
const SPACE = 32
const TAB = 9
const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93

const isWs = (c: number): boolean => c === SPACE || c === NL || c === CR || c === TAB

/**
 * Reads a JSON array of records. Rather than one JSON.parse of the whole text (which stops at the first flaw and
 * gives no line), a small scanner finds the top-level elements in the bytes, and each is decoded and parsed on its
 * own. The scanner works on bytes, not decoded text: JSON's structural characters are ASCII and never occur inside
 * a multi-byte UTF-8 sequence, so offsets are byte offsets and a bad byte spoils only the record holding it, even
 * when the whole file is one line (the MEND zsRE file is).
 *
 * A broken record (a lost quote or brace, text after a value, a cut-off end) throws the scanner's idea of where
 * strings and records end. So after one, the reader resynchronises: the next record starts at the first "{" that
 * follows a ",", "[", "}" or "]" and opens an object that parses, ends before a "," or "]", and has the fields of a known
 * record shape (a nested locality object {prompt, answer} does not). The bytes in between are one error. Every byte
 * of the file thus ends up in a record, in an error, or in the array's own punctuation.
 */
export function readJsonArray(bytes: Uint8Array, out: JsonCollector): void {
  // offsets and columns count the BOM, as an editor showing the file's bytes would
  new ArrayReader(bytes, out).read(hasBom(bytes) ? 3 : 0)
}

class ArrayReader {
  private readonly n: number
  /** Where locate() last stopped, so line numbers cost one pass over the file. */
  private cursor = { offset: 0, line: 1, lineStart: 0 }
  /** 1-based position of the next element in the array. */
  private record = 1
  /**
   * Bytes candidate records may still scan and parse while resynchronising. Each candidate costs up to the rest of
   * the file, so without a cap a file of nested "[{[{[{…" would take quadratic time; real files use a fraction.
   */
  private resyncBudget: number

  constructor(private readonly b: Uint8Array, private readonly out: JsonCollector) {
    this.n = b.length
    this.resyncBudget = 4 * b.length + (1 << 20)
  }

  read(from: number): void {
    let i = this.skipWs(from)
    if (this.b[i] !== OPEN_BRACKET) {
      const { text } = decodeUtf8(this.b.subarray(i, i + 20))
      throw new ImportError('unknown_format', `expected a JSON array starting with "[", found ${quote(text, 20)}`, this.locate(i).line)
    }
    i++
    for (;;) {
      i = this.skipWs(i)
      if (i >= this.n) { this.out.addNote(this.locate(i), 'the file ends before the array\'s closing "]" (truncated?)'); return }
      const c = this.b[i]
      if (c === CLOSE_BRACKET) {
        // a "]" with records after it is a stray one, not the end: read on
        const resume = this.skipWs(i + 1) < this.n ? this.nextRecordStart(i) : -1
        if (resume < 0) break
        this.out.addNote(this.locate(i), 'unexpected "]" before the end of the array')
        i = resume
        continue
      }
      if (c === COMMA) { this.out.addNote(this.locate(i), 'unexpected "," (an empty array element)'); i++; continue }
      i = this.element(i)
      if (i < 0) return // a record cut off by the end of the file, already reported
      if (i >= this.n) { this.out.addNote(this.locate(i), 'the file ends before the array\'s closing "]" (truncated?)'); return }
      if (this.b[i] === COMMA) i++
      // a "]" ends the loop above; a "{" right after a record is a missing comma, noted by element()
    }
    i = this.skipWs(i + 1)
    if (i < this.n) this.out.addNote(this.locate(i), 'unexpected text after the array\'s closing "]"')
  }

  /** Reads the element at `start`; returns the offset of what follows it (",", "]", "{", the end), or -1 when done. */
  private element(start: number): number {
    const at = this.place(start)
    const end = this.valueEnd(start)
    const next = end < 0 ? this.n : this.skipWs(end)
    const follows = next < this.n ? this.b[next] : -1
    if (end < 0 || (follows !== -1 && follows !== COMMA && follows !== CLOSE_BRACKET && follows !== OPEN_BRACE)) return this.broken(start, at, end < 0)
    const parsed = parseJson(this.b.subarray(start, end))
    // "[" before a record's "{" (an extra or misplaced bracket) would make the records after it one array element
    if (parsed.ok && Array.isArray(parsed.value) && isWithin(this.nextRecordStart(start), start, end)) return this.broken(start, at, false)
    if (parsed.ok) this.out.addValue(parsed.value, at)
    // a bad byte in a value that is whole apart from it spoils this record only
    else if (parsed.badUtf8 && parseJson(this.b.subarray(start, end), true).ok) {
      this.out.addBroken({ ...this.locate(start + (parsed.byteOffset ?? 0)), record: at.record }, parsed.message)
    } else return this.broken(start, at, false)
    if (follows === OPEN_BRACE) this.out.addNote(this.locate(end), 'expected "," between two records')
    return next
  }

  /** The element at `start` is not a whole JSON value: it runs up to the next record start, and is one error. */
  private broken(start: number, at: Place, unclosed: boolean): number {
    const resume = this.nextRecordStart(start)
    let to = resume
    if (to < 0) {
      // no record follows: the break runs to the end, less the array's own "]" if the file still ends with one
      to = this.n
      const last = this.prevNonWs(this.n)
      if (last > start && this.b[last] === CLOSE_BRACKET) to = last
    }
    const span = this.trimSeparator(start, to)
    const failure = jsonFailure(this.b.subarray(start, span))
    let where = start + (failure.byteOffset ?? span - start)
    let message = failure.badUtf8 ? failure.message : `invalid JSON: ${failure.message}`
    if (unclosed && to === this.n) {
      where = start
      message = 'the record is truncated: the file ends inside it'
    }
    if (resume >= 0) {
      const next = this.peek(resume)
      message += `; reading resumed at the next record, line ${next.line}, column ${next.column}`
    }
    this.out.addBroken({ ...this.locate(Math.max(start, Math.min(where, span - 1))), record: at.record }, message)
    return to === this.n ? -1 : to
  }

  /** The first offset after `from` where a record plausibly starts (see readJsonArray), or -1. */
  private nextRecordStart(from: number): number {
    for (let q = this.b.indexOf(OPEN_BRACE, from + 1); q >= 0 && this.resyncBudget > 0; q = this.b.indexOf(OPEN_BRACE, q + 1)) {
      const before = this.b[this.prevNonWs(q)]
      if (before !== COMMA && before !== OPEN_BRACKET && before !== CLOSE_BRACE && before !== CLOSE_BRACKET) continue
      const end = this.valueEnd(q)
      this.resyncBudget -= (end < 0 ? this.n : end) - q
      if (end < 0) continue
      const next = this.skipWs(end)
      if (next < this.n && this.b[next] !== COMMA && this.b[next] !== CLOSE_BRACKET && this.b[next] !== OPEN_BRACE) continue
      // lenient decoding: a record with a bad byte is still a record start; element() reports the byte
      const parsed = parseJson(this.b.subarray(q, end), true)
      if (parsed.ok && isObject(parsed.value) && detectShape(parsed.value) !== null) return q
    }
    return -1
  }

  /**
   * The end (exclusive) of the JSON value starting at `i`, found by matching brackets outside strings, or -1 when the
   * file ends first. Scalars end at the next separator. Mismatched brackets are left for JSON.parse to name.
   */
  private valueEnd(i: number): number {
    const { b, n } = this
    const c = b[i]
    if (c === QUOTE) return this.stringEnd(i + 1)
    if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
      let j = i
      while (j < n && !isWs(b[j]) && b[j] !== COMMA && b[j] !== CLOSE_BRACKET && b[j] !== CLOSE_BRACE && b[j] !== OPEN_BRACE) j++
      return j
    }
    let depth = 0
    for (let j = i; j < n; j++) {
      const ch = b[j]
      if (ch === QUOTE) {
        j = this.stringEnd(j + 1) - 1
        if (j < 0) return -1
      } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) depth++
      else if ((ch === CLOSE_BRACE || ch === CLOSE_BRACKET) && --depth === 0) return j + 1
    }
    return -1
  }

  /** The offset just past the closing quote of a string whose body starts at `i`, or -1. */
  private stringEnd(i: number): number {
    const { b, n } = this
    for (let j = i; j < n; j++) {
      if (b[j] === BACKSLASH) j++
      else if (b[j] === QUOTE) return j + 1
    }
    return -1
  }

  /** The end of [from, to) without the whitespace and "," that separate it from the next record. */
  private trimSeparator(from: number, to: number): number {
    while (to > from && isWs(this.b[to - 1])) to--
    if (to > from + 1 && this.b[to - 1] === COMMA) to--
    while (to > from && isWs(this.b[to - 1])) to--
    return to
  }

  private skipWs(i: number): number {
    while (i < this.n && isWs(this.b[i])) i++
    return i
  }

  private prevNonWs(i: number): number {
    let j = i - 1
    while (j >= 0 && isWs(this.b[j])) j--
    return j
  }

  /** Where the element at `offset` starts, numbered; advances the element count. */
  private place(offset: number): Place {
    return { ...this.locate(offset), record: this.record++ }
  }

  /** Line and 1-based byte column of `offset`, moving the cursor there (either way). */
  private locate(offset: number): { line: number; column: number } {
    const c = this.cursor
    const b = this.b
    if (offset >= c.offset) {
      for (let j = c.offset; j < offset && j < this.n; j++) if (b[j] === NL) { c.line++; c.lineStart = j + 1 }
    } else {
      for (let j = c.offset - 1; j >= offset; j--) if (b[j] === NL) c.line--
      c.lineStart = b.lastIndexOf(NL, offset - 1) + 1
    }
    c.offset = offset
    return { line: c.line, column: offset - c.lineStart + 1 }
  }

  /** locate() without moving the cursor past the problem still to be reported. */
  private peek(offset: number): { line: number; column: number } {
    const saved = { ...this.cursor }
    const at = this.locate(offset)
    this.cursor = saved
    return at
  }
}

const isWithin = (x: number, from: number, to: number): boolean => x > from && x < to
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

type Failure = { message: string; badUtf8: boolean; byteOffset?: number }
type Parsed = { ok: true; value: unknown } | ({ ok: false } & Failure)

/** Decodes (strictly unless `lenient`) and parses one element; a failure says where, in bytes from its start. */
function parseJson(bytes: Uint8Array, lenient = false): Parsed {
  const { text, bad } = decodeUtf8(bytes)
  if (bad && !lenient) return { ok: false, badUtf8: true, message: 'invalid UTF-8 byte sequence', byteOffset: firstBadUtf8(bytes) }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (e) {
    const { message, position } = describeJsonError(e)
    const byteOffset = position === undefined ? undefined : Buffer.byteLength(text.slice(0, position), 'utf8')
    return { ok: false, badUtf8: false, message, byteOffset }
  }
}

/** Why a broken span is not one JSON value. */
function jsonFailure(bytes: Uint8Array): Failure {
  const parsed = parseJson(bytes)
  // A span cut at a record start is never one whole value (element() took those); say so if it ever is.
  return parsed.ok ? { message: 'a value followed by unexpected text', badUtf8: false } : parsed
}

/**
 * V8's JSON.parse message without the echoed input (which can be megabytes), plus the offset when given:
 * 'Expected \',\' or \'}\' after property value in JSON at position 7' → position 7.
 */
export function describeJsonError(e: unknown): { message: string; position?: number } {
  const raw = e instanceof Error ? e.message : String(e)
  const pos = / in JSON at position (\d+)/.exec(raw)
  // V8 quotes the offending character raw, be it a NUL, a BOM or a line break
  const message = excerpt(raw.replace(/ in JSON at position \d+.*$/s, '').replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, ''), 200)
  return pos ? { message, position: Number(pos[1]) } : { message }
}
