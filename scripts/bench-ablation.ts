/**
 * Ablation on one edit sequence: the paper's method, then each change of the default added one at a time, then
 * the default — so a reader sees what each part buys (docs/elder-method.md). One process, one backend, the same
 * records, base predictions cached; prints one JSON line per row as it finishes, then a Markdown table.
 *
 *   node --import tsx scripts/bench-ablation.ts [--model DIR] [--suite FILE] [--edits 1000] [--rows a,b,…]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { describeBackend, initBackend } from '../src-main/engine/backend'
import { ELDER_PAPER, parseElderConfig } from '../src-main/engine/elder/config'
import { defaultCacheDir } from '../src-main/engine/eval/base-cache'
import { runEditBench, type BenchResult } from '../src-main/engine/eval/bench'
import type { SuiteRecord } from '../src-main/engine/eval/metrics'
import { loadModel } from '../src-main/engine/model/load'

// Each row adds one change to the row before it; the last row is the default config. Rows after the first name
// every paper field explicitly: a config without preset 'elder-paper' takes the default's values for the rest.
const ROWS: Array<{ name: string; config: Record<string, unknown> }> = [
  { name: 'paper (elder-paper)', config: { preset: 'elder-paper' } },
  {
    name: '+ fixed preset routing, frozen-query scope (answer gate, r 0.08)',
    config: { ...ELDER_PAPER, preset: 'elder', routing: 'preset', discriminator: 'key', queryRadius: 0.08, answerGate: true }
  },
  { name: '+ rehearsal of 8 earlier edits per step, 32 checked per edit', config: { rehearsal: 8, rehearsalCheck: 32 } },
  { name: '+ train to CE < 0.02, lr 3e-3', config: { earlyStopLoss: 0.02, lr: 3e-3 } },
  { name: '+ N 8, r 4 (same parameter count)', config: { numExperts: 8, rank: 4, alpha: 4 } },
  { name: '+ subject gate', config: { subjectGate: true } },
  { name: '+ 128 checked per edit', config: { rehearsalCheck: 128 } },
  { name: '+ relation gate, scale 4', config: { relationGate: true, relationScale: 4 } },
  { name: '+ rehearse edits whose loss rose above 0.05 (= the default)', config: { slipLoss: 0.05 } }
]

const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: 'resources/models/tiny-world' },
    suite: { type: 'string' },
    edits: { type: 'string', default: '1000' },
    rows: { type: 'string' }
  }
})
const info = await initBackend()
console.error(describeBackend(info))
const model = o.model as string
const suiteFile = o.suite ?? `${model}/edits.jsonl`
const suite = readFileSync(suiteFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SuiteRecord)
const retention = readFileSync(`${model}/retention.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SuiteRecord)
const base = { ...(await loadModel(model)), dir: model }
const wanted = o.rows ? new Set(o.rows.split(',').map(Number)) : null

const results: Array<{ name: string; r: BenchResult }> = []
let config: Record<string, unknown> = {}
for (const [i, row] of ROWS.entries()) {
  config = { ...config, ...row.config }
  if (wanted && !wanted.has(i)) continue
  console.error(`row ${i}: ${JSON.stringify(parseElderConfig(config))}`)
  const r = await runEditBench(base, suite, {
    method: 'elder',
    edits: Number(o.edits),
    batchSize: 1,
    seed: 0,
    config,
    retention,
    cacheDir: defaultCacheDir()
  })
  const { metrics, curve, ...flat } = r
  console.log(JSON.stringify({ row: i, name: row.name, ...flat }))
  results.push({ name: row.name, r })
}

const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)}%`)
console.log('\n| row | reliability EM | generalization EM | locality EM | retention EM | unrelated deferred (locality / retention) | s/edit | steps/edit |')
console.log('|---|---|---|---|---|---|---|---|')
for (const { name, r } of results) {
  console.log(
    `| ${name} | ${pct(r.reliability_em)} | ${pct(r.generalization_em)} | ${pct(r.locality_em)} | ${pct(r.retention_em)} | ` +
      `${pct(r.locality_deferred_rate)} / ${pct(r.retention_deferred_rate)} | ${r.s_per_edit_mean.toFixed(2)} | ${r.steps_per_edit_mean.toFixed(1)} |`
  )
}
