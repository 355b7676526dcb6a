// Serve mode's transport: the contract over HTTP on 127.0.0.1 (by default), token-guarded.
//   POST /api/<method>   JSON request body → the service's Result as JSON (status 200 even for { ok: false })
//   GET  /api/events     server-sent events, one `data:` line of WorkspaceEvent JSON each
//   GET  /…              the built renderer, with the workbench CSP
// Transport failures (401 no token, 404 unknown method, 405, 400 bad JSON, 413 too large) answer with a Result too,
// so the web bridge can show every failure the same way.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { base64Length, MAX_IMPORT_BYTES, type Method, type Result, type ServiceApi, type WorkspaceEvent } from '../../src-preload/contract'
import { cookieName, presentedToken, tokensEqual } from './auth'
import { CSP_HEADER } from './csp'
import { dispatch, fail, isMethod } from './result'
import { resolveStatic, sendFile } from './static'

export interface HttpOptions {
  /** Interface to bind; loopback unless the user asks otherwise. */
  host?: string
  /** 0 picks a free port. */
  port?: number
  token: string
  /** The built renderer (out/renderer); null serves the API only. */
  staticDir?: string | null
  /** Largest JSON body in bytes; by default a largest import file (MAX_IMPORT_BYTES) as base64, plus 1 MiB of JSON around it. */
  maxBodyBytes?: number
  /** Adapter uploads carry up to 512 MiB of base64. */
  maxAdapterBodyBytes?: number
  /** Server-sent-event keep-alive comment interval, ms. */
  heartbeatMs?: number
}

export interface HttpServerHandle {
  host: string
  port: number
  /** Page URL with the token, as printed for the user. */
  url: string
  close(): Promise<void>
}

const MIB = 1024 * 1024
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY'
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly result: Result<never>
  ) {
    super(result.ok ? '' : result.error.message)
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    ...SECURITY_HEADERS
  })
  res.end(text)
}

const UNAUTHORIZED_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ELDER Workbench: token needed</title></head>
<body style="font: 15px system-ui, sans-serif; margin: 15vh auto; max-width: 34em; color: #1c2230">
<h1 style="font-size: 20px">This ELDER Workbench server needs its token</h1>
<p>Open the full URL that <code>elder serve</code> printed when it started (it ends in <code>?token=…</code>).
Requests without the token are refused (401 unauthorized).</p></body></html>`

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(html)),
    'Content-Security-Policy': CSP_HEADER,
    'Cache-Control': 'no-store',
    ...SECURITY_HEADERS
  })
  res.end(html)
}

/** Reads a JSON body of at most `limit` bytes; an empty body is `{}`. */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const tooLarge = (): HttpFailure =>
    new HttpFailure(413, fail('invalid_request', `request body is larger than ${Math.round(limit / MIB)} MiB`))
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw tooLarge()
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw new HttpFailure(400, fail('invalid_request', `request body is not JSON: ${(e as Error).message}`))
  }
}

export async function createHttpServer(service: ServiceApi, opts: HttpOptions): Promise<HttpServerHandle> {
  const host = opts.host ?? '127.0.0.1'
  const maxBody = opts.maxBodyBytes ?? base64Length(MAX_IMPORT_BYTES) + MIB
  const maxAdapterBody = opts.maxAdapterBodyBytes ?? 700 * MIB
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const streams = new Set<ServerResponse>()
  let port = opts.port ?? 0

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      ...SECURITY_HEADERS
    })
    res.write('retry: 2000\n\n')
    streams.add(res)
    const off = service.onEvent((e: WorkspaceEvent) => void res.write(`data: ${JSON.stringify(e)}\n\n`))
    const beat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs)
    const done = (): void => {
      clearInterval(beat)
      off()
      streams.delete(res)
    }
    req.on('close', done)
  }

  async function api(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (!isMethod(name)) throw new HttpFailure(404, fail('not_found', `unknown method "${name}"`))
    if (req.method !== 'POST') throw new HttpFailure(405, fail('invalid_request', `${name}: use POST`))
    const method: Method = name
    const body = await readJson(req, method === 'import.adapter' ? maxAdapterBody : maxBody)
    sendJson(res, 200, await dispatch(service, method, body))
  }

  function page(req: IncomingMessage, res: ServerResponse, url: URL, token: string): void {
    const file = opts.staticDir ? resolveStatic(opts.staticDir, url.pathname) : null
    if (!file) throw new HttpFailure(404, fail('not_found', `no such file: ${url.pathname}`))
    const headers: Record<string, string> = {
      'Content-Security-Policy': CSP_HEADER,
      'Cache-Control': file.endsWith('.html') ? 'no-store' : 'private, max-age=3600',
      ...SECURITY_HEADERS
    }
    // The first page load carries ?token=; the cookie lets the page's own <script>/<link> requests through.
    if (url.searchParams.has('token')) {
      headers['Set-Cookie'] = `${cookieName(port)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`
    }
    if (req.method === 'HEAD') {
      res.writeHead(200, headers)
      res.end()
      return
    }
    sendFile(res, file, headers)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const token = presentedToken(req, url, port)
    if (token === null || !tokensEqual(token, opts.token)) {
      // A person opening the page gets a sentence; programs get a Result. An unauthenticated body is never read.
      if (!url.pathname.startsWith('/api/') && req.method === 'GET') return sendHtml(res, 401, UNAUTHORIZED_PAGE)
      throw new HttpFailure(401, fail('unauthorized', 'missing or wrong token: open the URL that `elder serve` printed'))
    }
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') throw new HttpFailure(405, fail('invalid_request', 'events: use GET'))
      events(req, res)
      return
    }
    if (url.pathname.startsWith('/api/')) return api(req, res, url.pathname.slice('/api/'.length))
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpFailure(405, fail('invalid_request', `${req.method} is not allowed here`))
    page(req, res, url, token)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      const failure = e instanceof HttpFailure ? e : new HttpFailure(500, fail('internal', e instanceof Error ? e.message : String(e)))
      // Close the connection rather than read whatever is left of a refused body.
      if (failure.status === 413 || failure.status === 401) res.setHeader('Connection', 'close')
      sendJson(res, failure.status, failure.result)
    })
  })
  server.requestTimeout = 0 // uploads of large files on slow links; the body limit bounds memory instead
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  const shown = host.includes(':') ? `[${host}]` : host
  return {
    host,
    port,
    url: `http://${shown}:${port}/?token=${encodeURIComponent(opts.token)}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.end()
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
