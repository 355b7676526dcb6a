// The importer fuzzer, run on a CounterFact text the caller chooses: the committed sample in `npm test`
// (fuzz.test.ts) and a slice of the real file in `npm run test:real` (test/real/fuzz.test.ts). Same seeds, same
// mutations, so both runs mean the same thing.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Prng } from '../../src-main/engine/prng'
import { addEdits, createExperiment, openWorkspaceDb, registerModel } from '../../src-main/store/index'
import { importBytes, ImportError, type ImportResult } from '../../src-main/importers/index'
import { CF_ROME, CSV, ELDER_JSONL, enc, ZSRE_EASYEDIT, ZSRE_MEND } from './samples'

/** The first 20 records of a CounterFact (EasyEdit) file, re-serialised, so the fuzzer mutates realistic text. */
export function counterfactSlice(file: string): string {
  return JSON.stringify((JSON.parse(readFileSync(file, 'utf8')) as unknown[]).slice(0, 20), null, 4)
}

const LIMITS = { maxFieldChars: 10_000 }
const db = openWorkspaceDb(':memory:')
const model = registerModel(db, { path: '/m', architecture: 'gpt2', config: {}, contentHash: 'f'.repeat(64) })
const exp = createExperiment(db, { name: 'fuzz', modelId: model.id, method: 'elder', config: {} })

/** Imports; an ImportError is a valid outcome, anything else thrown fails the test. Checks result invariants. */
async function run(bytes: Uint8Array, rng: Prng, name?: string): Promise<ImportResult | ImportError> {
  let r: ImportResult
  try {
    r = await importBytes(bytes, { name, chunkBytes: 1 + rng.int(64), limits: LIMITS })
  } catch (e) {
    if (e instanceof ImportError) { expect(e.message.length).toBeGreaterThan(0); return e }
    throw new Error(`non-ImportError thrown for input ${JSON.stringify(Buffer.from(bytes).toString('latin1').slice(0, 200))}: ${String(e)}`)
  }
  expect(r.total).toBeGreaterThanOrEqual(r.records.length)
  for (const e of r.errors) expect(e.line).toBeGreaterThanOrEqual(1)
  for (const rec of r.records) {
    expect(rec.prompt.length).toBeGreaterThan(0)
    expect(rec.target.length).toBeGreaterThan(0)
    expect(rec.prompt.length).toBeLessThanOrEqual(10_000)
    expect(rec.sourceLine).toBeGreaterThanOrEqual(1)
  }
  // whatever the importer accepts, the store must accept too
  addEdits(db, exp.id, r.records)
  return r
}

type Mutation = (b: Uint8Array, rng: Prng) => Uint8Array
const splice = (b: Uint8Array, at: number, del: number, ins: Uint8Array) =>
  Buffer.concat([b.subarray(0, at), ins, b.subarray(Math.min(b.length, at + del))])
const INVALID_UTF8 = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xef, 0xbb, 0xbf]]
const CSV_CHAOS = ['"', '""', ',', '\n', '\r\n', '"\n"', ',"', '"x"y', '\uFEFF']

const MUTATIONS: Record<string, Mutation> = {
  truncate: (b, rng) => b.subarray(0, rng.int(b.length + 1)),
  byteFlips: (b, rng) => {
    const out = Buffer.from(b)
    for (let k = 1 + rng.int(8); k > 0; k--) out[rng.int(out.length)] ^= 1 << rng.int(8)
    return out
  },
  invalidUtf8: (b, rng) => splice(b, rng.int(b.length + 1), 0, Uint8Array.from(rng.pick(INVALID_UTF8))),
  csvQuoteChaos: (b, rng) => {
    let out: Uint8Array = b
    for (let k = 1 + rng.int(6); k > 0; k--) out = splice(out, rng.int(out.length + 1), rng.int(2), enc(rng.pick(CSV_CHAOS)))
    return out
  },
  hugeField: (b, rng) => {
    const s = Buffer.from(b).toString('utf8')
    const q = [...s.matchAll(/"/g)].map((m) => m.index)
    const at = q.length ? rng.pick(q) + 1 : rng.int(s.length + 1)
    return enc(s.slice(0, at) + 'Z'.repeat(10_001 + rng.int(20_000)) + s.slice(at))
  }
}

/** Replaces random values in a parsed JSON document with values of the wrong type. */
function wrongTypes(text: string, rng: Prng): Uint8Array {
  const doc = text.trimStart().startsWith('[') ? JSON.parse(text) : text.trim().split('\n').map((l) => JSON.parse(l))
  const odd = () => rng.pick<unknown>([null, 0, -1.5, true, [], {}, [1, 'a'], { str: 5 }, '', ' ', 'x'.repeat(10_001), '\ud800', ['{}']])
  const visit = (v: unknown): unknown => {
    if (Array.isArray(v)) return rng.int(10) === 0 ? odd() : v.map(visit)
    if (v && typeof v === 'object') {
      return rng.int(10) === 0 ? odd() : Object.fromEntries(Object.entries(v).filter(() => rng.int(12) !== 0).map(([k, x]) => [k, visit(x)]))
    }
    return rng.int(4) === 0 ? odd() : v
  }
  // the top-level container stays (a JSONL file is lines, not an array); its items are fair game
  const out = (doc as unknown[]).map(visit)
  return enc(text.trimStart().startsWith('[') ? JSON.stringify(out, null, 1) : out.map((x) => JSON.stringify(x)).join('\n'))
}

export function describeImportFuzz(counterfact: string): void {
  const SEEDS = [counterfact, ZSRE_MEND, ZSRE_EASYEDIT, CF_ROME, ELDER_JSONL, CSV].map(enc)
  describe('fuzzed inputs produce results or ImportErrors, never crashes', () => {
    for (const [name, mutate] of Object.entries(MUTATIONS)) {
      it(name, async () => {
        const rng = new Prng(0xe1de4 + name.length)
        let results = 0
        let importErrors = 0
        for (let iter = 0; iter < 150; iter++) {
          const seed = rng.pick(SEEDS)
          const out = await run(mutate(seed, rng), rng, rng.int(3) === 0 ? 'x.csv' : undefined)
          if (out instanceof ImportError) importErrors++
          else results++
        }
        expect(results + importErrors).toBe(150)
        expect(results).toBeGreaterThan(0)
      })
    }

    it('wrong types', async () => {
      const rng = new Prng(77)
      let withErrors = 0
      for (let iter = 0; iter < 150; iter++) {
        const seed = rng.pick([counterfact, ZSRE_MEND, ZSRE_EASYEDIT, CF_ROME, ELDER_JSONL])
        const out = await run(wrongTypes(seed, rng), rng)
        if (!(out instanceof ImportError) && out.errors.length > 0) withErrors++
      }
      expect(withErrors).toBeGreaterThan(50)
    })

    it('random bytes', async () => {
      const rng = new Prng(5)
      for (let iter = 0; iter < 200; iter++) {
        const b = Uint8Array.from({ length: 1 + rng.int(300) }, () => rng.pick([0x5b, 0x7b, 0x22, 0x2c, 0x0a, 0x5d, 0x7d, 0x5c, rng.int(256)]))
        await run(b, rng, rng.int(2) ? 'r.csv' : 'r.json')
      }
    })
  })
}
