// A workspace experiment runs the method it names: a LoRA experiment applies, probes and reloads through the
// same service calls as ELDER, and what the method cannot do (switch off one batch) fails with its reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAndWait, EDITS, ok, testWorkspace, type TestWorkspace } from './helpers'

let ws: TestWorkspace
beforeAll(async () => {
  ws = await testWorkspace({ lr: 1e-2, maxSteps: 60 })
})
afterAll(() => ws.close())

describe('an experiment with another method', () => {
  it('a LoRA experiment applies an edit and the probe answers the new target, without codes or scope', async () => {
    const { svc, model } = ws
    const exp = ok(await svc['experiments.create']({ name: 'lora', modelId: model.id, method: 'lora', config: { lr: 1e-2, maxSteps: 60 } }))
    expect(exp.method).toBe('lora')
    ok(await svc['edits.add']({ experimentId: exp.id, edits: [EDITS[0]] }))
    const job = await applyAndWait(svc, exp.id, 1, 1)
    expect(job.state).toBe('done')
    const [p] = ok(await svc.probe({ experimentId: exp.id, prompts: [EDITS[0].prompt] }))
    expect(p.base.answer).not.toBe('Lyon')
    expect(p.edited).toMatchObject({ answer: 'Lyon', code: '', nearestEditId: null, deferred: false })
    const [batch] = ok(await svc['batches.list']({ experimentId: exp.id }))
    const off = await svc['rollback.disable']({ batchId: batch.id })
    expect(off.ok ? null : off.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/cannot switch off/) })
    // The refused disable changed nothing: the edit is still served.
    const [again] = ok(await svc.probe({ experimentId: exp.id, prompts: [EDITS[0].prompt] }))
    expect(again.edited.answer).toBe('Lyon')
  })

  it('settings of another method are refused at experiments.create, naming the field', async () => {
    const r = await ws.svc['experiments.create']({ name: 'bad', modelId: ws.model.id, method: 'lora', config: { numExperts: 4 } })
    expect(r.ok ? null : r.error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/numExperts/) })
  })
})
