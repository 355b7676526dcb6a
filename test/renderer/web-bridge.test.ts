// @vitest-environment happy-dom
// The web bridge: token from the URL (then out of the address bar), bearer header on every call, Results passed
// through, transport failures turned into Results, one EventSource shared by all listeners.
import { describe, expect, it } from 'vitest'
import { METHODS, type WorkspaceEvent } from '../../src-preload/contract'
import { createWebBridge, requestBody, type BridgeDeps } from '../../src-renderer/web-bridge'

class FakeEventSource {
  static last: FakeEventSource | null = null
  onmessage: ((m: MessageEvent<string>) => void) | null = null
  closed = false
  constructor(readonly url: string) {
    FakeEventSource.last = this
  }
  close(): void {
    this.closed = true
  }
}

function deps(respond: (url: string, init: RequestInit) => Promise<Response>) {
  const store = new Map<string, string>()
  const requests: Array<{ url: string; init: RequestInit }> = []
  const replaced: string[] = []
  const d: BridgeDeps = {
    fetch: async (url, init) => {
      requests.push({ url: String(url), init: init ?? {} })
      return respond(String(url), init ?? {})
    },
    EventSource: FakeEventSource as unknown as typeof EventSource,
    storage: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v) },
    replaceUrl: (u) => void replaced.push(u)
  }
  return { d, store, requests, replaced }
}

const json = (status: number, body: unknown): Promise<Response> => Promise.resolve(new Response(JSON.stringify(body), { status }))

describe('createWebBridge', () => {
  it('has one function per method plus onEvent', () => {
    const api = createWebBridge({ href: 'http://127.0.0.1:7421/?token=t' }, deps(() => json(200, { ok: true, value: 1 })).d)
    expect(Object.keys(api).sort()).toEqual([...METHODS, 'onEvent'].sort())
  })

  it('posts JSON with the bearer token from the URL, keeps the token and strips it from the address bar', async () => {
    const { d, store, requests, replaced } = deps(() => json(200, { ok: true, value: { deleted: 1 } }))
    const api = createWebBridge({ href: 'http://127.0.0.1:7421/?token=s3cret#x' }, d)
    await expect(api['edits.delete']({ ids: [1] })).resolves.toEqual({ ok: true, value: { deleted: 1 } })
    expect(requests[0].url).toBe('http://127.0.0.1:7421/api/edits.delete')
    expect(requests[0].init.method).toBe('POST')
    expect(requests[0].init.headers).toMatchObject({ Authorization: 'Bearer s3cret', 'Content-Type': 'application/json' })
    expect(requests[0].init.body).toBe('{"ids":[1]}')
    expect(store.get('elder.token')).toBe('s3cret')
    expect(replaced).toEqual(['/#x'])
    // After a reload the URL has no token; the stored one is used.
    const again = createWebBridge({ href: 'http://127.0.0.1:7421/' }, d)
    await again['app.status']({})
    expect(requests[1].init.headers).toMatchObject({ Authorization: 'Bearer s3cret' })
  })

  it('posts a file\'s base64 as a part of its own, the body byte for byte JSON.stringify(req)', async () => {
    const bytes = 'QUJD'.repeat(300_000) + 'QQ==' // 1.2 M characters: lifted out of JSON.stringify
    const req = { experimentId: 1, file: { name: 'a "quoted" name.jsonl', bytes }, zsreTarget: 'alt' }
    const body = requestBody(req)
    expect(body).toBeInstanceOf(Blob)
    expect(await (body as Blob).text()).toBe(JSON.stringify(req))
    // Short strings, and long ones JSON would escape, stay in the one string.
    expect(requestBody({ file: { name: 'a', bytes: 'QUJD' } })).toBe('{"file":{"name":"a","bytes":"QUJD"}}')
    const text = { file: { name: 'a', content: '"x"\n'.repeat(300_000) } }
    expect(requestBody(text)).toBe(JSON.stringify(text))
  })

  it('passes error Results through whatever the status, and turns other failures into Results', async () => {
    let mode = 'unauthorized'
    const { d } = deps(async () => {
      if (mode === 'unauthorized') return json(401, { ok: false, error: { code: 'unauthorized', message: 'missing or wrong token' } })
      if (mode === 'html') return new Response('<html>bad gateway</html>', { status: 502 })
      throw new TypeError('Failed to fetch')
    })
    const api = createWebBridge({ href: 'http://127.0.0.1:7421/?token=t' }, d)
    await expect(api['app.status']({})).resolves.toEqual({ ok: false, error: { code: 'unauthorized', message: 'missing or wrong token' } })
    mode = 'html'
    await expect(api['app.status']({})).resolves.toEqual({ ok: false, error: { code: 'internal', message: 'app.status: the server answered HTTP 502 without a result' } })
    mode = 'down'
    await expect(api['app.status']({})).resolves.toEqual({
      ok: false,
      error: { code: 'io', message: 'cannot reach the workbench server at http://127.0.0.1:7421 (Failed to fetch)' }
    })
  })

  it('opens one EventSource with the token for all listeners and closes it after the last leaves', () => {
    const api = createWebBridge({ href: 'http://127.0.0.1:7421/?token=a b' }, deps(() => json(200, {})).d)
    const a: WorkspaceEvent[] = []
    const b: WorkspaceEvent[] = []
    const offA = api.onEvent((e) => a.push(e))
    const source = FakeEventSource.last!
    const offB = api.onEvent((e) => b.push(e))
    expect(FakeEventSource.last).toBe(source)
    expect(source.url).toBe('http://127.0.0.1:7421/api/events?token=a%20b')
    source.onmessage!({ data: '{"type":"edits.changed","experimentId":2}' } as MessageEvent<string>)
    source.onmessage!({ data: 'not json' } as MessageEvent<string>)
    expect(a).toEqual([{ type: 'edits.changed', experimentId: 2 }])
    expect(b).toEqual(a)
    offA()
    expect(source.closed).toBe(false)
    offB()
    expect(source.closed).toBe(true)
  })
})
