// `npm run fuzz:import [-- --cases N] [--seed S] [--json]`: the importer fuzz benchmark (scripts/import-fuzz/cases.ts).
// Exit 1 when a target of issue 11 is missed: a crash, a hang, a good record lost, a single-field change not named,
// an error without a line or longer than 300 characters.
import { parseArgs } from 'node:util'
import { HANG_MS, runFuzz } from './cases'

const { values } = parseArgs({ options: { cases: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' } } })
const cases = Number(values.cases ?? 10_000)
const seed = Number(values.seed ?? 11)
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed)) {
  process.stderr.write('usage: fuzz-import [--cases N] [--seed S] [--json]\n')
  process.exit(2)
}
const s = await runFuzz(cases, seed, (done) => process.stderr.write(`${done}/${cases}\r`))
if (values.json) process.stdout.write(`${JSON.stringify(s)}\n`)
else {
  const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`
  process.stdout.write([
    `import fuzz: ${s.cases} cases (seed ${seed}) over the committed sample layouts`,
    `  crashes ${s.crashes}, hangs (> ${HANG_MS / 1000} s) ${s.hangs}; time per file p50 ${s.p50Ms.toFixed(1)} ms, p99 ${s.p99Ms.toFixed(1)} ms, max ${s.maxMs.toFixed(0)} ms`,
    `  good (untouched) records ${s.goodRecords}: imported ${s.imported} (${pct(s.imported, s.goodRecords)}), named by an error ${s.reported}, lost ${s.lost}`,
    `  files refused whole ${s.filesRefused}, of them with good records ${s.filesRefusedWithGoodRecords}`,
    `  single-field changes ${s.fieldChanges}: field named on the record's line ${s.fieldChangesNamed}`,
    `  errors without a line or over 300 characters ${s.badErrors}; longest message ${s.longestMessage} characters`,
    ...(s.lost > 0 ? [`  lost by mutation and file: ${JSON.stringify(s.lostByKind)}`] : []),
    ...s.examples.map((e) => `  e.g. ${e}`)
  ].join('\n') + '\n')
}
const missed = s.crashes + s.hangs + s.lost + (s.fieldChanges - s.fieldChangesNamed) + s.badErrors + s.filesRefusedWithGoodRecords
process.exitCode = missed > 0 ? 1 : 0
