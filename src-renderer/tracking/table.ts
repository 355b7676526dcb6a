// Pure helpers of the tracking views: CSV text (RFC 4180), a config diff, metric names and labels. No Vue, no DOM,
// no stores: unit-tested on their own, and the end-to-end test parses the exported CSV with the same parser.
import type { MetricPointView } from '../../src-preload/contract'

/** The curves the workbench draws, by stored metric name (exact match; `+ TOKEN_SUFFIX` for token accuracy). */
export const CURVES = [
  { name: 'reliability', label: 'Reliability', token: true },
  { name: 'generalization', label: 'Generalization', token: true },
  { name: 'locality', label: 'Locality', token: true },
  { name: 'retention', label: 'Retention', token: true },
  { name: 'locality_deferred_rate', label: 'Unrelated deferred', token: false }
] as const

/** Same suffix as src-main/service/evaluate.ts (the renderer cannot import main-process code). */
export const TOKEN_SUFFIX = '_token_accuracy'
export const SPEED = 's_per_edit'

/** Every stored series name the views load. */
export const SERIES_NAMES: string[] = [...CURVES.flatMap((c) => (c.token ? [c.name, c.name + TOKEN_SUFFIX] : [c.name])), SPEED]

export type Cell = string | number | boolean | null | undefined

/** One CSV field: quoted when it holds a comma, quote or line break (RFC 4180); numbers at full precision. */
function field(v: Cell): string {
  const s = v === null || v === undefined ? '' : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly Cell[]>): string {
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n'
}

/** CSV parsing of toCsv's output (and any RFC 4180 text): rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(cur)
      cur = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(cur)
      rows.push(row)
      row = []
      cur = ''
    } else cur += c
  }
  if (cur !== '' || row.length > 0) rows.push([...row, cur])
  return rows
}

/** Series of several experiments as long-format CSV: experiment, metric, edits, value, batch. */
export function seriesCsv(series: ReadonlyArray<{ experiment: string; metric: string; points: readonly MetricPointView[] }>): string {
  return toCsv(['experiment', 'metric', 'edits_applied', 'value', 'batch_id'],
    series.flatMap((s) => s.points.map((p) => [s.experiment, s.metric, p.editCount, p.value, p.batchId])))
}

/** Nested settings flattened to dotted paths, values as JSON text so arrays and objects compare by content. */
export function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, key))
    else out[key] = JSON.stringify(v)
  }
  return out
}

/** Only the fields whose values differ between the configs (a field one config lacks counts as differing). */
export function configDiff(configs: ReadonlyArray<Record<string, unknown>>): Array<{ field: string; values: Array<string | null> }> {
  const flat = configs.map((c) => flatten(c))
  const fields = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort()
  return fields
    .map((field) => ({ field, values: flat.map((f) => f[field] ?? null) }))
    .filter((d) => d.values.some((v) => v !== d.values[0]))
}
