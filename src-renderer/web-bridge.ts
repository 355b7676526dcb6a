// The ElderApi over HTTP for serve mode: POST /api/<method> with the bearer token, server-sent events for pushes.
// It never throws: a dropped connection or a non-JSON answer becomes an `io`/`internal` Result like any other.
// No DOM-only names here (the browser's are handed in by api.ts): Node-side tests drive it against the real server.
import { buildElderApi } from '../src-preload/bridge'
import type { ElderApi, Result, WorkspaceEvent } from '../src-preload/contract'

const TOKEN_KEY = 'elder.token'

export interface BridgeDeps {
  fetch: typeof fetch
  EventSource: typeof EventSource
  /** Keeps the token across reloads once it is gone from the address bar. */
  storage: { getItem(key: string): string | null; setItem(key: string, value: string): void } | null
  /** Removes ?token= from the address bar (so it does not end up in screenshots or history). */
  replaceUrl: ((url: string) => void) | null
}

function isResult(x: unknown): x is Result<unknown> {
  if (typeof x !== 'object' || x === null || !('ok' in x)) return false
  const r = x as { ok: unknown; error?: { code?: unknown; message?: unknown } }
  if (r.ok === true) return 'value' in x
  return r.ok === false && typeof r.error?.code === 'string' && typeof r.error.message === 'string'
}

/** Strings at least this long that need no JSON escaping (a file's base64) go into the body as parts of their own. */
const LIFT_CHARS = 1 << 20

/**
 * The request as a JSON body. A file's base64 (up to 341 MiB for the import limit) is not run through JSON.stringify
 * with the rest: Chromium's renderer crashed stringifying a request that held 200 MiB of base64, while a Blob of
 * the same parts posts fine. Only strings JSON writes unchanged between its quotes are lifted, so the bytes sent
 * are exactly JSON.stringify(req).
 */
export function requestBody(req: unknown): string | Blob {
  const lifted: string[] = []
  const mark = `@lifted${Math.random().toString(36).slice(2)}@`
  const json = JSON.stringify(req ?? {}, (_key, v: unknown) =>
    typeof v === 'string' && v.length >= LIFT_CHARS && !/[^A-Za-z0-9+/=]/.test(v) ? `${mark}${lifted.push(v) - 1}${mark}` : v)
  if (lifted.length === 0) return json
  // Split around the marks: odd pieces are indexes into `lifted`.
  const pieces = json.split(new RegExp(`${mark}(\\d+)${mark}`))
  return new Blob(pieces.map((p, i) => (i % 2 === 1 ? lifted[Number(p)] : p)), { type: 'application/json' })
}

export function createWebBridge(location: { href: string }, deps: BridgeDeps): ElderApi {
  const page = new URL(location.href)
  const token = page.searchParams.get('token') ?? deps.storage?.getItem(TOKEN_KEY) ?? ''
  if (page.searchParams.has('token')) {
    deps.storage?.setItem(TOKEN_KEY, token)
    page.searchParams.delete('token')
    deps.replaceUrl?.(page.pathname + page.search + page.hash)
  }

  async function call(method: string, req: unknown): Promise<Result<unknown>> {
    let res: Response
    try {
      res = await deps.fetch(`${page.origin}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: requestBody(req)
      })
    } catch (e) {
      return { ok: false, error: { code: 'io', message: `cannot reach the workbench server at ${page.origin} (${(e as Error).message})` } }
    }
    let body: unknown = null
    try {
      body = await res.json()
    } catch {
      // fall through: reported below with the HTTP status
    }
    if (isResult(body)) return body
    const code = res.status === 401 ? 'unauthorized' : 'internal'
    return { ok: false, error: { code, message: `${method}: the server answered HTTP ${res.status} without a result` } }
  }

  const listeners = new Set<(e: WorkspaceEvent) => void>()
  let source: EventSource | null = null
  function subscribe(listener: (e: WorkspaceEvent) => void): () => void {
    listeners.add(listener)
    if (!source) {
      source = new deps.EventSource(`${page.origin}/api/events?token=${encodeURIComponent(token)}`)
      source.onmessage = (m: { data: string }) => {
        let e: WorkspaceEvent
        try {
          e = JSON.parse(m.data) as WorkspaceEvent
        } catch {
          return
        }
        for (const l of [...listeners]) l(e)
      }
    }
    return () => {
      listeners.delete(listener)
      if (listeners.size === 0 && source) {
        source.close()
        source = null
      }
    }
  }

  return buildElderApi(call, subscribe)
}
