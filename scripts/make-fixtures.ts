/**
 * Writes the committed test fixtures under test/fixtures/ from their seeds: `npm run build:fixtures`.
 *
 * The files are pure functions of the generator code, so running this on an unchanged tree rewrites identical
 * bytes; test/fixtures.test.ts fails when the committed files and the generators disagree.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FIXTURE_SETS } from './fixture/index'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
for (const set of FIXTURE_SETS) {
  const dir = join(root, set.dir)
  mkdirSync(dir, { recursive: true })
  for (const f of set.files()) {
    writeFileSync(join(dir, f.name), f.bytes)
    console.log(`${relative(root, join(dir, f.name))}  ${f.bytes.length} bytes`)
  }
}
