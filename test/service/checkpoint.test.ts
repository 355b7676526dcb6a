// A checkpoint whose bytes changed after they were recorded is refused with a clear error and the history stays
// as it was; a batch left `training` by a crashed app is `interrupted` when the workspace opens again.
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createService, type Service } from '../../src-main/service'
import { createNextBatch, listCheckpoints, setBatchState, type BatchWithEdits } from '../../src-main/store'
import { applyAndWait, EDITS, engineSpawn, ok, testWorkspace, type TestWorkspace } from './helpers'

let ws: TestWorkspace
let svc: Service

beforeAll(async () => {
  ws = await testWorkspace()
  svc = ws.svc
})
afterAll(async () => {
  await svc.close()
  await ws.close()
})

const reopen = async (): Promise<Service> => {
  await svc.close()
  svc = await createService({ workspaceDir: ws.dir, spawn: engineSpawn(), onLog: () => undefined })
  return svc
}

describe('checkpoints', () => {
  it('a corrupt checkpoint is refused with a clear error; history is intact and works again once the file is restored', async () => {
    const { exp } = ws
    ok(await svc['edits.add']({ experimentId: exp.id, edits: [EDITS[0]] }))
    expect((await applyAndWait(svc, exp.id)).state).toBe('done')
    const before = ok(await svc.probe({ experimentId: exp.id, prompts: [EDITS[0].prompt] }))
    const [cp] = listCheckpoints(ws.db(), exp.id)
    const file = join(ws.dir, cp.file)
    const good = readFileSync(file)
    const bad = Buffer.from(good)
    bad[bad.length >> 1] ^= 0x01
    writeFileSync(file, bad)

    await reopen() // a fresh engine must load the file
    const r = await svc.probe({ experimentId: exp.id, prompts: [EDITS[0].prompt] })
    expect(r).toEqual({
      ok: false,
      error: { code: 'io', message: expect.stringMatching(new RegExp(`checkpoint .*${cp.file.replace(/[.]/g, '\\.')} is corrupt: its sha256 is [0-9a-f]{12}…, the workspace recorded ${cp.sha256.slice(0, 12)}…`)) }
    })
    ok(await svc['edits.add']({ experimentId: exp.id, edits: [EDITS[1]] }))
    // refused as a request, not run as a job that fails (issue 11): the caller learns it is a file to restore
    expect(await svc['jobs.apply']({ experimentId: exp.id, batchSize: 1, batches: 1 })).toEqual({
      ok: false, error: { code: 'io', message: expect.stringMatching(/is corrupt: .*history is unchanged/) }
    })
    // refused before a batch is cut (issue 11): no batch #2 left queued for a later replay to train
    const batches = ok(await svc['batches.list']({ experimentId: exp.id }))
    expect(batches.map((b) => [b.seq, b.state])).toEqual([[1, 'applied']])
    expect(listCheckpoints(ws.db(), exp.id)).toEqual([cp])
    expect(ok(await svc['edits.list']({ experimentId: exp.id })).rows.map((e) => [e.prompt, e.status])).toEqual([
      [EDITS[0].prompt, 'applied'], [EDITS[1].prompt, 'queued']
    ])

    writeFileSync(file, good)
    expect(ok(await svc.probe({ experimentId: exp.id, prompts: [EDITS[0].prompt] }))).toEqual(before)
  })

  it('a missing checkpoint file is named in the error', async () => {
    const [cp] = listCheckpoints(ws.db(), ws.exp.id)
    const file = join(ws.dir, cp.file)
    renameSync(file, `${file}.away`)
    await reopen()
    const r = await svc.probe({ experimentId: ws.exp.id, prompts: ['Hello'] })
    expect(r.ok ? null : r.error).toEqual({ code: 'io', message: expect.stringMatching(/checkpoint .* cannot be read \(ENOENT\)/) })
    renameSync(`${file}.away`, file)
  })

  it('a batch left training by a crashed app is interrupted when the workspace opens, and re-runs', async () => {
    await svc.close()
    const db = new Database(join(ws.dir, 'workspace.sqlite'))
    setBatchState(db, (createNextBatch(db, ws.exp.id, 1) as BatchWithEdits).id, 'training')
    db.close()
    svc = await createService({ workspaceDir: ws.dir, spawn: engineSpawn(), onLog: () => undefined })
    expect(ok(await svc['batches.list']({ experimentId: ws.exp.id })).map((b) => b.state)).toEqual(['applied', 'interrupted'])
    expect((await applyAndWait(svc, ws.exp.id)).state).toBe('done')
    expect(ok(await svc['batches.list']({ experimentId: ws.exp.id })).map((b) => b.state)).toEqual(['applied', 'applied'])
  })
})
