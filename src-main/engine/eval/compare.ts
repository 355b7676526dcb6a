// `bench compare`: every method on the same edit sequence in one run, as markdown tables shaped like the paper's
// Table 1 (reliability, generalization, plus locality, retention and unrelated inputs deferred), Table 3 (s/edit,
// #params) and Table 4 (ablations of the paper preset). Each row is one runEditBench with the same suite, edits,
// batch size and seed.
import { cpus, platform, arch } from 'node:os'
import type { EditorModel } from '../methods/editor'
import { runEditBench, type BenchOptions, type BenchResult } from './bench'
import type { SuiteRecord } from './metrics'

export interface CompareRow {
  method: string
  config: Record<string, unknown>
  /** Rows of the paper's Table 4 (variants of the elder-paper preset) go in their own table. */
  ablation: boolean
}

// The paper's deferral sends an input to the base model when no stored code is within Hamming distance < ε:
// an ε above any distance (L·N ≤ 1,024 bits) keeps every input in scope, i.e. deferral off.
const NO_DEFERRAL = 1e9

export const COMPARE_ROWS: Readonly<Record<string, CompareRow>> = {
  base: { method: 'base', config: {}, ablation: false },
  elder: { method: 'elder', config: {}, ablation: false },
  'elder-paper': { method: 'elder', config: { preset: 'elder-paper' }, ablation: false },
  lora: { method: 'lora', config: {}, ablation: false },
  'ft-l': { method: 'ft-l', config: {}, ablation: false },
  grace: { method: 'grace', config: {}, ablation: false },
  melo: { method: 'melo', config: {}, ablation: false },
  'elder-paper w/o guided loss': { method: 'elder', config: { preset: 'elder-paper', lambda: 0 }, ablation: true },
  'elder-paper w/ load balancing': { method: 'elder', config: { preset: 'elder-paper', routerLoss: 'balance' }, ablation: true },
  'elder-paper w/o deferral': { method: 'elder', config: { preset: 'elder-paper', eps: NO_DEFERRAL }, ablation: true }
}

export const DEFAULT_COMPARE = Object.keys(COMPARE_ROWS)

export interface CompareResult {
  rows: Array<{ name: string; result: BenchResult }>
  backend: string
  machine: string
}

export function machineName(): string {
  const c = cpus()
  return `${c[0]?.model.trim() ?? 'unknown CPU'} × ${c.length}, ${platform()} ${arch()}, Node ${process.version}`
}

/** `names`: keys of COMPARE_ROWS (the CLI checks them). */
export async function runCompare(
  base: EditorModel & { dir: string },
  suite: readonly SuiteRecord[],
  names: readonly string[],
  o: Omit<BenchOptions, 'method' | 'config'>,
  onRow?: (name: string) => void
): Promise<CompareResult> {
  const rows: CompareResult['rows'] = []
  for (const name of names) {
    onRow?.(name)
    const row = COMPARE_ROWS[name]
    rows.push({ name, result: await runEditBench(base, suite, { ...o, method: row.method, config: row.config }) })
  }
  return { rows, backend: rows[0]?.result.backend ?? 'none', machine: machineName() }
}

const pct = (x: number | null): string => (x === null ? '–' : (100 * x).toFixed(1))

/** Markdown: Tables 1 + 3 for the methods, Table 4 for the ablations, with what they ran on. */
export function compareMarkdown(c: CompareResult): string {
  const r0 = c.rows[0]?.result
  const lines = [
    `Edits: ${r0?.edits ?? 0} (batch size ${r0?.batch_size ?? 0}, ${r0?.protocol ?? ''}); model ${r0?.model ?? ''}; backend ${c.backend}; ${c.machine}.`,
    '',
    '| method | reliability | generalization | locality | retention (base) | unrelated deferred | s/edit | #params | state bytes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'
  ]
  const main = c.rows.filter((r) => !COMPARE_ROWS[r.name].ablation)
  const ablations = c.rows.filter((r) => COMPARE_ROWS[r.name].ablation)
  for (const { name, result: r } of main) {
    lines.push(
      `| ${name} | ${pct(r.reliability_em)} | ${pct(r.generalization_em)} | ${pct(r.locality_em)} | ${pct(r.retention_em)} (${pct(r.base_retention_em)}) | ` +
        `${pct(r.locality_deferred_rate)} | ${r.s_per_edit_mean.toFixed(3)} | ${r.trainable_params_after} | ${r.stored_bytes_after} |`
    )
  }
  if (ablations.length) {
    lines.push('', '| ablation | reliability | generalization | locality | unrelated deferred |', '| --- | --- | --- | --- | --- |')
    for (const { name, result: r } of [...c.rows.filter((x) => x.name === 'elder-paper'), ...ablations]) {
      lines.push(`| ${name} | ${pct(r.reliability_em)} | ${pct(r.generalization_em)} | ${pct(r.locality_em)} | ${pct(r.locality_deferred_rate)} |`)
    }
  }
  return lines.join('\n')
}
