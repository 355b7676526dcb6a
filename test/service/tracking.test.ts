// Experiment tracking through the service (issue 14), on a real engine process and the tiny model: presets, one edit
// list applied to two experiments, the evaluation cadence, token accuracy beside exact match, edit health, the
// reproduction record, clone with changes and archive.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createService } from '../../src-main/service'
import { tinyModelDir } from '../helpers/tiny-model'
import { EXPERIMENT_PRESETS } from '../../src-preload/contract'
import { COMPARE_ROWS } from '../../src-main/engine/eval/compare'
import { applyAndWait, EDITS, engineSpawn, FAST, ok, testWorkspace, type TestWorkspace } from './helpers'

let ws: TestWorkspace
beforeAll(async () => {
  ws = await testWorkspace()
  ok(await ws.svc['edits.add']({ experimentId: ws.exp.id, edits: EDITS }))
})
afterAll(() => ws.close())

describe('presets', () => {
  it('are the bench compare rows (every method and the paper preset ablations), as method + config', () => {
    const byName = (a: unknown[], b: unknown[]): number => String(a[0]).localeCompare(String(b[0]))
    const rows = Object.entries(COMPARE_ROWS).filter(([name]) => name !== 'base').map(([name, r]) => [name, r.method, r.config]).sort(byName)
    expect(Object.entries(EXPERIMENT_PRESETS).map(([name, p]) => [name, p.method, p.config]).sort(byName)).toEqual(rows)
  })

  it('create from a preset takes its method and config, fields given on top; a method other than the preset\'s is refused', async () => {
    const { svc, model } = ws
    const paper = ok(await svc['experiments.create']({ name: 'paper', modelId: model.id, preset: 'elder-paper w/o guided loss', config: { maxSteps: 5 } }))
    expect(paper).toMatchObject({ method: 'elder', preset: 'elder-paper w/o guided loss', config: { preset: 'elder-paper', lambda: 0, maxSteps: 5 } })
    expect(paper.settings).toMatchObject({ lambda: 0, maxSteps: 5 })
    const bad = await svc['experiments.create']({ name: 'x', modelId: model.id, preset: 'grace', method: 'elder' })
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringContaining('preset "grace"') } })
    const badConfig = await svc['experiments.create']({ name: 'x', modelId: model.id, preset: 'grace', config: { numExperts: 3 } })
    expect(badConfig.ok).toBe(false)
  })
})

