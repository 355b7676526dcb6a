// `npm run serve` when its port is taken, as a user meets it: serve as a child process, a real socket holding the
// port on 127.0.0.1. Without --port it moves to the next free port and prints that URL; with --port it stops with
// one line and exit 2. ELDER_SERVE_PORT points the default at the held port, so the test never needs 7421 itself.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ensureRendererBuilt, PORT_ATTEMPTS } from '../../src-main/serve'

let holder: Server
let busy: number
let workspace: string
/** Servers still running: a failed assertion must not leave one serving after the test. */
const running = new Set<ChildProcess>()

interface Exit {
  code: number | null
  stdout: string
  stderr: string
}

function start(entry: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; url: Promise<string>; exit: Promise<Exit> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...entry, '--workspace', workspace], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ELDER_BACKEND: 'wasm', ...env }
  })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exit = new Promise<Exit>((resolve) =>
    child.on('close', (code) => {
      running.delete(child)
      resolve({ code, stdout, stderr })
    })
  )
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString()
      const m = /ELDER Workbench serving at (http:\/\/\S+)/.exec(stdout)
      if (m) resolve(m[1])
    })
    void exit.then((e) => reject(new Error(`serve exited with ${e.code} before printing its URL:\n${e.stdout}${e.stderr}`)))
  })
  url.catch(() => undefined) // awaited only where a URL is expected; elsewhere the exit is what counts
  return { child, url, exit }
}

beforeAll(async () => {
  ensureRendererBuilt() // serve would build it itself; done here, under the hook's time limit, not the tests'
  workspace = mkdtempSync(join(tmpdir(), 'elder-serve-port-'))
  holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  busy = (holder.address() as { port: number }).port
})

afterEach(async () => {
  const left = [...running]
  for (const c of left) c.kill('SIGKILL') // its engine process follows: it exits when its parent's channel closes
  await Promise.all(left.map((c) => new Promise((resolve) => c.once('close', resolve))))
})

afterAll(async () => {
  await new Promise((resolve) => holder.close(resolve))
  rmSync(workspace, { recursive: true, force: true })
})

describe('serve with its port taken', () => {
  it('without --port: serves on a following free port, prints that URL, answers with the token', async () => {
    const s = start(['src-main/serve.ts'], { ELDER_SERVE_PORT: String(busy) })
    const url = new URL(await s.url)
    const port = Number(url.port)
    expect(url.hostname).toBe('127.0.0.1')
    expect(port).toBeGreaterThan(busy)
    expect(port).toBeLessThan(busy + PORT_ATTEMPTS)
    const token = url.searchParams.get('token')!
    const status = (t: string | null) =>
      fetch(`${url.origin}/api/app.status`, { method: 'POST', headers: t ? { Authorization: `Bearer ${t}` } : {}, body: '{}' })
    const ok = await status(token)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ ok: true, value: { workspace } })
    expect((await status(null)).status).toBe(401)
    // The page itself, as the printed URL is opened in a browser.
    const page = await fetch(url)
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<!doctype html>/i)

    s.child.kill('SIGTERM')
    const e = await s.exit
    expect(e.stderr).toContain(`port ${busy} is in use; serving on ${port}\n`)
    expect(e.code).toBe(0) // shut down on its own once the server and the engine were closed
  })

  it.each([
    ['npm run serve', ['src-main/serve.ts'], 'elder serve: '],
    ['elder serve', ['src-main/cli.ts', 'serve'], 'elder: ']
  ])('%s --port on the busy port: one line, exit 2', async (_, entry, prefix) => {
    const e = await start([...entry, '--port', String(busy)]).exit
    expect(e.code).toBe(2)
    expect(e.stdout).toBe('')
    expect(e.stderr).toBe(`${prefix}port ${busy} on 127.0.0.1 is in use; choose another with --port P (--port 0 picks any free port)\n`)
  })
})
