// Envelope checks at the process boundary: well-formed messages pass typed, anything else is named and refused.
import { describe, expect, it } from 'vitest'
import { envelope, parseEngineMessage, parseHostMessage } from '../../src-main/jobs/protocol'

describe('protocol envelopes', () => {
  it('accepts every message kind the engine sends', () => {
    for (const m of [
      { type: 'ready', backend: 'backend wasm', pid: 1 },
      { type: 'progress', id: 1, step: 2, maxSteps: 50, loss: 0.5 },
      { type: 'progress', id: 1, step: 2, maxSteps: 50, loss: null },
      { type: 'result', id: 1, kind: 'load', value: { owners: [], rows: 0 } },
      { type: 'error', id: 1, error: { code: 'checkpoint', message: 'corrupt' } },
      { type: 'log', level: 'warn', message: 'slow' }
    ]) expect(parseEngineMessage(m)).toEqual({ ok: true, msg: m })
  })

  it.each([
    [null, 'message: Invalid input'],
    [{ type: 'result', id: -1, kind: 'load', value: 1 }, 'id: Too small'],
    [{ type: 'result', id: 1, kind: 'teleport', value: 1 }, 'kind: Invalid option'],
    [{ type: 'error', id: 1, error: { code: 'oops', message: 'x' } }, 'error.code: Invalid option'],
    [{ type: 'progress', id: 1, step: '2', maxSteps: 50, loss: 0 }, 'step: Invalid input']
  ])('refuses %j from the engine, saying why', (raw, why) => {
    const r = parseEngineMessage(raw)
    expect(r.ok).toBe(false)
    expect(r.ok ? '' : r.reason).toContain(why)
  })

  it('wraps request bodies and checks host envelopes', () => {
    const req = envelope('predict', 7, { prompts: ['a'], maxNewTokens: 2 })
    expect(req).toEqual({ type: 'predict', id: 7, prompts: ['a'], maxNewTokens: 2 })
    expect(parseHostMessage(req)).toEqual({ ok: true, msg: req })
    expect(parseHostMessage({ type: 'cancel', id: 7 }).ok).toBe(true)
    expect(parseHostMessage({ type: 'predict' })).toMatchObject({ ok: false, reason: expect.stringContaining('id') })
  })
})
