// The default ELDER method (config preset 'elder'; docs/elder-method.md) on the embedded tiny-world model
// (8 blocks: 6 MoLoRA layers), and the paper preset's outputs pinned to what the engine produced before the
// default changed. Edits come from the world's own suite, so their targets are counterfactual for this model.
import { createHash } from 'node:crypto'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { parseElderConfig } from '../../src-main/engine/elder/config'
import { ElderEditor } from '../../src-main/engine/elder/editor'
import { promptLogits, scoreRows } from '../../src-main/engine/methods/infer'
import { editorFromState, exportState } from '../../src-main/engine/elder/state'
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load'
import { WORLD_DIR, WORLD_RECS, worldEdit } from '../helpers/world-suite'

let base: LoadedModel
beforeAll(async () => {
  await initBackend('wasm')
  base = await loadModel(WORLD_DIR)
})
afterAll(() => base.model.dispose())

const sameLogits = (a: Float32Array, b: Float32Array): boolean => a.every((v, i) => v === b[i])

describe('default ELDER method', () => {
  it('an edit still holds after 50 later edits, and unrelated facts keep their base answers', async () => {
    const e = new ElderEditor(base, {})
    expect(e.L).toBeGreaterThanOrEqual(2)
    const first = WORLD_RECS[0]
    await e.applyBatch([worldEdit(first)])
    expect(scoreRows(base, e, [first])[0].exact).toBe(true)
    for (const r of WORLD_RECS.slice(1, 51)) await e.applyBatch([worldEdit(r)])
    const [held] = scoreRows(base, e, [first])
    expect(held.exact).toBe(true)
    expect(held.deferred).toBe(false)
    // All 51 edits hold, and their locality prompts (other facts) get the base model's answers.
    const edited = WORLD_RECS.slice(0, 51)
    expect(scoreRows(base, e, edited).filter((s) => s.exact).length).toBeGreaterThanOrEqual(50)
    const loc = edited.flatMap((r) => r.locality.map((l) => ({ prompt: l.prompt, target: l.answer })))
    const onEdited = scoreRows(base, e, loc)
    const onBase = scoreRows(base, null, loc)
    const same = onEdited.filter((s, i) => s.predicted.join() === onBase[i].predicted.join()).length
    expect(same / loc.length).toBeGreaterThanOrEqual(0.99)
    e.dispose()
  }, 600_000)

  it("a disabled or reverted batch's prompt gets the base output exactly; rehearsal never draws it", async () => {
    const e = new ElderEditor(base, {})
    const [a, b, c, d] = [WORLD_RECS[0], WORLD_RECS[1], WORLD_RECS[2], WORLD_RECS[3]]
    for (const r of [a, b, c]) await e.applyBatch([worldEdit(r)])
    const prompts = [a.prompt, b.prompt]
    const baseLogits = promptLogits(base, null, prompts)
    expect(sameLogits(promptLogits(base, e, prompts), baseLogits)).toBe(false)
    e.disableBatch(1)
    e.removeBatch(2)
    expect(sameLogits(promptLogits(base, e, prompts), baseLogits)).toBe(true)
    expect(scoreRows(base, e, [a, b]).map((s) => s.deferred)).toEqual([true, true])
    // Only batch 3 is live: whatever rehearsal replays with batch 4 comes from it.
    const r4 = await e.applyBatch([worldEdit(d)])
    expect(r4.rehearsed.length).toBeGreaterThan(0)
    expect(r4.rehearsed.every((ref) => ref.owner === 3)).toBe(true)
    e.enableBatch(1)
    expect(scoreRows(base, e, [a])[0].deferred).toBe(false)
    e.dispose()
  }, 300_000)

  it('re-editing a fact replaces the old target: the latest wins, in scope and in rehearsal', async () => {
    const e = new ElderEditor(base, {})
    const r = WORLD_RECS[5]
    const [t2, t3] = WORLD_RECS.filter((x) => x.relation === r.relation && x.target !== r.target).map((x) => x.target)
    await e.applyBatch([worldEdit(r)])
    expect(scoreRows(base, e, [r])[0].exact).toBe(true)
    // The same prompt again with another target: the first edit is superseded and the latest target wins.
    const second = await e.applyBatch([{ ...worldEdit(r), target: t2 }])
    expect(second.superseded).toBe(1)
    let [latest, old] = scoreRows(base, e, [{ prompt: r.prompt, target: t2 }, r])
    expect([latest.exact, old.exact]).toEqual([true, false])
    // The same subject and relation through another template supersedes it too.
    const third = await e.applyBatch([{ ...worldEdit(r), prompt: r.rephrases[0], target: t3 }])
    expect(third.superseded).toBe(1)
    expect(third.rehearsed).toEqual([])
    ;[latest, old] = scoreRows(base, e, [{ prompt: r.rephrases[0], target: t3 }, { prompt: r.prompt, target: t2 }])
    expect([latest.exact, old.exact]).toEqual([true, false])
    // Rehearsal only ever draws the live edit; superseded rows stay superseded through a state file.
    const fourth = await e.applyBatch([worldEdit(WORLD_RECS[6])])
    expect(fourth.rehearsed).toEqual([{ owner: 3, row: 0 }])
    const copy = editorFromState(base, exportState(e))
    expect(scoreRows(base, copy, [{ prompt: r.prompt, target: t2 }])[0].exact).toBe(false)
    copy.dispose()
    e.dispose()
  }, 300_000)

  it('an earlier edit whose loss rose above slipLoss is rehearsed first, worst first, though its answer is still right', async () => {
    // slipLoss 1e-6: no trained edit is that sure of its target, so each check finds every earlier edit slipped,
    // with its loss as severity. slipLoss 0 (argmax only) finds them right.
    const run = async (slipLoss: number): Promise<{ queued: number[]; firstReplayedIsWorst: boolean[] }> => {
      const e = new ElderEditor(base, { rehearsal: 3, slipLoss })
      const queued: number[] = []
      const firstReplayedIsWorst: boolean[] = []
      for (const r of WORLD_RECS.slice(0, 8)) {
        const worst = e.slippedRows().at(0)
        const res = await e.applyBatch([worldEdit(r)])
        if (worst) firstReplayedIsWorst.push(res.rehearsed[0].owner === worst.ref.owner)
        const rows = e.slippedRows()
        queued.push(rows.length)
        // Worst first, and a loss (finite) above the threshold: no answer went wrong.
        rows.forEach((s, i) => {
          expect(s.severity).toBeGreaterThan(slipLoss)
          if (i > 0) expect(s.severity).toBeLessThanOrEqual(rows[i - 1].severity)
        })
      }
      e.dispose()
      return { queued, firstReplayedIsWorst }
    }
    const margin = await run(1e-6)
    expect(margin.queued).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(margin.firstReplayedIsWorst.length).toBe(7)
    expect(margin.firstReplayedIsWorst.every(Boolean)).toBe(true)
    const argmax = await run(0)
    expect(argmax.queued.every((n) => n === 0)).toBe(true)
  }, 300_000)

  it('keeps the tensor count flat over repeated edits with rehearsal and checks', async () => {
    const e = new ElderEditor(base, { maxSteps: 4 })
    await e.applyBatch([worldEdit(WORLD_RECS[0])])
    const before = tf.memory().numTensors
    for (const r of WORLD_RECS.slice(1, 21)) await e.applyBatch([worldEdit(r)])
    expect(tf.memory().numTensors).toBe(before)
    e.dispose()
  }, 300_000)
})

