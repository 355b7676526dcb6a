// Serve mode's token: random, compared in constant time, accepted as `Authorization: Bearer`, as `?token=` (the
// printed URL and EventSource, which cannot set headers) or, for GETs, as the cookie the first page load sets so the
// browser can fetch the bundle's scripts and styles.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const newToken = (): string => randomBytes(24).toString('base64url')

/** Constant-time equality; hashing first makes both sides the same length, so the length leaks nothing either. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b) && given.length === expected.length
}

/** Cookie names are per port: browsers share cookies between ports of one host. */
export const cookieName = (port: number): string => `elder_token_${port}`

function fromCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return null
}

/** The token a request carries. POSTs must use the header (a cookie would make them forgeable cross-site). */
export function presentedToken(req: IncomingMessage, url: URL, port: number): string | null {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim()
  if (req.method !== 'GET' && req.method !== 'HEAD') return null
  return url.searchParams.get('token') ?? fromCookie(req.headers.cookie, cookieName(port))
}
