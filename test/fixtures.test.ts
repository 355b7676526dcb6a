// The committed fixtures under test/fixtures/ are exactly what `npm run build:fixtures` writes for their seeds, so
// nobody can hand-edit a reference value (or forget to regenerate after changing a generator) unnoticed.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
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

// The LLaMA-family fixtures come from NumPy (scripts/fixture/make-llama.py). Where python3 with NumPy 2 is present
// they are regenerated into a temporary folder and compared byte for byte; elsewhere this check cannot run.
const hasNumpy2 = spawnSync('python3', ['-c', 'import numpy, sys; sys.exit(0 if int(numpy.__version__.split(".")[0]) >= 2 else 1)']).status === 0

describe.skipIf(!hasNumpy2)('LLaMA-family fixtures (python3 scripts/fixture/make-llama.py)', () => {
  it.each(['llama-tiny', 'qwen2-tiny'])('test/fixtures/%s holds exactly the generated files, byte for byte', (name) => {
    const out = mkdtempSync(join(tmpdir(), 'elder-make-llama-'))
    try {
      const r = spawnSync('python3', [join(ROOT, 'scripts/fixture/make-llama.py'), '--out', out], { encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      const dir = join(out, 'test', 'fixtures', name)
      const names = readdirSync(dir).sort()
      expect(readdirSync(join(ROOT, 'test', 'fixtures', name)).sort()).toEqual(names)
      for (const f of names) expect(sha256(readFileSync(join(ROOT, 'test', 'fixtures', name, f))), f).toBe(sha256(readFileSync(join(dir, f))))
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})

describe('the NumPy reference forward', () => {
  it('imports only the standard library and NumPy, so it shares no code with the engine', () => {
    const source = readFileSync(join(ROOT, 'scripts/fixture/make-llama.py'), 'utf8')
    const imports = [...source.matchAll(/^(?:import|from)\s+(\w+)/gm)].map((m) => m[1])
    expect(imports.sort()).toEqual(['json', 'math', 'numpy', 'os', 're', 'struct', 'sys'])
  })
})
