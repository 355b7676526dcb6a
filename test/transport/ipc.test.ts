// Every contract method is one ipcMain.handle with its validator and a sender check; the preload exposes exactly
// one function per method, each invoking that method's channel. Electron's ipcMain is replaced by a recorder.
import { describe, expect, it } from 'vitest'
import { buildElderApi, channelFor, EVENT_CHANNEL } from '../../src-preload/bridge'
import { METHODS, type Method, type WorkspaceEvent } from '../../src-preload/contract'
import { forwardEvents, registerIpc, type IpcMainLike } from '../../src-main/transport/ipc'
import { recordingService, VALID } from './fake-service'

interface FakeEvent {
  trusted: boolean
}
type Handler = (event: FakeEvent, ...args: unknown[]) => Promise<unknown>

function fakeIpcMain(): IpcMainLike<FakeEvent> & { handlers: Map<string, Handler> } {
  const handlers = new Map<string, Handler>()
  return {
    handlers,
    handle(channel, listener) {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`) // Electron throws too
      handlers.set(channel, listener)
    },
    removeHandler(channel) {
      handlers.delete(channel)
    }
  }
}

function setup() {
  const ipc = fakeIpcMain()
  const rec = recordingService()
  const dispose = registerIpc(ipc, rec.service, (e) => e.trusted)
  const call = (method: Method, req: unknown, trusted = true): Promise<unknown> => ipc.handlers.get(channelFor(method))!({ trusted }, req)
  return { ipc, rec, dispose, call }
}

describe('registerIpc', () => {
  it('registers exactly one handler per contract method, on elder:<method>', () => {
    const { ipc } = setup()
    expect([...ipc.handlers.keys()].sort()).toEqual(METHODS.map((m) => `elder:${m}`).sort())
    expect(ipc.handlers.size).toBe(METHODS.length)
  })

  it.each(METHODS)('%s: a valid request reaches the service unchanged', async (method) => {
    const { rec, call } = setup()
    await expect(call(method, VALID[method])).resolves.toEqual({ ok: true, value: { echo: method } })
    expect(rec.calls).toEqual([{ method, req: VALID[method] }])
  })

  it.each(METHODS)('%s: an invalid request is refused by its validator before the service', async (method) => {
    const { rec, call } = setup()
    const r = (await call(method, { ...(VALID[method] as object), unexpected: 1 })) as { ok: boolean; error: { code: string; message: string } }
    expect(r.ok).toBe(false)
    expect(r.error.code).toBe('invalid_request')
    expect(r.error.message).toContain(method)
    expect(rec.calls).toEqual([])
  })

  it('names the failing field', async () => {
    const { call } = setup()
    const r = (await call('edits.add', { experimentId: 1, edits: [{ prompt: '', target: 't' }] })) as { error: { message: string } }
    expect(r.error.message).toMatch(/^edits\.add: edits\.0\.prompt: /)
  })

  it.each(METHODS)('%s: an untrusted sender is refused', async (method) => {
    const { rec, call } = setup()
    const r = (await call(method, VALID[method], false)) as { ok: boolean; error: { code: string } }
    expect(r).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    expect(rec.calls).toEqual([])
  })

  it('refuses extra arguments and turns a throwing service into an internal error', async () => {
    const ipc = fakeIpcMain()
    const rec = recordingService({
      probe: () => {
        throw new Error('boom')
      }
    })
    registerIpc(ipc, rec.service, () => true)
    const probe = ipc.handlers.get('elder:probe')!
    await expect(probe({ trusted: true }, VALID.probe, 'extra')).resolves.toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    await expect(probe({ trusted: true }, VALID.probe)).resolves.toEqual({ ok: false, error: { code: 'internal', message: 'probe: boom' } })
  })

  it('removes every handler again', () => {
    const { ipc, dispose } = setup()
    dispose()
    expect(ipc.handlers.size).toBe(0)
  })
})

describe('forwardEvents', () => {
  it('sends each event to every live window on elder:event and stops after unsubscribing', () => {
    const rec = recordingService()
    const sent: Array<[string, string, WorkspaceEvent]> = []
    const target = (name: string, destroyed: boolean) => ({
      isDestroyed: () => destroyed,
      send: (channel: string, e: WorkspaceEvent) => void sent.push([name, channel, e])
    })
    const off = forwardEvents(rec.service, () => [target('a', false), target('b', true)])
    const e: WorkspaceEvent = { type: 'edits.changed', experimentId: 3 }
    rec.emit(e)
    expect(sent).toEqual([['a', EVENT_CHANNEL, e]])
    off()
    rec.emit(e)
    expect(sent).toHaveLength(1)
    expect(rec.listenerCount()).toBe(0)
  })
})

describe('preload bridge', () => {
  it('exposes exactly one function per contract method plus onEvent', () => {
    const api = buildElderApi(async () => null, () => () => undefined)
    expect(Object.keys(api).sort()).toEqual([...METHODS, 'onEvent'].sort())
    for (const k of Object.keys(api)) expect(typeof (api as Record<string, unknown>)[k]).toBe('function')
  })

  it('maps every function to its own method, on the channel the main process registers', async () => {
    const invoked: Array<{ method: Method; channel: string; req: unknown }> = []
    const api = buildElderApi(async (method, req) => void invoked.push({ method, channel: channelFor(method), req }), () => () => undefined)
    for (const m of METHODS) await (api[m] as (r: unknown) => Promise<unknown>)(VALID[m])
    expect(invoked.map((i) => i.method)).toEqual(METHODS)
    expect(invoked.map((i) => i.req)).toEqual(METHODS.map((m) => VALID[m]))
    const { ipc } = setup()
    expect(new Set(invoked.map((i) => i.channel))).toEqual(new Set(ipc.handlers.keys()))
  })

  it('passes onEvent subscriptions through and returns the unsubscribe', () => {
    const listeners: Array<(e: WorkspaceEvent) => void> = []
    let removed = 0
    const api = buildElderApi(async () => null, (l) => {
      listeners.push(l)
      return () => void removed++
    })
    const got: WorkspaceEvent[] = []
    const off = api.onEvent((e) => got.push(e))
    listeners[0]({ type: 'batches.changed', experimentId: 1 })
    off()
    expect(got).toEqual([{ type: 'batches.changed', experimentId: 1 }])
    expect(removed).toBe(1)
  })
})
