import type { JsonCollector } from './collect'
import { badUtf8Lines, decodeUtf8, hasBom } from './lines'
import { ImportError } from './types'

const C_NL = 10
const C_QUOTE = 34
const C_BACKSLASH = 92
const C_COMMA = 44
const C_OPEN_BRACE = 123
const C_OPEN_BRACKET = 91
const C_CLOSE_BRACE = 125
const C_CLOSE_BRACKET = 93

/**
 * Reads a JSON array of records. Rather than one JSON.parse of the whole text (which stops at the first flaw and
 * gives no line), the top-level elements are found by a small scanner that tracks strings and bracket depth;
 * each element is then parsed on its own. So every record knows the line it starts on, a broken record spoils
 * only itself, and a truncated file still yields the records before the cut.
 */
export function readJsonArray(bytes: Uint8Array, out: JsonCollector): void {
  const body = hasBom(bytes) ? bytes.subarray(3) : bytes
  let decoded: { text: string; bad: boolean }
  try {
    decoded = decodeUtf8(body)
  } catch (e) {
    // only reachable when the caller raised limits.maxJsonBytes past what a JS string can hold
    throw new ImportError('too_large', `the JSON array cannot be held as one string (${e instanceof Error ? e.message : String(e)}); use JSONL`)
  }
  const { text, bad } = decoded
  const badLines = bad ? badUtf8Lines(body) : new Set<number>()
  const n = text.length
  let i = 0
  let line = 1
  const skipWs = () => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i)
      if (c === C_NL) line++
      else if (c !== 32 && c !== 9 && c !== 13) break
    }
  }

  /** Parses one top-level element spanning lines startLine..endLine. */
  const element = (slice: string, startLine: number, endLine: number) => {
    const badLine = firstIn(badLines, startLine, endLine)
    if (badLine !== undefined) { out.addBroken(badLine, 'invalid UTF-8 byte sequence'); return }
    let value: unknown
    try {
      value = JSON.parse(slice)
    } catch (e) {
      const { message, position } = describeJsonError(e)
      out.addBroken(position === undefined ? startLine : startLine + countNewlines(slice, position), `invalid JSON: ${message}`)
      return
    }
    out.addValue(value, startLine)
  }

  skipWs()
  if (text.charCodeAt(i) !== C_OPEN_BRACKET) {
    throw new ImportError('unknown_format', `expected a JSON array starting with "[", found ${JSON.stringify(text.slice(i, i + 20))}`, line)
  }
  i++
  for (;;) {
    skipWs()
    if (i >= n) { out.addNote(line, 'the file ends before the array\'s closing "]" (truncated?)'); return }
    const c = text.charCodeAt(i)
    if (c === C_CLOSE_BRACKET) break
    if (c === C_COMMA) { out.addNote(line, 'unexpected "," (an empty array element)'); i++; continue }

    const start = i
    const startLine = line
    let depth = 0
    let inString = false
    for (; i < n; i++) {
      const ch = text.charCodeAt(i)
      if (ch === C_NL) line++
      if (inString) {
        if (ch === C_BACKSLASH) { i++; if (text.charCodeAt(i) === C_NL) line++ }
        else if (ch === C_QUOTE) inString = false
        continue
      }
      if (ch === C_QUOTE) inString = true
      else if (ch === C_OPEN_BRACE || ch === C_OPEN_BRACKET) depth++
      else if (ch === C_CLOSE_BRACE || ch === C_CLOSE_BRACKET) {
        if (depth > 0) depth--
        else if (ch === C_CLOSE_BRACKET) break // the array's own "]"
      } else if (ch === C_COMMA && depth === 0) break
    }
    const atEnd = i >= n
    // At the end of the text, an element that closed all its brackets is whole; only the array's "]" is missing.
    if (atEnd && (depth > 0 || inString)) {
      out.addBroken(startLine, 'the record is truncated: the file ends inside it')
      return
    }
    element(text.slice(start, i), startLine, line)
    if (atEnd) { out.addNote(line, 'the file ends before the array\'s closing "]" (truncated?)'); return }
    if (text.charCodeAt(i) === C_COMMA) i++
  }
  i++
  skipWs()
  if (i < n) out.addNote(line, 'unexpected text after the array\'s closing "]"')
}

function firstIn(set: Set<number>, from: number, to: number): number | undefined {
  if (set.size === 0) return undefined
  for (let l = from; l <= to; l++) if (set.has(l)) return l
  return undefined
}

function countNewlines(s: string, end: number): number {
  let k = 0
  for (let j = 0; j < end && j < s.length; j++) if (s.charCodeAt(j) === C_NL) k++
  return k
}

/**
 * V8's JSON.parse message without the echoed input (which can be megabytes), plus the offset when given:
 * 'Expected \',\' or \'}\' after property value in JSON at position 7' → position 7.
 */
export function describeJsonError(e: unknown): { message: string; position?: number } {
  const raw = e instanceof Error ? e.message : String(e)
  const pos = / in JSON at position (\d+)/.exec(raw)
  const message = raw
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/, ".*" is not valid JSON$/s, '')
    .slice(0, 200)
  return pos ? { message, position: Number(pos[1]) } : { message }
}
