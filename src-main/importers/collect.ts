import { kindOf } from './fields'
import { detectShape, mapObject, type JsonShape, type MapContext } from './shapes'
import { boundIssue, ImportError, quoteList, type Container, type ImportedRecord, type ImportResult, type Place, type RecordIssue } from './types'

/** Objects held back while no record has revealed the file's shape; past this many the file is not ours. */
const MAX_UNDETECTED = 100

/**
 * Gathers records and issues from a JSON container (array or JSONL). The shape is decided by the first
 * object whose keys fit a known convention; objects before it wait, then go through the same mapper.
 */
export class JsonCollector {
  private shape: JsonShape | null = null
  private readonly pending: { obj: Record<string, unknown>; at: Place }[] = []
  private readonly records: ImportedRecord[] = []
  private readonly errors: RecordIssue[] = []
  private omitted = 0
  private total = 0

  constructor(private readonly ctx: MapContext) {}

  /** A parsed JSON value that should be one record. */
  addValue(value: unknown, at: Place): void {
    this.total++
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.issue({ ...at, field: null, message: `expected a JSON object for a record, got ${kindOf(value)}` })
      return
    }
    const obj = value as Record<string, unknown>
    if (this.shape === null) {
      const shape = detectShape(obj)
      if (shape === null) {
        this.pending.push({ obj, at })
        if (this.pending.length > MAX_UNDETECTED) throw this.unknownShape()
        return
      }
      this.shape = shape
      for (const p of this.pending.splice(0)) this.map(p.obj, p.at)
    }
    this.map(obj, at)
  }

  /** A record that could not even be parsed (bad JSON, bad UTF-8, line too long). */
  addBroken(at: Place, message: string): void {
    this.total++
    this.issue({ ...at, field: null, message })
  }

  /** A problem that is not a record (e.g. text after the closing "]"); not counted in total. */
  addNote(at: Place, message: string): void {
    this.issue({ ...at, field: null, message })
  }

  finish(container: Container): ImportResult {
    if (this.shape === null) {
      if (this.pending.length > 0) throw this.unknownShape()
      const first = [...this.errors].sort(inFileOrder)[0]
      throw new ImportError(first ? 'no_records' : 'empty_file', first
        ? `no record could be read, so the format is unknown; the first problem: ${first.message}`
        : 'the file holds no records', first?.line, first?.field ?? undefined)
    }
    // pending records were mapped late; keep the report in file order
    this.errors.sort(inFileOrder)
    const res: ImportResult = {
      format: this.shape, container, records: this.records, errors: this.errors, omittedErrors: this.omitted,
      total: this.total, warnings: []
    }
    if (this.shape === 'zsre-mend') res.zsreTarget = this.ctx.zsreTarget
    return res
  }

  private map(obj: Record<string, unknown>, at: Place): void {
    const m = mapObject(this.shape as JsonShape, obj, at.line, this.ctx)
    if (m.record) this.records.push(m.record)
    else for (const i of m.issues) this.issue({ ...i, ...at })
  }

  private issue(i: RecordIssue): void {
    if (this.errors.length < this.ctx.limits.maxErrors) this.errors.push(boundIssue(i))
    else this.omitted++
  }

  private unknownShape(): ImportError {
    const p = this.pending[0]
    const keys = quoteList(Object.keys(p.obj), 6)
    return new ImportError('unknown_format',
      `no record has a known set of fields (zsRE MEND/EasyEdit, CounterFact EasyEdit/ROME, or prompt+target); the first has keys ${keys || '(none)'}`,
      p.at.line, Object.keys(p.obj).slice(0, 6).join(', ') || undefined)
  }
}

/** Records sharing a line (a one-line JSON array) are told apart by their position. */
const inFileOrder = (a: RecordIssue, b: RecordIssue): number => a.line - b.line || (a.record ?? 0) - (b.record ?? 0)
