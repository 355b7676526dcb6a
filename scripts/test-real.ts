/**
 * `npm run test:real`: the tests on real third-party data (test/real), which `npm test` never runs. Without the data
 * it fails with one line saying what is missing: a run that found nothing to test must not look like a pass.
 * Extra arguments go to vitest (e.g. `npm run test:real -- -t zsRE`).
 */
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { missingRealData } from './real-data'

const missing = missingRealData()
if (missing) {
  console.error(`test:real: ${missing}`)
  process.exit(1)
}
const repo = fileURLToPath(new URL('..', import.meta.url))
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs')
const run = spawnSync(process.execPath, [vitest, 'run', '--config', 'vitest.real.config.ts', ...process.argv.slice(2)], { cwd: repo, stdio: 'inherit' })
process.exit(run.status ?? 1)
