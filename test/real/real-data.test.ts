// Real third-party data, read in place and never copied into the repo (../shared/data/README.md): the folder in
// ELDER_DATA_DIR or ../shared/data. Run by `npm run test:real`, which refuses to start when the files are absent.
// The same checks run in `npm test` on the committed samples (test/importers/sample-files.test.ts).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { realDataFile } from '../../scripts/real-data'
import { expectCounterfactEasyEdit, expectSameAfterJsonl, expectZsreMend } from '../importers/checks'

const CF = realDataFile('counterfact')
const ZSRE = realDataFile('zsre')
const dir = mkdtempSync(join(tmpdir(), 'elder-real-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('real CounterFact (EasyEdit) validation split', () => {
  it('imports all 1,919 records with no errors, fields mapped as documented, lines at each "{"', async () => {
    await expectCounterfactEasyEdit(CF, 1919)
  })

  it('gives the same records when converted to the project JSONL (streamed)', async () => {
    await expectSameAfterJsonl(CF, dir)
  })
})

describe('real zsRE (MEND) sample', () => {
  it('imports 100 records towards alt by default and towards answers[0] on request', async () => {
    await expectZsreMend(ZSRE, 100)
  })
})
