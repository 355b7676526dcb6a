// `elder serve`: the workspace service over HTTP + server-sent events, with the built renderer, for a browser
// (a laptop against a GPU server, or the end-to-end tests). Loopback and a random token by default.
//   node --import tsx src-main/serve.ts [--port P] [--host H] [--workspace DIR]   (npm run serve -- …)
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { ServiceApi } from '../src-preload/contract'
import { openWorkspace } from './service'
import { newToken } from './transport/auth'
import { createHttpServer } from './transport/http'
import { defaultWorkspaceDir } from './workspace-cli'

const ROOT = resolve(import.meta.dirname, '..')
export const RENDERER_DIR = join(ROOT, 'out', 'renderer')
export const DEFAULT_MODEL_DIR = join(ROOT, 'resources', 'models', 'tiny-world')
/** Fixed so that a bookmark or an SSH tunnel survives restarts; --port 0 picks any free port. */
export const DEFAULT_PORT = 7421

export interface ServeOptions {
  port?: number
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

/** Runs `electron-vite build` when out/renderer is missing or older than src-renderer/ or the contract. */
export function ensureRendererBuilt(log: (line: string) => void = (l) => void process.stderr.write(`${l}\n`)): void {
  const index = join(RENDERER_DIR, 'index.html')
  const sources = [join(ROOT, 'src-renderer'), join(ROOT, 'src-preload', 'contract.ts'), join(ROOT, 'src-preload', 'bridge.ts')]
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestMtime))) return
  log('elder serve: building the renderer (electron-vite build)…')
  const bin = join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js')
  execFileSync(process.execPath, [bin, 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
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
    const http = await createHttpServer(service, { host: opts.host, port: opts.port ?? 0, token, staticDir })
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

/** Parses `serve` options: --port P (default 7421; 0 = any free port), --host H, --workspace DIR. */
export function parseServeArgs(args: string[]): ServeOptions {
  let values: { port?: string; host?: string; workspace?: string }
  try {
    values = parseArgs({ args, options: { port: { type: 'string' }, host: { type: 'string' }, workspace: { type: 'string' } }, strict: true }).values
  } catch (e) {
    throw new ServeUsageError((e as Error).message)
  }
  const port = values.port === undefined ? DEFAULT_PORT : /^\d+$/.test(values.port) ? Number(values.port) : NaN
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ServeUsageError(`--port must be an integer 0–65535, got "${values.port}"`)
  return { port, host: values.host, workspace: values.workspace }
}

/**
 * `elder serve [--port P] [--host H] [--workspace DIR]`: serves until SIGINT/SIGTERM, then closes the server and the
 * workspace and resolves. Bad options throw ServeUsageError.
 */
export async function runServe(args: string[]): Promise<void> {
  const opts = parseServeArgs(args)
  const serving = await startServe(opts)
  const host = opts.host ?? '127.0.0.1'
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
  runServe(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`elder serve: ${e instanceof Error ? e.message : String(e)}\n`)
      process.exit(e instanceof ServeUsageError ? 2 : 1)
    }
  )
}
