// Import (every bad record reported by line and field; good ones imported in one transaction or not at all),
// export (edits + history JSONL, metrics CSV) and the adapter file, moved to another workspace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listEdits } from '../../src-main/store'
import { applyAndWait, EDITS, ok, testWorkspace, type TestWorkspace } from './helpers'

let ws: TestWorkspace

beforeAll(async () => {
  ws = await testWorkspace()
})
afterAll(() => ws.close())

const count = (): number => listEdits(ws.db(), ws.exp.id, { limit: 1 }).total

/** mulberry32: a seeded PRNG, so a failing fuzz case can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('import', () => {
  it('a JSONL file with one bad line: the good records are queued, the error names the line and field', async () => {
    const content = [
      JSON.stringify({ prompt: 'The capital of Land1 is', target: 'City1', rephrases: ["Land1's capital is"] }),
      JSON.stringify({ prompt: 'The capital of Land2 is', target: '' }),
      JSON.stringify({ prompt: 'The capital of Land3 is', target: 'City3' })
    ].join('\n')
    const before = count()
    const rep = ok(await ws.svc['edits.import']({ experimentId: ws.exp.id, file: { name: 'three.jsonl', content } }))
    expect(rep).toMatchObject({ format: 'elder', total: 3, good: 2, imported: 2, omittedErrors: 0 })
    expect(rep.errors).toEqual([{ line: 2, field: 'target', message: expect.any(String) }])
    expect(count()).toBe(before + 2)
    const rows = ok(await ws.svc['edits.list']({ experimentId: ws.exp.id, offset: before })).rows
    expect(rows.map((r) => [r.target, r.sourceFile, r.sourceLine, r.rephrases])).toEqual([
      ['City1', 'three.jsonl', 1, ["Land1's capital is"]], ['City3', 'three.jsonl', 3, []]
    ])
    expect(ws.events.some((e) => e.type === 'edits.changed' && e.experimentId === ws.exp.id)).toBe(true)
  })

  it('a CSV file with a bad row, previewed then imported', async () => {
    const content = 'prompt,target\n"The capital of Land4 is",City4\n"The capital of Land5 is",\n'
    const preview = ok(await ws.svc['edits.importPreview']({ file: { name: 'rows.csv', content } }))
    expect(preview).toMatchObject({ format: 'csv', total: 2, good: 1, errors: [{ line: 3, field: 'target' }] })
    expect(preview.imported).toBeUndefined()
    const before = count()
    expect(ok(await ws.svc['edits.import']({ experimentId: ws.exp.id, file: { name: 'rows.csv', content } })).imported).toBe(1)
    expect(count()).toBe(before + 1)
  })

  it('a file sent as its bytes: invalid UTF-8 is reported on its record (line, column, record), nothing stored altered (issue 11)', async () => {
    // Before, the app sent the file as text, so the bad byte arrived as U+FFFD and "w\ufffdrm" was queued.
    const file = Buffer.concat([
      Buffer.from('[{"prompt":"Glass is made of","target":"sand"},{"prompt":"Ice is","target":"w'), Buffer.from([0xff]),
      Buffer.from('rm"},{"prompt":"Fire is","target":"hot"}]')
    ])
    const bytes = file.toString('base64')
    const error = { line: 1, column: 78, record: 2, field: null, message: 'invalid UTF-8 byte sequence' }
    expect(ok(await ws.svc['edits.importPreview']({ file: { name: 'one-line.json', bytes } }))).toEqual({
      format: 'elder', total: 3, good: 2, errors: [error], omittedErrors: 0
    })
    const before = count()
    const rep = ok(await ws.svc['edits.import']({ experimentId: ws.exp.id, file: { name: 'one-line.json', bytes } }))
    expect(rep).toMatchObject({ total: 3, good: 2, imported: 2, errors: [error] })
    const rows = ok(await ws.svc['edits.list']({ experimentId: ws.exp.id, offset: before })).rows
    expect(rows.map((r) => [r.prompt, r.target, r.sourceFile])).toEqual([['Glass is made of', 'sand', 'one-line.json'], ['Fire is', 'hot', 'one-line.json']])
    expect(ok(await ws.svc['edits.list']({ experimentId: ws.exp.id, limit: 10_000 })).rows.some((r) => r.target.includes('\ufffd'))).toBe(false)
  })

  it('the bytes form is checked: not base64, or both forms at once, is invalid_request before anything is read', async () => {
    const before = count()
    const send = (file: Record<string, string>) => ws.svc['edits.import']({ experimentId: ws.exp.id, file: { name: 'x.jsonl', ...file } })
    expect(await send({ bytes: 'eyJw!' })).toEqual({ ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/^edits\.import: file\.bytes: expected the file as base64/) } })
    expect(await send({ bytes: 'e30K', content: '{}' })).toEqual({ ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/^edits\.import: file: give the file as bytes \(base64\) or as content/) } })
    expect(count()).toBe(before)
  })

  it('a file that cannot be read at all is invalid_request and nothing is written', async () => {
    const before = count()
    const r = await ws.svc['edits.import']({ experimentId: ws.exp.id, file: { name: 'x.txt', content: 'hello world' } })
    expect(r).toEqual({ ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/cannot tell the format of x\.txt/) } })
    expect(count()).toBe(before)
  })

  it('imports 10,000 records in under 5 s', async () => {
    const content = Array.from({ length: 10_000 }, (_, i) =>
      JSON.stringify({ prompt: `The capital of Big${i} is`, target: `Town${i}`, ground_truth: `Old${i}`, rephrases: [`Big${i}'s capital is`],
        locality: [{ prompt: `Unrelated ${i} is`, answer: 'x' }], subject: `Big${i}`, relation: 'capital' })).join('\n')
    const before = count()
    const t0 = performance.now()
    const rep = ok(await ws.svc['edits.import']({ experimentId: ws.exp.id, file: { name: 'big.jsonl', content } }))
    const ms = performance.now() - t0
    console.info(`edits.import of 10,000 records: ${ms.toFixed(0)} ms`)
    expect(ms).toBeLessThan(5000)
    expect(rep).toMatchObject({ total: 10_000, good: 10_000, imported: 10_000, errors: [] })
    expect(count()).toBe(before + 10_000)
    expect(ws.db().pragma('integrity_check', { simple: true })).toBe('ok')
  })

  it('fuzzed files give a report or invalid_request, never a crash or a partial write', async () => {
    const rand = prng(20_251_124)
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ prompt: `Fuzz ${i} is`, target: `F${i}`, locality: [{ prompt: `L${i}`, answer: 'a' }] }))
    // each ends with a line break, as written files do (a CSV's last row without one may be cut short: an error)
    const seeds = [lines.join('\n'), `prompt,target,rephrases\n${lines.map((_, i) => `"Fuzz ${i} is",F${i},"r${i}"`).join('\n')}`, `[${lines.join(',')}]`]
      .map((s) => `${s}\n`)
    const outcomes = { report: 0, withErrors: 0, refused: 0 }
    for (let i = 0; i < 300; i++) {
      const chars = [...seeds[i % seeds.length]]
      // 0 to 5 changes: mutated files rarely stay clean now that short and cut-off CSV rows are errors too
      const ops = Math.floor(rand() * 6)
      for (let k = 0; k < ops; k++) {
        const at = Math.floor(rand() * chars.length)
        const op = rand()
        if (op < 0.3) chars[at] = String.fromCharCode(Math.floor(rand() * 0x3000))
        else if (op < 0.5) chars.splice(at, 1 + Math.floor(rand() * 20))
        else if (op < 0.7) chars.splice(at, 0, ...['"', '{', '}', ',', '\n', '\\', '\0', '[', ']'][Math.floor(rand() * 9)])
        else if (op < 0.85) chars.length = Math.max(1, at)
        else chars.splice(at, 0, ...chars.slice(0, 30))
      }
      const content = chars.join('')
      const before = count()
      const r = await ws.svc['edits.import']({ experimentId: ws.exp.id, file: { name: ['f.jsonl', 'f.csv', 'f.json'][i % 3], content } })
      if (r.ok) {
        outcomes[r.value.errors.length > 0 ? 'withErrors' : 'report']++
        expect(r.value.imported).toBe(r.value.good)
        expect(r.value.good + r.value.errors.length + r.value.omittedErrors).toBeGreaterThanOrEqual(r.value.total)
        expect(count()).toBe(before + r.value.good)
      } else {
        outcomes.refused++
        expect(r.error.code, `${r.error.message} for ${JSON.stringify(content.slice(0, 80))}`).toBe('invalid_request')
        expect(count()).toBe(before)
      }
    }
    // The mutations reach every branch: clean files, files with bad records, files refused whole.
    expect(Math.min(outcomes.report, outcomes.withErrors, outcomes.refused), JSON.stringify(outcomes)).toBeGreaterThan(10)
    expect(ws.db().pragma('integrity_check', { simple: true })).toBe('ok')
  })
})

describe('export', () => {
  it('edits export as re-importable JSONL with their status and batch', async () => {
    const { svc } = ws
    const exp = ok(await svc['experiments.create']({ name: 'export me', modelId: ws.model.id, config: { lr: 1e-2, maxSteps: 60, eps: 1, numExperts: 16 } }))
    ok(await svc['edits.add']({ experimentId: exp.id, edits: [{ ...EDITS[0], groundTruth: 'Paris', rephrases: ['France has its capital in'] }, EDITS[1]] }))
    expect((await applyAndWait(svc, exp.id, 1, 1)).state).toBe('done')
    const out = ok(await svc['export.edits']({ experimentId: exp.id }))
    expect(out.name).toBe('export_me-edits.jsonl')
    const rows = out.content.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(rows).toEqual([
      { prompt: EDITS[0].prompt, target: 'Lyon', ground_truth: 'Paris', rephrases: ['France has its capital in'], locality: [], status: 'applied', batch: { seq: 1, state: 'applied' } },
      { prompt: EDITS[1].prompt, target: EDITS[1].target, rephrases: [], locality: [], status: 'queued', batch: null }
    ])
    const again = ok(await svc['edits.importPreview']({ file: { name: out.name, content: out.content } }))
    expect(again).toMatchObject({ format: 'elder', total: 2, good: 2, errors: [] })
  })

  it('the adapter moves to another workspace: same predictions there, as applied batches with their edits', async () => {
    const { svc } = ws
    const src = ok(await svc['experiments.list']({})).find((e) => e.name === 'export me')
    if (!src) throw new Error('missing experiment')
    const prompts = [EDITS[0].prompt, EDITS[1].prompt, 'Hello']
    const here = ok(await svc.probe({ experimentId: src.id, prompts }))
    const adapter = ok(await svc['export.adapter']({ experimentId: src.id }))
    expect(adapter.name).toBe('export_me.elder-adapter')

    const other = await testWorkspace({}, { modelDir: ws.modelDir })
    try {
      const imported = ok(await other.svc['import.adapter']({ experimentId: other.exp.id, name: adapter.name, base64: adapter.base64 }))
      expect(imported).toMatchObject({ name: 'export me (imported)', config: src.config, counts: { applied: 1, queued: 0 } })
      const batches = ok(await other.svc['batches.list']({ experimentId: imported.id }))
      expect(batches.map((b) => [b.seq, b.state, b.edits.map((e) => e.target)])).toEqual([[1, 'applied', ['Lyon']]])
      const there = ok(await other.svc.probe({ experimentId: imported.id, prompts }))
      // Edit ids differ between workspaces; everything else (answers, scope, distances) must not.
      const strip = (r: typeof here) => r.map((p) => ({
        ...p,
        edited: {
          ...p.edited, nearestEditId: p.edited.nearestEditId === null ? null : 'set',
          scope: { ...p.edited.scope, summary: p.edited.scope.summary.replace(/#\d+/g, '#'), nearest: p.edited.scope.nearest.map((n) => ({ ...n, editId: n.editId === null ? null : 'set' })) }
        }
      }))
      expect(strip(there)).toEqual(strip(here))
      expect(there[0].edited.nearestEditId).toBe(batches[0].edits[0].id)

      const corrupt = Buffer.from(adapter.base64, 'base64')
      corrupt[corrupt.length - 3] ^= 0xff
      expect(await other.svc['import.adapter']({ experimentId: other.exp.id, name: 'bad.elder-adapter', base64: corrupt.toString('base64') })).toEqual({
        ok: false,
        error: { code: 'invalid_request', message: 'bad.elder-adapter is not an ELDER adapter file: the editor state does not match its sha256 (the file is corrupt or truncated)' }
      })
      expect(ok(await other.svc['experiments.list']({}))).toHaveLength(2)
    } finally {
      await other.close()
    }
  })

  it('an experiment with nothing applied has no adapter to export', async () => {
    const r = await ws.svc['export.adapter']({ experimentId: ws.exp.id })
    expect(r).toEqual({ ok: false, error: { code: 'conflict', message: 'experiment "test" has no applied batch yet; there is no adapter to export' } })
  })
})
