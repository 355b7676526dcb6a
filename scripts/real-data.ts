/**
 * Where the real third-party edit data lives: the folder named by ELDER_DATA_DIR, else ../shared/data beside the
 * repository. Those files (CounterFact, zsRE; see ../shared/data/README.md) have no licence to be copied here, so
 * only the opt-in `npm run test:real` reads them; `npm test` uses the samples under test/fixtures/import.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The files test/real reads, by the names they have in ../shared/data. */
export const REAL_DATA_FILES = { counterfact: 'counterfact-val.json', zsre: 'zsre-dev-100.json' } as const

const REPO = fileURLToPath(new URL('..', import.meta.url))

export function realDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ELDER_DATA_DIR ? resolve(env.ELDER_DATA_DIR) : resolve(REPO, '../shared/data')
}

export const realDataFile = (name: keyof typeof REAL_DATA_FILES, dir = realDataDir()): string => join(dir, REAL_DATA_FILES[name])

/** One line naming what is missing, or null when every file is there. */
export function missingRealData(dir = realDataDir()): string | null {
  const from = process.env.ELDER_DATA_DIR ? 'ELDER_DATA_DIR' : 'the default ../shared/data; set ELDER_DATA_DIR to use another folder'
  if (!existsSync(dir)) return `real data folder ${dir} does not exist (${from})`
  const absent = Object.values(REAL_DATA_FILES).filter((f) => !existsSync(join(dir, f)))
  return absent.length ? `real data folder ${dir} lacks ${absent.join(', ')} (${from})` : null
}