describe("'elder-paper' preset", () => {
  it("fills the paper's fields under the ones given; the default is the 'elder' method", () => {
    const paper = parseElderConfig({ preset: 'elder-paper', eps: 6 })
    expect([paper.numExperts, paper.rank, paper.routing, paper.discriminator, paper.rehearsal, paper.lr, paper.eps]).toEqual([
      4, 8, 'router', 'code', 0, 1e-3, 6
    ])
    const d = parseElderConfig({})
    expect([d.preset, d.routing, d.discriminator, d.answerGate, d.subjectGate]).toEqual(['elder', 'preset', 'key', true, true])
    expect(() => parseElderConfig({ preset: 'grace' })).toThrow(/preset/)
  })

  it('reproduces the outputs the engine gave before the default changed (fixed seed)', async () => {
    // Golden values from the engine at commit 3c5d28a (the paper's settings were then the defaults).
    const e = new ElderEditor(base, { preset: 'elder-paper', maxSteps: 8 })
    const losses: number[] = []
    const recs = WORLD_RECS.slice(0, 3)
    for (const r of recs) losses.push(...(await e.applyBatch([{ prompt: r.prompt, target: r.target }])).losses)
    const prompts = recs.flatMap((r) => [r.prompt, r.rephrases[0], r.locality[0].prompt])
    const logits = promptLogits(base, e, prompts)
    expect(losses.slice(0, 3)).toEqual([2.386779308319092, 2.284895658493042, 2.176623582839966])
    expect(losses.at(-1)).toBe(1.9101204872131348)
    expect(createHash('sha256').update(new Uint8Array(logits.buffer)).digest('hex')).toBe(
      '7d1a0d667b1b2564a49830e90b8f035d3114b6b4be4279cc5b1e71a6070ff7b8'
    )
    e.dispose()
  })
})
