// Serve mode's HTTP transport against a recording service: token on every request (401 without), JSON Results,
// validation, body limits, SSE events, static files with the CSP. A real socket on 127.0.0.1, a real fetch.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { METHODS } from '../../src-preload/contract'
import { tokensEqual } from '../../src-main/transport/auth'
import { CSP_HEADER } from '../../src-main/transport/csp'
import { createHttpServer, type HttpServerHandle } from '../../src-main/transport/http'
import { recordingService, VALID } from './fake-service'

const TOKEN = 'test-token-0123456789'
let handle: HttpServerHandle | null = null
let dir: string | null = null

afterEach(async () => {
  await handle?.close()
  handle = null
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = null
})

async function start(opts: { maxBodyBytes?: number; staticDir?: boolean } = {}) {
  const rec = recordingService()
  let staticDir: string | null = null
  if (opts.staticDir) {
    dir = mkdtempSync(join(tmpdir(), 'elder-static-'))
    staticDir = join(dir, 'renderer')
    mkdirSync(join(staticDir, 'assets'), { recursive: true })
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>')
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(join(dir, 'secret.txt'), 'no')
  }
  handle = await createHttpServer(rec.service, { port: 0, token: TOKEN, staticDir, maxBodyBytes: opts.maxBodyBytes, heartbeatMs: 50 })
  const base = `http://127.0.0.1:${handle.port}`
  const post = (method: string, body: unknown, token: string | null = TOKEN) =>
    fetch(`${base}/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token === null ? {} : { Authorization: `Bearer ${token}` }) },
      body: typeof body === 'string' ? body : JSON.stringify(body)
    })
  return { rec, base, post }
}

describe('createHttpServer', () => {
  it('binds 127.0.0.1 and prints a URL carrying the token', async () => {
    await start()
    expect(handle!.host).toBe('127.0.0.1')
    expect(handle!.url).toBe(`http://127.0.0.1:${handle!.port}/?token=${TOKEN}`)
  })

  it.each(METHODS)('POST /api/%s answers the service Result', async (method) => {
    const { rec, post } = await start()
    const res = await post(method, VALID[method])
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, value: { echo: method } })
    expect(rec.calls).toEqual([{ method, req: VALID[method] }])
  })

  it('refuses a request without the token, or with a wrong one, with 401 before reading it', async () => {
    const { rec, base, post } = await start({ staticDir: true })
    for (const res of [
      await post('app.status', {}, null),
      await post('app.status', {}, 'wrong'),
      await post('app.status', {}, `${TOKEN}x`),
      await fetch(`${base}/api/app.status?token=${TOKEN}`, { method: 'POST', body: '{}' }), // POSTs need the header
      await fetch(`${base}/api/events`)
    ]) {
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    }
    // Pages and files: a human-readable 401, and no file content.
    for (const res of [await fetch(`${base}/`), await fetch(`${base}/assets/app.js`), await fetch(`${base}/?token=wrong`)]) {
      expect(res.status).toBe(401)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const text = await res.text()
      expect(text).toContain('needs its token')
      expect(text).not.toContain('console.log')
    }
    expect(rec.calls).toEqual([])
  })

  it('validates before the service and names the field', async () => {
    const { rec, post } = await start()
    const res = await post('jobs.apply', { experimentId: 1, batchSize: 0, batches: 1 })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { ok: boolean; error: { code: string; message: string } }
    expect(body.error.code).toBe('invalid_request')
    expect(body.error.message).toMatch(/^jobs\.apply: batchSize: /)
    expect(rec.calls).toEqual([])
  })

  it('answers 404 for an unknown method, 405 for GET, 400 for bad JSON', async () => {
    const { base, post } = await start()
    const unknown = await post('edits.drop', {})
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ ok: false, error: { code: 'not_found', message: 'unknown method "edits.drop"' } })
    expect((await post('constructor', {})).status).toBe(404)
    expect((await fetch(`${base}/api/app.status`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(405)
    const bad = await post('app.status', '{"a":')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
  })

  it('answers 413 to a body over the limit, declared or streamed', async () => {
    const { rec, post, base } = await start({ maxBodyBytes: 1024 })
    const big = { experimentId: 1, edits: [{ prompt: 'p'.repeat(2000), target: 't' }] }
    const res = await post('edits.add', big)
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringContaining('larger than') } })
    // Chunked upload without Content-Length.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/edits.add`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Transfer-Encoding': 'chunked' } }, (r) => {
        r.resume()
        resolve(r.statusCode ?? 0)
      })
      req.on('error', reject)
      for (let i = 0; i < 4; i++) req.write('x'.repeat(512))
      req.end()
    })
    expect(status).toBe(413)
    expect(rec.calls).toEqual([])
  })

  it('streams workspace events to an authorised EventSource client and unsubscribes on disconnect', async () => {
    const { rec, base } = await start()
    const ctrl = new AbortController()
    const res = await fetch(`${base}/api/events?token=${TOKEN}`, { signal: ctrl.signal })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    await expect.poll(() => rec.listenerCount()).toBe(1)
    rec.emit({ type: 'job.progress', job: { id: 1 } as never })
    while (!text.includes('data: ')) text += decoder.decode((await reader.read()).value)
    expect(text).toContain('data: {"type":"job.progress","job":{"id":1}}\n\n')
    ctrl.abort()
    await expect.poll(() => rec.listenerCount()).toBe(0)
  })

  it('serves the renderer with the CSP, sets the token cookie on the first load, and never leaves the folder', async () => {
    const { base } = await start({ staticDir: true })
    const first = await fetch(`${base}/?token=${TOKEN}`)
    expect(first.status).toBe(200)
    expect(first.headers.get('content-security-policy')).toBe(CSP_HEADER)
    expect(first.headers.get('x-content-type-options')).toBe('nosniff')
    const cookie = first.headers.get('set-cookie')!
    expect(cookie).toMatch(new RegExp(`^elder_token_${handle!.port}=${TOKEN}; Path=/; HttpOnly; SameSite=Strict$`))
    const asset = await fetch(`${base}/assets/app.js`, { headers: { Cookie: cookie.split(';')[0] } })
    expect(asset.status).toBe(200)
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await asset.text()).toBe('console.log(1)')
    const auth = { headers: { Authorization: `Bearer ${TOKEN}` } }
    expect((await fetch(`${base}/..%2Fsecret.txt`, auth)).status).toBe(404)
    expect((await fetch(`${base}/assets/missing.js`, auth)).status).toBe(404)
    // A cookie from another port's server is not this server's token.
    expect((await fetch(`${base}/`, { headers: { Cookie: `elder_token_1=${TOKEN}` } })).status).toBe(401)
  })
})

describe('tokensEqual', () => {
  it('compares whole tokens', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true)
    expect(tokensEqual('abc', 'abd')).toBe(false)
    expect(tokensEqual('ab', 'abc')).toBe(false)
    expect(tokensEqual('', 'abc')).toBe(false)
  })
})
