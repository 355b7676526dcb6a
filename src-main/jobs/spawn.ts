// How an engine process is started: child_process.fork under Node (serve, CLI, tests) and Electron's
// utilityProcess.fork on the desktop. Both give the host the same EngineChannel; only src-main/index.ts picks
// the Electron one, so 'electron' is never imported here.
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { HostMessage } from './protocol'

export interface EngineChannel {
  readonly pid: number | undefined
  send(msg: HostMessage): void
  onMessage(listener: (msg: unknown) => void): void
  /** Exactly once, when the process is gone (signal is null under Electron, which reports only a code). */
  onExit(listener: (code: number | null, signal: string | null) => void): void
  /** Ends the process at once (SIGKILL under Node). */
  kill(): void
}

export type SpawnEngine = () => EngineChannel

/** The worker module next to this file: .ts when running from sources (tsx, vitest), .js when built. */
export function defaultWorkerPath(): string {
  const ts = fileURLToPath(new URL('./engine-worker.ts', import.meta.url))
  if (import.meta.url.endsWith('.ts') && existsSync(ts)) return ts
  return fileURLToPath(new URL('./engine-worker.js', import.meta.url))
}

export interface NodeSpawnOptions {
  workerPath?: string
  env?: NodeJS.ProcessEnv
}

/**
 * child_process.fork with structured-clone serialization (as utilityProcess uses). A .ts worker runs through
 * tsx's ESM loader, given as an absolute URL so it resolves whatever the current directory is.
 */
export function nodeSpawn(opts: NodeSpawnOptions = {}): SpawnEngine {
  const workerPath = opts.workerPath ?? defaultWorkerPath()
  const execArgv = workerPath.endsWith('.ts')
    ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]
    : []
  return () => {
    const child = fork(workerPath, [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: opts.env ?? process.env
    })
    return {
      get pid() {
        return child.pid
      },
      send: (msg) => {
        // A send after the child died is reported by the exit handler; do not throw from here.
        if (child.connected) child.send(msg)
      },
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => {
        let fired = false
        const once = (code: number | null, signal: NodeJS.Signals | null): void => {
          if (fired) return
          fired = true
          listener(code, signal)
        }
        child.on('exit', once)
        // A fork that cannot start at all emits 'error' and maybe never 'exit'.
        child.on('error', () => {
          if (child.exitCode === null && child.signalCode === null && child.pid === undefined) once(null, null)
        })
      },
      kill: () => void child.kill('SIGKILL')
    }
  }
}

/** The parts of Electron's UtilityProcess the host needs (structural, so this file does not import 'electron'). */
export interface UtilityChildLike {
  readonly pid: number | undefined
  postMessage(message: unknown): void
  on(event: 'message', listener: (message: unknown) => void): unknown
  on(event: 'exit', listener: (code: number) => void): unknown
  kill(): boolean
}

export interface UtilityProcessLike {
  fork(modulePath: string, args?: string[], options?: { serviceName?: string; stdio?: 'inherit' | 'ignore' | 'pipe' }): UtilityChildLike
}

/**
 * Electron adapter: src-main/index.ts passes `utilityProcess` from 'electron' and the built worker's path
 * (electron-vite must emit engine-worker as its own entry).
 */
export function electronSpawn(utilityProcess: UtilityProcessLike, workerPath: string): SpawnEngine {
  return () => {
    const child = utilityProcess.fork(workerPath, [], { serviceName: 'ELDER engine', stdio: 'inherit' })
    return {
      get pid() {
        return child.pid
      },
      send: (msg) => child.postMessage(msg),
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => void child.on('exit', (code) => listener(code, null)),
      kill: () => void child.kill()
    }
  }
}
