// The committed fixtures under test/fixtures/ are exactly what `npm run build:fixtures` writes for their seeds, so
// nobody can hand-edit a reference value (or forget to regenerate after changing a generator) unnoticed.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { FIXTURE_SETS } from '../scripts/fixture/index'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

describe.each(FIXTURE_SETS)('$dir', ({ dir, files }) => {
  const generated = files()

  it('holds exactly the generated files, byte for byte (regenerate: npm run build:fixtures)', () => {
    expect(readdirSync(join(ROOT, dir)).sort()).toEqual(generated.map((f) => f.name).sort())
    for (const f of generated) expect(sha256(readFileSync(join(ROOT, dir, f.name))), `${dir}/${f.name}`).toBe(sha256(f.bytes))
  })
})

describe('the reference forward', () => {
  it('imports nothing, so it cannot share code (or a bug) with the engine it checks', () => {
    const source = readFileSync(join(ROOT, 'scripts/fixture/reference-forward.ts'), 'utf8')
    expect(source).not.toMatch(/^\s*import\s/m)
    expect(source).not.toMatch(/\brequire\(|\bimport\(/)
  })
})
