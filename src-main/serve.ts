// `elder serve`: the workspace service over HTTP + server-sent events, with the built renderer, for a browser
// (a laptop against a GPU server, or the end-to-end tests). Loopback and a random token by default.
//   node --import tsx src-main/serve.ts [--port P] [--host H] [--workspace DIR]   (npm run serve -- …)
// Without --port it starts at 7421 (or $ELDER_SERVE_PORT) and moves up past ports that are taken; with --port it
// uses exactly that port or says why not.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { ServiceApi } from '../src-preload/contract'
import { openWorkspace } from './service'
import { newToken } from './transport/auth'
import { createHttpServer, type HttpServerHandle } from './transport/http'
import { defaultWorkspaceDir } from './workspace-cli'

const ROOT = resolve(import.meta.dirname, '..')
export const RENDERER_DIR = join(ROOT, 'out', 'renderer')
export const DEFAULT_MODEL_DIR = join(ROOT, 'resources', 'models', 'tiny-world')
/** Fixed so that a bookmark or an SSH tunnel survives restarts; --port 0 picks any free port. */
export const DEFAULT_PORT = 7421
/**
 * Ports tried, from the default up, when --port is not given: a second `npm run serve` (or another program on 7421)
 * should not stop a user who did not ask for a particular port. Bounded so the printed URL stays near the default.
 */
export const PORT_ATTEMPTS = 20

export interface ServeOptions {
  port?: number
  /** Ports tried from `port` upward while they are in use (default 1: exactly `port`, or PortInUseError). */
  portAttempts?: number
  host?: string
  workspace?: string
  /** Default: a fresh random token. */
  token?: string
  /** The model a new workspace registers (default: the embedded tiny-world). */
  defaultModelDir?: string
  /** The built renderer (default: out/renderer, built first if missing or older than its sources). */
  staticDir?: string
}

export interface Serving {
  url: string
  port: number
  token: string
  service: ServiceApi
  close(): Promise<void>
}

function newestMtime(path: string): number {
  const st = statSync(path)
  if (!st.isDirectory()) return st.mtimeMs
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newestMtime(join(path, f))))
}

const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * Runs `electron-vite build` when out/renderer is missing or older than src-renderer/ or the contract. Two processes
 * starting at once (two serves, or test files running in parallel) take turns through a lock folder: a build empties
 * out/renderer first, so one running beside another's server would take its pages away for a moment.
 */