describe('one edit list, two experiments', () => {
  it('each experiment trains its own copy; the cadence evaluates every 2 edits with exact match and token accuracy; every applied edit gets a verdict', async () => {
    const { svc, model, exp } = ws
    const a = ok(await svc['experiments.create']({ name: 'elder', modelId: model.id, preset: 'elder', config: FAST, editsFrom: exp.id, evalEvery: 2 }))
    const b = ok(await svc['experiments.create']({ name: 'grace', modelId: model.id, preset: 'grace', config: { maxSteps: 30 }, editsFrom: exp.id, evalEvery: 2 }))
    for (const x of [a, b]) {
      expect(ok(await svc['edits.list']({ experimentId: x.id })).rows.map((r) => [r.prompt, r.status, r.health]))
        .toEqual(EDITS.map((e) => [e.prompt, 'queued', null]))
      expect(await applyAndWait(svc, x.id, 1, null)).toMatchObject({ state: 'done', editsDone: 3 })
    }
    for (const x of [a, b]) {
      const s = ok(await svc['metrics.series']({ experimentIds: [x.id], names: ['reliability', 'reliability_token_accuracy', 's_per_edit'] }))[String(x.id)]
      // 3 edits one at a time, evaluated every 2: once, at 2 edits.
      expect(s.reliability.map((p) => p.editCount)).toEqual([2])
      expect(s.reliability_token_accuracy.map((p) => p.editCount)).toEqual([2])
      expect(s.reliability_token_accuracy[0].value).toBeGreaterThanOrEqual(s.reliability[0].value)
      expect(s.s_per_edit.map((p) => p.editCount)).toEqual([1, 2, 3])
      const rows = ok(await svc['edits.list']({ experimentId: x.id })).rows
      // Health is from the evaluation at 2 edits: the third was applied after it.
      expect(rows.map((r) => r.health === null)).toEqual([false, false, true])
      const view = ok(await svc['experiments.list']({})).find((e) => e.id === x.id)!
      expect(view.health.checked).toBe(2)
      expect(view.health.holds).toBe(rows.filter((r) => r.health === 'holds').length)
      expect(view.latest.reliability).toEqual({ editCount: 2, value: s.reliability[0].value })
      expect(view.secondsPerEdit).toBeGreaterThan(0)
      expect(view.repro).toMatchObject({ modelHash: model.contentHash, backend: expect.stringMatching(/wasm/), appVersion: 'dev', seed: 0 })
    }
    // The same facts in the same order: the same edit sequence, whatever the method.
    const views = ok(await svc['experiments.list']({}))
    expect(views.find((e) => e.id === a.id)!.repro.editSequence).toBe(views.find((e) => e.id === b.id)!.repro.editSequence)

    // On demand: a fourth point set at 3 edits, and now every applied edit has a verdict.
    const job = ok(await svc['jobs.evaluate']({ experimentId: a.id }))
    expect(await svc.waitForJob(job.id)).toMatchObject({ state: 'done' })
    const rel = ok(await svc['metrics.series']({ experimentIds: [a.id], names: ['reliability'] }))[String(a.id)].reliability
    expect(rel.map((p) => p.editCount)).toEqual([2, 3])
    expect(ok(await svc['edits.list']({ experimentId: a.id })).rows.every((r) => r.health !== null)).toBe(true)
  })

  it('a new or cloned experiment does not become the active one; experiments.select switches', async () => {
    const { svc, model, exp } = ws
    const before = ok(await svc['app.status']({})).experiment!.id
    const n = ok(await svc['experiments.create']({ name: 'later', modelId: model.id, preset: 'lora' }))
    ok(await svc['experiments.clone']({ id: exp.id }))
    expect(ok(await svc['app.status']({})).experiment!.id).toBe(before)
    expect(ok(await svc['experiments.select']({ id: n.id })).experiment).toMatchObject({ id: n.id, method: 'lora', preset: 'lora' })
    expect((await svc['experiments.select']({ id: 9999 })).ok).toBe(false)
  })

  it('clone with changes checks the new config against the method; archive and cadence are updates', async () => {
    const { svc, exp } = ws
    const c = ok(await svc['experiments.clone']({ id: exp.id, name: 'more experts', config: { ...FAST, numExperts: 8 }, tags: ['sweep'] }))
    expect(c).toMatchObject({ name: 'more experts', config: { numExperts: 8 }, tags: ['sweep'], preset: null })
    const g = ok(await svc['experiments.clone']({ id: exp.id, method: 'grace' }))
    expect(g).toMatchObject({ method: 'grace', config: {} })
    expect((await svc['experiments.clone']({ id: exp.id, config: { numExperts: 'many' } })).ok).toBe(false)
    const u = ok(await svc['experiments.update']({ id: c.id, archived: true, evalEvery: 0, name: 'parked' }))
    expect(u).toMatchObject({ archived: true, evalEvery: 0, name: 'parked' })
  })
})

describe('the active experiment', () => {
  it('survives closing and reopening the workspace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elder-active-'))
    try {
      const open = () => createService({ workspaceDir: dir, spawn: engineSpawn(), onLog: () => undefined })
      const first = await open()
      const model = ok(await first['models.register']({ path: tinyModelDir() }))
      const a = ok(await first['experiments.create']({ name: 'a', modelId: model.id }))
      ok(await first['experiments.create']({ name: 'b', modelId: model.id, preset: 'grace' }))
      expect(ok(await first['app.status']({})).experiment?.id).toBe(a.id)
      await first.close()
      const again = await open()
      expect(ok(await again['app.status']({})).experiment?.name).toBe('a')
      await again.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
