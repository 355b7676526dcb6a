// The runs table's columns: one definition per column gives its header, its sort value and its CSV value, so the
// table, its sorting and its CSV export cannot disagree.
import type { ExperimentView } from '../../src-preload/contract'
import type { Cell } from './table'

export interface RunColumn {
  key: string
  label: string
  /** Sort and CSV value; null sorts last. */
  value: (e: ExperimentView) => string | number | null
  numeric: boolean
}

const latest = (name: string) => (e: ExperimentView): number | null => e.latest[name]?.value ?? null

/** The config as given, `k=v` joined: the fields this run sets on top of its method's defaults. */
export function keyConfig(e: ExperimentView): string {
  return Object.entries(e.config).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
}

export const RUN_COLUMNS: RunColumn[] = [
  { key: 'name', label: 'Name', value: (e) => e.name, numeric: false },
  { key: 'method', label: 'Method', value: (e) => e.method, numeric: false },
  { key: 'preset', label: 'Preset', value: (e) => e.preset, numeric: false },
  { key: 'config', label: 'Key config', value: keyConfig, numeric: false },
  { key: 'applied', label: 'Edits applied', value: (e) => e.counts.applied, numeric: true },
  { key: 'reliability', label: 'Reliability', value: latest('reliability'), numeric: true },
  { key: 'generalization', label: 'Generalization', value: latest('generalization'), numeric: true },
  { key: 'locality', label: 'Locality', value: latest('locality'), numeric: true },
  { key: 'retention', label: 'Retention', value: latest('retention'), numeric: true },
  { key: 'sPerEdit', label: 's/edit', value: (e) => e.secondsPerEdit, numeric: true },
  { key: 'holds', label: 'Edits hold', value: (e) => (e.health.checked > 0 ? e.health.holds / e.health.checked : null), numeric: true },
  { key: 'created', label: 'Created', value: (e) => e.createdAt, numeric: true },
  { key: 'tags', label: 'Tags', value: (e) => e.tags.join(' '), numeric: false }
]

export function sortRuns(rows: readonly ExperimentView[], key: string, dir: 1 | -1): ExperimentView[] {
  const col = RUN_COLUMNS.find((c) => c.key === key)
  if (!col) return [...rows]
  return [...rows].sort((a, b) => {
    const x = col.value(a)
    const y = col.value(b)
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1
    return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir
  })
}

/** Name, method, preset, tags and key config contain every word of the query (case-insensitive). */
export function matchesRun(e: ExperimentView, query: string): boolean {
  const hay = [e.name, e.method, e.preset ?? '', keyConfig(e), ...e.tags].join(' ').toLowerCase()
  return query.toLowerCase().split(/\s+/).filter(Boolean).every((w) => hay.includes(w))
}

/** CSV rows of the runs table, with the model, archive flag, health counts and the reproduction record. */
export function runsCsvRows(rows: readonly ExperimentView[]): { header: string[]; rows: Cell[][] } {
  const header = ['id', ...RUN_COLUMNS.map((c) => c.key), 'health_checked', 'archived', 'eval_every', 'model_hash', 'backend', 'app_version', 'seed', 'edit_sequence']
  return {
    header,
    rows: rows.map((e) => [
      e.id, ...RUN_COLUMNS.map((c) => c.value(e)), e.health.checked, e.archived, e.evalEvery, e.repro.modelHash, e.repro.backend,
      e.repro.appVersion, e.repro.seed, e.repro.editSequence
    ])
  }
}
