/** Byte-level line splitting and strict UTF-8 decoding, shared by the JSONL, CSV and JSON-array readers. */

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>

export interface Line {
  /** 1-based line number. */
  no: number
  /** Decoded text without its line end; U+FFFD where bytes were not UTF-8 (then badUtf8 is set). */
  text: string
  badUtf8: boolean
  /** Longer than the limit: text is '' and the bytes were dropped, not buffered. */
  tooLong: boolean
  bytes: number
  /** Ended by "\n"; only the last line of a file can lack one. */
  eol: boolean
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true })
const NL = 0x0a
const CR = 0x0d

/** Decodes strictly; on invalid UTF-8 falls back to U+FFFD replacement and says so. */
export function decodeUtf8(bytes: Uint8Array): { text: string; bad: boolean } {
  try {
    return { text: strict.decode(bytes), bad: false }
  } catch {
    return { text: lenient.decode(bytes), bad: true }
  }
}

export function hasBom(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf
}

/**
 * Splits a byte stream on "\n" (a trailing "\r" is dropped) and decodes each line on its own, so a bad byte
 * spoils one line, and memory stays at one line plus one chunk. A UTF-8 BOM on line 1 is dropped.
 */
export async function* readLines(source: ByteSource, maxLineBytes: number): AsyncGenerator<Line> {
  let parts: Uint8Array[] = []
  let size = 0
  let no = 1
  const take = (piece: Uint8Array) => {
    size += piece.length
    if (size <= maxLineBytes) parts.push(piece)
    else parts = [] // too long: count the bytes, keep none
  }
  const emit = (eol: boolean): Line => {
    const line = finishLine(parts, size, no, maxLineBytes, eol)
    parts = []
    size = 0
    no++
    return line
  }
  for await (const chunk of source) {
    let start = 0
    for (;;) {
      const nl = chunk.indexOf(NL, start)
      if (nl < 0) break
      take(chunk.subarray(start, nl))
      yield emit(true)
      start = nl + 1
    }
    if (start < chunk.length) take(chunk.subarray(start))
  }
  if (size > 0) yield emit(false)
}

function finishLine(parts: Uint8Array[], size: number, no: number, maxLineBytes: number, eol: boolean): Line {
  if (size > maxLineBytes) return { no, text: '', badUtf8: false, tooLong: true, bytes: size, eol }
  let bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, size)
  if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1)
  if (no === 1 && hasBom(bytes)) bytes = bytes.subarray(3)
  const { text, bad } = decodeUtf8(bytes)
  return { no, text, badUtf8: bad, tooLong: false, bytes: size, eol }
}

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629), or -1 when all are. */
export function firstBadUtf8(b: Uint8Array): number {
  const n = b.length
  for (let i = 0; i < n;) {
    const c = b[i]
    if (c < 0x80) { i++; continue }
    let len: number
    let lo = 0x80
    let hi = 0xbf
    if (c >= 0xc2 && c <= 0xdf) len = 2
    else if (c >= 0xe0 && c <= 0xef) {
      len = 3
      if (c === 0xe0) lo = 0xa0 // overlong
      else if (c === 0xed) hi = 0x9f // UTF-16 surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4
      if (c === 0xf0) lo = 0x90 // overlong
      else if (c === 0xf4) hi = 0x8f // past U+10FFFF
    } else return i
    if (i + 1 >= n || b[i + 1] < lo || b[i + 1] > hi) return i
    for (let k = 2; k < len; k++) if (i + k >= n || (b[i + k] & 0xc0) !== 0x80) return i
    i += len
  }
  return -1
}

/** Fixed-size slices of an in-memory buffer, standing in for a file stream. */
export function* chunksOf(bytes: Uint8Array, chunkBytes: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, Math.min(bytes.length, i + chunkBytes))
}
