/** Shapes shared by the importers. Field names follow the store's EditInput so records insert as they are. */
import { MAX_IMPORT_BYTES } from '../../src-preload/contract'

export interface LocalityPair {
  prompt: string
  answer: string
}

/** One edit parsed from a file. Strings are trimmed (the model sees prompt + " " + target; the space is ours). */
export interface ImportedRecord {
  prompt: string
  target: string
  groundTruth?: string
  rephrases: string[]
  locality: LocalityPair[]
  subject?: string
  relation?: string
  /** 1-based line where the record starts in the file. */
  sourceLine: number
}

/** Record shape, i.e. which dataset convention the fields follow. */
export type ImportFormat =
  | 'zsre-mend' // MEND / ROME zsRE: src, answers, alt, rephrase, loc, loc_ans, subject
  | 'zsre-easyedit' // EasyEdit zsRE: prompt, target_new, ground_truth, rephrase_prompt, locality_*, subject
  | 'counterfact-easyedit' // the same fields plus case_id
  | 'counterfact-rome' // ROME counterfact.json: requested_rewrite, paraphrase_prompts, neighborhood_prompts
  | 'elder' // the project's edit records (scripts/world/format.ts)
  | 'csv' // a header row naming the columns

/** How records are laid out in the file. */
export type Container = 'json-array' | 'jsonl' | 'csv'

/** Which zsRE field becomes the target. 'alt' = EasyEdit (counterfactual); 'answers' = ROME/MEND/GRACE. */
export type ZsreTarget = 'alt' | 'answers'

/** Where a record or a problem is in the file. */
export interface Place {
  line: number
  /** 1-based byte column on `line`: where the problem is, or where the record starts (JSON arrays). */
  column?: number
  /** 1-based position of the record in a JSON array: it tells apart records that share a line (a one-line file). */
  record?: number
}

/** A problem with one record: `line` is where the record starts (or the exact line, when known). */
export interface RecordIssue extends Place {
  /** Field path such as "target" or "requested_rewrite.target_new.str"; null when the whole record is bad. */
  field: string | null
  message: string
}

export interface ImportResult {
  format: ImportFormat
  container: Container
  /** Records that passed every check, in file order. */
  records: ImportedRecord[]
  /** Problems, in file order; capped at limits.maxErrors (see omittedErrors). */
  errors: RecordIssue[]
  omittedErrors: number
  /** Records seen, good or bad. */
  total: number
  /** Set for zsre-mend: which field the targets came from. */
  zsreTarget?: ZsreTarget
  /** File-level remarks that are not errors (ignored CSV columns, …). */
  warnings: string[]
}

export interface ImportLimits {
  /** A single text field longer than this is a per-record error (a prompt is a sentence, not a document). */
  maxFieldChars: number
  /**
   * A larger file is refused with an ImportError before any byte is read: its records are held in memory, and a JSON
   * array is read whole. The one size limit, whatever the container and whoever calls (CLI, app, HTTP API, tests):
   * the contract's MAX_IMPORT_BYTES, which the app and the API can carry in a request.
   */
  maxFileBytes: number
  /** A JSONL line or CSV physical line longer than this is a per-record error and is not kept in memory. */
  maxLineBytes: number
  /** At most this many rephrases / locality pairs per record. */
  maxListItems: number
  /** Errors kept in the result; the rest are only counted. */
  maxErrors: number
}

export const DEFAULT_LIMITS: ImportLimits = {
  maxFieldChars: 10_000,
  maxFileBytes: MAX_IMPORT_BYTES,
  maxLineBytes: 4 * 1024 * 1024,
  maxListItems: 1_000,
  maxErrors: 1_000
}

export interface ImportOptions {
  /** Skip detection and read the file as this container. */
  container?: Container
  /** zsRE MEND target: default 'alt', the counterfactual EasyEdit edits towards (see index.ts). */
  zsreTarget?: ZsreTarget
  limits?: Partial<ImportLimits>
}

export type ImportErrorCode =
  | 'not_found'
  | 'unreadable'
  | 'empty_file'
  | 'too_large'
  | 'unknown_format'
  | 'no_records'
  | 'bad_header'

/**
 * Messages stay this short whatever the file holds: they go to a terminal, a dialog and JSON reports, and a 3 MB
 * header or a 1 MB string must not come back as a 3 MB message. Text from the file goes in through excerpt().
 */
export const MAX_MESSAGE_CHARS = 300

// Characters a terminal or a dialog would act on or hide: C0/C1 controls, line and paragraph separators, the BOM,
// noncharacters, and lone UTF-16 surrogates (which cannot even be written out as UTF-8).
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufff0-\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}…` : s)
const escapeUnprintable = (s: string): string => s.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

/** Text from the file for a message: at most `max` characters, the unprintable ones written as \uXXXX. */
export function excerpt(s: string, max: number): string {
  return escapeUnprintable(cut(s, max))
}

/** The same in double quotes, with inner quotes and backslashes escaped as in JSON. */
export function quote(s: string, max: number): string {
  return `"${escapeUnprintable(cut(s, max).replace(/["\\]/g, '\\$&'))}"`
}

/** A list of quoted names, at most `count` of them, then how many more. */
export function quoteList(names: string[], count = 10): string {
  const shown = names.slice(0, count).map((n) => quote(n, 40)).join(', ')
  return names.length > count ? `${shown} and ${names.length - count} more` : shown
}

/** The cap on issues as they are recorded: whatever built the message, it leaves at most MAX_MESSAGE_CHARS. */
export function boundIssue(i: RecordIssue): RecordIssue {
  return { ...i, field: i.field === null ? null : excerpt(i.field, 60), message: cut(i.message, MAX_MESSAGE_CHARS - 1) }
}

/** A file-level problem (nothing could be imported). Per-record problems are RecordIssues, not throws. */
export class ImportError extends Error {
  override readonly name = 'ImportError'

  /** The message without its "line N: " prefix, for a view that shows the line (and field) apart. */
  readonly detail: string

  constructor(readonly code: ImportErrorCode, message: string, readonly line?: number, readonly field?: string) {
    super(cut(line === undefined ? message : `line ${line}: ${message}`, MAX_MESSAGE_CHARS - 1))
    this.detail = cut(message, MAX_MESSAGE_CHARS - 1)
  }

  toData(): { code: ImportErrorCode; message: string; line?: number } {
    return { code: this.code, message: this.message, ...(this.line === undefined ? {} : { line: this.line }) }
  }
}

/** "line 3, field "target": …", or in a JSON array "line 1, column 31 (record 2), field "target": …" */
export function formatIssue(e: RecordIssue): string {
  const column = e.column === undefined ? '' : `, column ${e.column}`
  const record = e.record === undefined ? '' : ` (record ${e.record})`
  const field = e.field === null ? '' : `, field ${JSON.stringify(e.field)}`
  return `line ${e.line}${column}${record}${field}: ${e.message}`
}
