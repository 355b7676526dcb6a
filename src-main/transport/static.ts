// Serves the built renderer (out/renderer) read-only: no directory listings, no paths outside the folder.
import { createReadStream, statSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { extname, join, normalize, sep } from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm'
}

/** The file under `root` that `pathname` names ('/' → index.html), or null when it is outside or missing. */
export function resolveStatic(root: string, pathname: string): string | null {
  let rel: string
  try {
    rel = decodeURIComponent(pathname)
  } catch {
    return null
  }
  if (rel.includes('\0')) return null
  if (rel === '/' || rel === '') rel = '/index.html'
  const base = normalize(root + sep)
  const file = normalize(join(base, rel))
  if (!file.startsWith(base)) return null
  try {
    return statSync(file).isFile() ? file : null
  } catch {
    return null
  }
}

export function sendFile(res: ServerResponse, file: string, headers: Record<string, string>): void {
  const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(statSync(file).size), ...headers })
  createReadStream(file).pipe(res)
}
