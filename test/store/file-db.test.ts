import { describe, expect, it } from 'vitest'
import { addEdits, listEdits, openWorkspaceDb, schemaVersion, LATEST_VERSION } from '../../src-main/store/index'
import { edit, seedExperiment, tempWorkspace } from './helpers'

describe('workspace file', () => {
  it('uses WAL, NORMAL sync and foreign keys on a real file, and reopens at the same version', () => {
    const ws = tempWorkspace()
    try {
      expect(ws.db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(ws.db.pragma('synchronous', { simple: true })).toBe(1)
      expect(ws.db.pragma('foreign_keys', { simple: true })).toBe(1)
      const e = seedExperiment(ws.db)
      addEdits(ws.db, e.id, [edit(1)])
      ws.db.close()
      const again = openWorkspaceDb(ws.file)
      expect(schemaVersion(again)).toBe(LATEST_VERSION)
      expect(listEdits(again, e.id).total).toBe(1)
      again.close()
    } finally { ws.close() }
  })

  it('refuses to open a workspace written by a newer build, and leaves it as it was', () => {
    const ws = tempWorkspace()
    try {
      ws.db.pragma(`user_version = ${LATEST_VERSION + 10}`)
      ws.db.close()
      expect(() => openWorkspaceDb(ws.file)).toThrow(
        `workspace schema version ${LATEST_VERSION + 10} is newer than this build understands (latest ${LATEST_VERSION}); open it with a newer ELDER Workbench`)
      const raw = openWorkspaceDb(ws.file, { migrate: false })
      expect(schemaVersion(raw)).toBe(LATEST_VERSION + 10)
      raw.close()
    } finally { ws.close() }
  })

  it('adds 10,000 edits in one transaction in under 2 s, and the file passes integrity_check', () => {
    const ws = tempWorkspace()
    try {
      const e = seedExperiment(ws.db)
      const inputs = Array.from({ length: 10_000 }, (_, i) => ({
        ...edit(i), groundTruth: `Old${i}`, locality: [{ prompt: `Unrelated ${i} is`, answer: 'x' }], sourceLine: i + 1
      }))
      const t0 = performance.now()
      const ids = addEdits(ws.db, e.id, inputs, { sourceFile: 'big.jsonl' })
      const ms = performance.now() - t0
      console.info(`addEdits(10,000) took ${ms.toFixed(0)} ms`)
      expect(ms).toBeLessThan(2000)
      expect(ids).toHaveLength(10_000)
      expect(listEdits(ws.db, e.id, { offset: 9_999 }).items[0]).toMatchObject({ position: 9_999, target: 'City9999', sourceLine: 10_000 })
      expect(ws.db.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(ws.db.pragma('foreign_key_check')).toEqual([])
    } finally { ws.close() }
  })
})
