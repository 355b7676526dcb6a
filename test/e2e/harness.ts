// What an end-to-end file needs to drive `elder serve` in Chromium: a fresh workspace, the server as a child
// process (its printed URL carries the token), a headless Chromium page that records page errors, and the API
// called as a script would (bearer token) to compare the page with what the service computes.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Method, Req, Res, Result } from '../../src-preload/contract'
import { ensureRendererBuilt } from '../../src-main/serve'

export const ROOT = resolve(import.meta.dirname, '../..')
export const ARTIFACTS = join(ROOT, 'test', 'artifacts')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export interface Served {
  page: Page
  url: string
  origin: string
  /** The workspace folder the server opened (removed by close()). */
  workspace: string
  pageErrors: string[]
  /** Calls a contract method over HTTP with the token; throws on { ok: false }. */
  call<M extends Method>(method: M, req: Req<M>): Promise<Res<M>>
  shot(name: string): Promise<void>
  close(): Promise<void>
}

export async function serveInChromium(
  viewport = { width: 1440, height: 900 },
  pageOptions: { acceptDownloads?: boolean } = {}
): Promise<Served> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`)
  ensureRendererBuilt()
  mkdirSync(ARTIFACTS, { recursive: true })
  const workspace = mkdtempSync(join(tmpdir(), 'elder-e2e-'))
  let log = ''
  const server: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src-main/serve.ts', '--port', '0', '--workspace', workspace], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const url = await new Promise<string>((resolveUrl, reject) => {
    server.stderr!.on('data', (d: Buffer) => (log += d.toString()))
    server.stdout!.on('data', (d: Buffer) => {
      log += d.toString()
      const m = /ELDER Workbench serving at (http:\/\/\S+)/.exec(log)
      if (m) resolveUrl(m[1])
    })
    server.on('exit', (code) => reject(new Error(`serve exited with ${code} before printing its URL:\n${log}`)))
  })
  const token = new URL(url).searchParams.get('token') ?? ''
  const origin = new URL(url).origin
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']
  })
  const page = await browser.newPage({ viewport, ...pageOptions })
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('favicon')) pageErrors.push(m.text())
  })
  return {
    page,
    url,
    origin,
    workspace,
    pageErrors,
    async call(method, req) {
      const r = await fetch(`${origin}/api/${method}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(req) })
      const body = (await r.json()) as Result<Res<typeof method>>
      if (!body.ok) throw new Error(`${method}: ${body.error.code}: ${body.error.message}`)
      return body.value
    },
    shot: async (name) => void (await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) })),
    async close() {
      await browser.close()
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r))
        server.kill('SIGTERM')
        await exited
      }
      rmSync(workspace, { recursive: true, force: true })
    }
  }
}
