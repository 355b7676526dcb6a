import type { JsonCollector } from './collect'
import { describeJsonError } from './json-array'
import { readLines, type ByteSource } from './lines'

/** One JSON object per line; blank lines are skipped. Returns how many non-blank lines were seen. */
export async function readJsonl(source: ByteSource, out: JsonCollector, maxLineBytes: number): Promise<number> {
  let seen = 0
  for await (const l of readLines(source, maxLineBytes)) {
    if (l.tooLong) { seen++; out.addBroken({ line: l.no }, `the line is ${l.bytes} bytes long; the limit is ${maxLineBytes}`); continue }
    if (l.text.trim() === '') continue
    seen++
    if (l.badUtf8) { out.addBroken({ line: l.no }, 'invalid UTF-8 byte sequence'); continue }
    let value: unknown
    try {
      value = JSON.parse(l.text)
    } catch (e) {
      out.addBroken({ line: l.no }, `invalid JSON: ${describeJsonError(e).message}`)
      continue
    }
    out.addValue(value, { line: l.no })
  }
  return seen
}
