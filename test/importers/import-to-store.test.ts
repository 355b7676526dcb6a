import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { toJsonl, type FullEditRecord } from '../../scripts/world/format'
import { importFile } from '../../src-main/importers/index'
import { addEdits, countEditsByStatus, createExperiment, listEdits, openWorkspaceDb, registerModel } from '../../src-main/store/index'

describe('import → store', () => {
  it('imports a generated 10,000-record JSONL file and inserts it in one transaction within 5 s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elder-import-store-'))
    try {
      const records: FullEditRecord[] = Array.from({ length: 10_000 }, (_, i) => ({
        prompt: `The capital of Velmora${i} is`, target: `Brelo${i}`, ground_truth: `Ostin${i}`,
        rephrases: [`Velmora${i} has its capital in`, `Q: What is the capital of Velmora${i}? A:`],
        locality: [{ prompt: `The capital of Quenth${i} is`, answer: `Darro${i}` }], subject: `Velmora${i}`, relation: 'capital'
      }))
      const file = join(dir, 'edits.jsonl')
      writeFileSync(file, toJsonl(records))
      const db = openWorkspaceDb(join(dir, 'ws.sqlite'))
      const model = registerModel(db, { path: '/m', architecture: 'gpt2', config: {}, contentHash: 'e'.repeat(64) })
      const exp = createExperiment(db, { name: 'bulk', modelId: model.id, method: 'elder', config: {} })

      const t0 = performance.now()
      const res = await importFile(file)
      const t1 = performance.now()
      const ids = addEdits(db, exp.id, res.records, { sourceFile: file })
      const t2 = performance.now()
      console.info(`10,000-record JSONL: import ${(t1 - t0).toFixed(0)} ms + store ${(t2 - t1).toFixed(0)} ms = ${(t2 - t0).toFixed(0)} ms`)

      expect(t2 - t0).toBeLessThan(5000)
      expect(res).toMatchObject({ format: 'elder', container: 'jsonl', total: 10_000, errors: [] })
      expect(ids).toHaveLength(10_000)
      expect(countEditsByStatus(db, exp.id).queued).toBe(10_000)
      expect(listEdits(db, exp.id, { offset: 9_999 }).items[0]).toMatchObject({
        prompt: 'The capital of Velmora9999 is', target: 'Brelo9999', groundTruth: 'Ostin9999', sourceFile: file, sourceLine: 10_000,
        locality: [{ prompt: 'The capital of Quenth9999 is', answer: 'Darro9999' }], relation: 'capital'
      })
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      db.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
