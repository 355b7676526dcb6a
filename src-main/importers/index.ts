import { createReadStream } from 'node:fs'
import { open, readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { JsonCollector } from './collect'
import { readCsv } from './csv'
import { readJsonArray } from './json-array'
import { readJsonl } from './jsonl'
import { chunksOf, decodeUtf8, hasBom, type ByteSource } from './lines'
import {
  DEFAULT_LIMITS, ImportError, quote, type Container, type ImportLimits, type ImportOptions, type ImportResult, type ZsreTarget
} from './types'

export * from './types'
export { detectShape, type JsonShape } from './shapes'

/**
 * Default zsRE target: 'alt', as EasyEdit does. The shipped zsRE/CounterFact splits are EasyEdit's, alt is
 * counterfactual so an edit is always a visible change (answers[0] is often what the model already says; see
 * `pred` in the MEND data), and CounterFact edits are counterfactual too. Pass 'answers' for ROME/MEND/GRACE
 * numbers; the result's zsreTarget says which was used.
 */
export const DEFAULT_ZSRE_TARGET: ZsreTarget = 'alt'

/** Bytes looked at to decide the format. */
const SNIFF_BYTES = 64 * 1024

/**
 * Decides the container. An explicit extension is trusted (.jsonl/.ndjson, .csv): then a bad first line is one
 * bad record, not a reason to read the file as something else. Otherwise (.json, .txt, none) the first bytes
 * decide: "[" is a JSON array, "{" is JSONL, and a header naming prompt and target is CSV.
 */
export function sniffContainer(head: Uint8Array, name = ''): Container {
  const text = decodeUtf8(hasBom(head) ? head.subarray(3) : head).text
  const start = text.search(/\S/)
  if (start < 0) throw new ImportError('empty_file', `${name || 'the input'} holds only whitespace`)
  const ext = extname(name).toLowerCase()
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl'
  if (ext === '.csv') return 'csv'
  const first = text[start]
  if (first === '[') return 'json-array'
  if (first === '{') {
    const firstLine = text.slice(start).split('\n', 1)[0].trim()
    if (firstLine === '{') {
      throw new ImportError('unknown_format',
        'the file holds a JSON object spread over several lines; expected a JSON array of records or JSONL (one object per line)', 1)
    }
    return 'jsonl'
  }
  const header = text.slice(start).split(/\r?\n/, 1)[0].toLowerCase()
  if (header.includes(',') && /\bprompt\b/.test(header) && /\btarget(_new)?\b/.test(header)) return 'csv'
  throw new ImportError('unknown_format',
    `cannot tell the format${name ? ` of ${name}` : ''}: expected a JSON array ("["), JSONL ("{" on each line) or CSV ` +
    `with a header naming prompt and target; it starts with ${quote(text.slice(start), 40)}`)
}

function limitsOf(opts: ImportOptions): ImportLimits {
  return { ...DEFAULT_LIMITS, ...opts.limits }
}

/** Parses a container whose bytes come from `source` (whole bytes for JSON arrays). */
async function parse(container: Container, whole: () => Promise<Uint8Array>, source: () => ByteSource, opts: ImportOptions): Promise<ImportResult> {
  const limits = limitsOf(opts)
  if (container === 'csv') return readCsv(source(), limits)
  const out = new JsonCollector({ limits, zsreTarget: opts.zsreTarget ?? DEFAULT_ZSRE_TARGET })
  if (container === 'json-array') readJsonArray(await whole(), out)
  else if ((await readJsonl(source(), out, limits.maxLineBytes)) === 0) throw new ImportError('empty_file', 'the file has no non-blank lines')
  return out.finish(container)
}

export interface ImportBytesOptions extends ImportOptions {
  /** A file name, for the extension hint and messages. */
  name?: string
  /** Feed line readers this many bytes at a time (tests use small values to cross chunk boundaries). */
  chunkBytes?: number
}

/** Imports records from bytes already in memory (a drop, a paste, a test sample). */
export async function importBytes(bytes: Uint8Array, opts: ImportBytesOptions = {}): Promise<ImportResult> {
  const name = opts.name ?? 'the input'
  if (bytes.length === 0) throw new ImportError('empty_file', `${name} is empty`)
  const limits = limitsOf(opts)
  if (bytes.length > limits.maxFileBytes) throw tooLarge(name, bytes.length, limits)
  const container = opts.container ?? sniffContainer(bytes.subarray(0, SNIFF_BYTES), opts.name)
  return parse(container, async () => bytes, () => chunksOf(bytes, opts.chunkBytes ?? SNIFF_BYTES), opts)
}

/**
 * Imports edit records from a file: detects the container (JSON array, JSONL, CSV) by content and extension
 * and the record convention by field names, and says which in the result. The size limit is checked before any
 * byte is read; JSONL and CSV are streamed.
 * Throws only ImportError (file-level problems); per-record problems come back in `errors`.
 */
export async function importFile(path: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const limits = limitsOf(opts)
  try {
    const st = await stat(path)
    if (!st.isFile()) throw new ImportError('unreadable', `${path} is not a regular file`)
    if (st.size === 0) throw new ImportError('empty_file', `${path} is empty`)
    if (st.size > limits.maxFileBytes) throw tooLarge(path, st.size, limits)
    const container = opts.container ?? sniffContainer(await readHead(path), path)
    return await parse(container, () => readFile(path), () => createReadStream(path, { highWaterMark: SNIFF_BYTES }), opts)
  } catch (e) {
    throw asImportError(e, path)
  }
}

async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r')
  try {
    const buf = Buffer.alloc(SNIFF_BYTES)
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}

function tooLarge(name: string, size: number, limits: ImportLimits): ImportError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`
  return new ImportError('too_large', `${name} is ${mb(size)}; the limit is ${mb(limits.maxFileBytes)} (split it into smaller files)`)
}

/** File-system failures (they carry a string `code` such as ENOENT) become ImportErrors; bugs stay bugs. */
function asImportError(e: unknown, path: string): unknown {
  if (e instanceof ImportError) return e
  const code = (e as { code?: unknown })?.code
  if (typeof code !== 'string') return e
  if (code === 'ENOENT') return new ImportError('not_found', `${path} does not exist`)
  return new ImportError('unreadable', `cannot read ${path}: ${code} (${(e as Error).message})`)
}