export function ensureRendererBuilt(log: (line: string) => void = (l) => void process.stderr.write(`${l}\n`)): void {
  const index = join(RENDERER_DIR, 'index.html')
  const sources = [join(ROOT, 'src-renderer'), join(ROOT, 'src-preload', 'contract.ts'), join(ROOT, 'src-preload', 'bridge.ts')]
  const fresh = (): boolean => existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestMtime))
  if (fresh()) return
  const lock = join(ROOT, 'out', '.renderer-build.lock')
  mkdirSync(join(ROOT, 'out'), { recursive: true })
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const held = statSync(lock, { throwIfNoEntry: false }) // gone already: try again at once
      // A build takes seconds; a lock this old was left by a process that died mid-build.
      if (held && Date.now() - held.mtimeMs > 5 * 60_000) rmSync(lock, { recursive: true, force: true })
      else if (held) sleepSync(250)
    }
  }
  try {
    if (fresh()) return // built by whoever held the lock
    log('elder serve: building the renderer (electron-vite build)…')
    const bin = join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
    execFileSync(process.execPath, [bin, 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  } finally {
    rmSync(lock, { recursive: true, force: true })
  }
}

/** The port the user asked for (or the default, when attempts > 1) is taken: they can pick another. */
export class PortInUseError extends Error {
  override name = 'PortInUseError'
}

/** Listens on `port`, or with `attempts` > 1 on the first of port, port+1, … that is free. */
async function listenFrom(service: ServiceApi, opts: ServeOptions, token: string, staticDir: string): Promise<HttpServerHandle> {
  const first = opts.port ?? 0
  // Port 0 lets the system choose, so it cannot be in use; never count past 65535.
  const attempts = first === 0 ? 1 : Math.max(1, Math.min(opts.portAttempts ?? 1, 65_536 - first))
  for (let i = 0; ; i++) {
    try {
      return await createHttpServer(service, { host: opts.host, port: first + i, token, staticDir })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e
      if (i + 1 < attempts) continue
      const host = opts.host ?? '127.0.0.1'
      const which = attempts === 1 ? `port ${first} on ${host} is` : `ports ${first}–${first + attempts - 1} on ${host} are all`
      throw new PortInUseError(`${which} in use; choose another with --port P (--port 0 picks any free port)`)
    }
  }
}

/** Opens the workspace and serves it; resolves once the server listens. */
export async function startServe(opts: ServeOptions = {}): Promise<Serving> {
  const staticDir = opts.staticDir ?? RENDERER_DIR
  if (opts.staticDir === undefined) ensureRendererBuilt()
  const token = opts.token ?? newToken()
  const workspace = resolve(opts.workspace ?? defaultWorkspaceDir())
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  const service = await openWorkspace(workspace, { defaultModelDir: opts.defaultModelDir ?? DEFAULT_MODEL_DIR, version })
  try {
    const http = await listenFrom(service, opts, token, staticDir)
    return {
      url: http.url,
      port: http.port,
      token,
      service,
      close: async () => {
        await http.close()
        await service.close()
      }
    }
  } catch (e) {
    await service.close()
    throw e
  }
}

export class ServeUsageError extends Error {
  override name = 'ServeUsageError'
}

function parsePort(name: string, value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ServeUsageError(`${name} must be an integer 0–65535, got "${value}"`)
  return port
}

/**
 * Parses `serve` options: --port P (exactly P; 0 = any free port), --host H, --workspace DIR. Without --port: the
 * first free port of PORT_ATTEMPTS from $ELDER_SERVE_PORT, or from 7421.
 */
export function parseServeArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ServeOptions {
  let values: { port?: string; host?: string; workspace?: string }
  try {
    values = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' }, workspace: { type: 'string' } }, strict: true }).values
  } catch (e) {
    throw new ServeUsageError((e as Error).message)
  }
  if (values.port !== undefined) return { port: parsePort('--port', values.port), host: values.host, workspace: values.workspace }
  const start = env.ELDER_SERVE_PORT ? parsePort('ELDER_SERVE_PORT', env.ELDER_SERVE_PORT) : DEFAULT_PORT
  return { port: start, portAttempts: PORT_ATTEMPTS, host: values.host, workspace: values.workspace }
}

/**
 * `elder serve [--port P] [--host H] [--workspace DIR]`: serves until SIGINT/SIGTERM, then closes the server and the
 * workspace and resolves. Bad options throw ServeUsageError; a port that is taken, PortInUseError.
 */
export async function runServe(args: string[]): Promise<void> {
  const opts = parseServeArgs(args)
  const serving = await startServe(opts)
  const host = opts.host ?? '127.0.0.1'
  if (opts.port !== 0 && serving.port !== opts.port) process.stderr.write(`port ${opts.port} is in use; serving on ${serving.port}\n`)
  process.stdout.write(`ELDER Workbench serving at ${serving.url}\n`)
  process.stderr.write(`workspace: ${resolve(opts.workspace ?? defaultWorkspaceDir())}\n`)
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    process.stderr.write(`warning: listening on ${host}; anyone who can reach it and has the token can edit this workspace\n`)
  }
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      process.stderr.write('elder serve: shutting down\n')
      void serving.close().then(done, done)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  // exitCode, not exit(): the process ends once the server and the workspace's engine are closed and every write
  // has reached its pipe.
  runServe(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`elder serve: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exitCode = e instanceof ServeUsageError || e instanceof PortInUseError ? 2 : 1
  })
}
