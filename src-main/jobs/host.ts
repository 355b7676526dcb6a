// The workspace's side of the engine process: starts it on demand through an injected spawn strategy, matches
// replies to pending requests by id, forwards progress, and survives the process dying. On an unexpected exit
// every pending request rejects with EngineError('died') naming the process and the request, and the next
// request starts a fresh process.
import {
  envelope, parseEngineMessage, type EngineErrorCode, type EngineMessage, type Replies, type RequestBody, type RequestKind
} from './protocol'
import type { EngineChannel, SpawnEngine } from './spawn'

export class EngineError extends Error {
  override name = 'EngineError'

  constructor(readonly code: EngineErrorCode, message: string) {
    super(message)
  }
}

export interface Progress {
  step: number
  maxSteps: number
  loss: number | null
}

export interface RequestOptions {
  onProgress?: (p: Progress) => void
  /** Aborting sends a cancel; the request then rejects with EngineError('cancelled') from the engine. */
  signal?: AbortSignal
}

export interface EngineExit {
  pid: number | undefined
  code: number | null
  signal: string | null
  /** true when close() asked for it. */
  expected: boolean
}

export interface EngineHostOptions {
  spawn: SpawnEngine
  /** Engine logs and host warnings (default: stderr). */
  onLog?: (level: 'info' | 'warn' | 'error', message: string) => void
}

interface Pending {
  kind: RequestKind
  resolve: (value: never) => void
  reject: (e: EngineError) => void
  onProgress?: (p: Progress) => void
  detach: () => void
}

/** Short requests slower than this are logged: they block probes and jobs behind them. */
const SLOW_REQUEST_MS = 10_000
const LONG_KINDS: ReadonlySet<RequestKind> = new Set(['apply', 'evaluate', 'load'])

export class EngineHost {
  private channel: EngineChannel | null = null
  private readonly pending = new Map<number, Pending>()
  private seq = 0
  private closing = false
  private exited: Promise<void> = Promise.resolve()
  private readonly exitListeners = new Set<(e: EngineExit) => void>()
  /** One line naming the engine's TF.js backend, once the process has reported ready. */
  backend: string | null = null

  constructor(private readonly opts: EngineHostOptions) {}

  get pid(): number | null {
    return this.channel?.pid ?? null
  }

  get alive(): boolean {
    return this.channel !== null
  }

  /** Called after the engine process ended, expectedly or not. Returns an unsubscribe function. */
  onExit(listener: (e: EngineExit) => void): () => void {
    this.exitListeners.add(listener)
    return () => this.exitListeners.delete(listener)
  }

  request<K extends RequestKind>(kind: K, body: RequestBody<K>, opts: RequestOptions = {}): Promise<Replies[K]> {
    if (this.closing) return Promise.reject(new EngineError('died', `engine host is closed; cannot send ${kind}`))
    if (opts.signal?.aborted) return Promise.reject(new EngineError('cancelled', `${kind} cancelled before it started`))
    const channel = this.channel ?? this.start()
    const id = ++this.seq
    const started = performance.now()
    return new Promise<Replies[K]>((resolve, reject) => {
      const onAbort = (): void => channel.send({ type: 'cancel', id })
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      this.pending.set(id, {
        kind,
        resolve: ((v: Replies[K]) => {
          const ms = performance.now() - started
          if (ms > SLOW_REQUEST_MS && !LONG_KINDS.has(kind)) this.log('warn', `engine: ${kind} took ${Math.round(ms)} ms`)
          resolve(v)
        }) as (value: never) => void,
        reject,
        onProgress: opts.onProgress,
        detach: () => opts.signal?.removeEventListener('abort', onAbort)
      })
      channel.send(envelope(kind, id, body))
    })
  }

  /** Ends the engine process at once (SIGKILL); pending requests reject as if it had crashed. */
  kill(): void {
    this.channel?.kill()
  }

  /** Stops the engine process and waits for it to exit. Requests after close() are refused. */
  async close(): Promise<void> {
    this.closing = true
    this.channel?.kill()
    await this.exited
  }

  private start(): EngineChannel {
    const channel = this.opts.spawn()
    this.channel = channel
    let markExited: () => void = () => undefined
    this.exited = new Promise((r) => (markExited = r))
    channel.onMessage((raw) => this.receive(raw))
    channel.onExit((code, signal) => {
      if (this.channel === channel) this.channel = null
      this.backend = null
      const how = signal ? `signal ${signal}` : `code ${code}`
      for (const [id, p] of this.pending) {
        this.pending.delete(id)
        p.detach()
        p.reject(new EngineError('died', `engine process ${channel.pid ?? '?'} exited (${how}) during its ${p.kind} request`))
      }
      const e: EngineExit = { pid: channel.pid, code, signal, expected: this.closing }
      if (!e.expected) this.log('warn', `engine process ${channel.pid ?? '?'} exited unexpectedly (${how})`)
      for (const l of this.exitListeners) l(e)
      markExited()
    })
    return channel
  }

  private receive(raw: unknown): void {
    const parsed = parseEngineMessage(raw)
    if (!parsed.ok) {
      this.log('error', `engine: ignored a malformed message (${parsed.reason})`)
      return
    }
    const msg: EngineMessage = parsed.msg
    switch (msg.type) {
      case 'ready':
        this.backend = msg.backend
        return
      case 'log':
        this.log(msg.level, msg.message)
        return
      case 'progress':
        this.pending.get(msg.id)?.onProgress?.({ step: msg.step, maxSteps: msg.maxSteps, loss: msg.loss })
        return
      case 'result':
      case 'error': {
        const p = this.pending.get(msg.id)
        if (!p) {
          this.log('warn', `engine: ${msg.type} for unknown request ${msg.id}`)
          return
        }
        this.pending.delete(msg.id)
        p.detach()
        if (msg.type === 'error') p.reject(new EngineError(msg.error.code, msg.error.message))
        else if (msg.kind !== p.kind) p.reject(new EngineError('protocol', `engine answered a ${p.kind} request with a ${msg.kind} result`))
        else p.resolve(msg.value as never)
      }
    }
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    if (this.opts.onLog) this.opts.onLog(level, message)
    else process.stderr.write(`${message}\n`)
  }
}
