import type { ImportLimits, LocalityPair, RecordIssue } from './types'

// An unpaired UTF-16 surrogate (from a JSON "\ud800" escape) cannot be stored as UTF-8 text in SQLite.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export function kindOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

/**
 * Checks the fields of one record and collects every problem instead of stopping at the first, so the analyst
 * sees all of a record's issues at once. Strings are trimmed; "" counts as absent for optional fields.
 */
export class FieldReader {
  readonly issues: RecordIssue[] = []

  constructor(readonly line: number, private readonly limits: ImportLimits) {}

  get ok(): boolean {
    return this.issues.length === 0
  }

  fail(field: string | null, message: string): undefined {
    this.issues.push({ line: this.line, field, message })
    return undefined
  }

  /** A required non-empty string. */
  text(value: unknown, field: string): string | undefined {
    if (value === undefined) return this.fail(field, 'expected a non-empty string, but the field is missing')
    if (typeof value !== 'string') return this.fail(field, `expected a non-empty string, got ${kindOf(value)}`)
    const s = this.checked(value, field)
    if (s === '') return this.fail(field, 'expected a non-empty string, got ""')
    return s
  }

  /** An optional string: undefined, null and "" are all "not given". */
  optText(value: unknown, field: string): string | undefined {
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'string') return this.fail(field, `expected a string, got ${kindOf(value)}`)
    const s = this.checked(value, field)
    return s === '' ? undefined : s
  }

  /** A string, or a list whose first item is taken (EasyEdit files hold either for ground_truth / target_new). */
  firstText(value: unknown, field: string, required: boolean): string | undefined {
    if (Array.isArray(value)) {
      if (value.length === 0) return required ? this.fail(field, 'expected a non-empty string, got an empty array') : undefined
      return required ? this.text(value[0], `${field}[0]`) : this.optText(value[0], `${field}[0]`)
    }
    return required ? this.text(value, field) : this.optText(value, field)
  }

  /** A list of strings (a bare string counts as a list of one when allowString); empty items are dropped. */
  textList(value: unknown, field: string, opts: { allowString?: boolean } = {}): string[] {
    if (value === undefined || value === null) return []
    if (typeof value === 'string' && opts.allowString) {
      const s = this.checked(value, field)
      return s === undefined || s === '' ? [] : [s]
    }
    if (!Array.isArray(value)) {
      this.fail(field, `expected an array of strings${opts.allowString ? ' or a string' : ''}, got ${kindOf(value)}`)
      return []
    }
    if (value.length > this.limits.maxListItems) {
      this.fail(field, `has ${value.length} items; the limit is ${this.limits.maxListItems}`)
      return []
    }
    const out: string[] = []
    value.forEach((v, i) => {
      if (typeof v !== 'string') { this.fail(`${field}[${i}]`, `expected a string, got ${kindOf(v)}`); return }
      const s = this.checked(v, `${field}[${i}]`)
      if (s) out.push(s)
    })
    return out
  }

  /** The project's locality list: [{prompt, answer}], both non-empty. */
  localityList(value: unknown, field: string): LocalityPair[] {
    if (value === undefined || value === null) return []
    if (!Array.isArray(value)) { this.fail(field, `expected an array of {prompt, answer} objects, got ${kindOf(value)}`); return [] }
    if (value.length > this.limits.maxListItems) {
      this.fail(field, `has ${value.length} items; the limit is ${this.limits.maxListItems}`)
      return []
    }
    const out: LocalityPair[] = []
    value.forEach((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        this.fail(`${field}[${i}]`, `expected an object with prompt and answer, got ${kindOf(item)}`)
        return
      }
      const o = item as Record<string, unknown>
      const prompt = this.text(o.prompt, `${field}[${i}].prompt`)
      const answer = this.text(o.answer, `${field}[${i}].answer`)
      if (prompt !== undefined && answer !== undefined) out.push({ prompt, answer })
    })
    return out
  }

  /** Pairs two parallel lists (EasyEdit locality_prompt / locality_ground_truth). */
  pairs(prompts: string[], answers: string[], promptField: string, answerField: string): LocalityPair[] {
    if (prompts.length !== answers.length) {
      const field = prompts.length > answers.length ? answerField : promptField
      this.fail(field, `${prompts.length} locality prompt(s) but ${answers.length} answer(s); they must pair up`)
      return []
    }
    return prompts.map((prompt, i) => ({ prompt, answer: answers[i] }))
  }

  /** Trims and applies the length and well-formedness checks; returns undefined (with an issue) when bad. */
  private checked(value: string, field: string): string | undefined {
    if (value.length > this.limits.maxFieldChars) {
      return this.fail(field, `is ${value.length} characters long; the limit is ${this.limits.maxFieldChars}`)
    }
    if (LONE_SURROGATE.test(value)) return this.fail(field, 'contains an unpaired UTF-16 surrogate (a broken \\u escape)')
    if (value.includes('\u0000')) return this.fail(field, 'contains a NUL character (U+0000), which breaks exports and terminals')
    return value.trim()
  }
}
