// One job at a time per workspace; the others wait in order. A job is a typed spec with a run function that
// gets an AbortSignal and a progress callback; cancel removes a queued job or aborts the running one.
// Jobs live in memory: what must survive a crash (batches, checkpoints) is in SQLite, not here.
import type { JobKind, JobView, ServiceError } from '../../src-preload/contract'

/** How a job ended; a failure says why in ServiceError's codes, so callers can map it as they map a request's error. */
export type JobOutcome =
  | { state: 'done' | 'cancelled'; message: string | null }
  | { state: 'failed'; message: string; code: ServiceError['code'] }

type ProgressFields = Partial<Pick<JobView, 'step' | 'maxSteps' | 'loss' | 'editsDone' | 'editsTotal' | 'batchEdits' | 'etaS' | 'message'>>

export interface JobContext {
  readonly id: number
  readonly signal: AbortSignal
  /** Merges fields into the job's view and emits job.progress (at most every PROGRESS_MIN_MS unless forced). */
  progress(patch: ProgressFields, force?: boolean): void
}

export interface JobSpec {
  kind: JobKind
  experimentId: number
  editsTotal: number
  run(ctx: JobContext): Promise<JobOutcome>
}

export interface JobEvents {
  progress(job: JobView): void
  finished(job: JobView): void
}

/** Progress events per job are spaced at least this far apart (a step of the tiny model takes ~15 ms). */
const PROGRESS_MIN_MS = 100

interface Entry {
  view: JobView
  spec: JobSpec
  ctl: AbortController
}

export class JobQueue {
  private running: Entry | null = null
  private readonly waiting: Entry[] = []
  private readonly done = new Map<number, JobView>()
  private readonly waiters = new Map<number, Array<(v: JobView) => void>>()
  private nextId = 1
  private idle: Promise<void> = Promise.resolve()

  constructor(
    private readonly events: JobEvents,
    /** What a thrown error becomes: the job's message and error code. */
    private readonly describe: (e: unknown) => ServiceError
  ) {}

  enqueue(spec: JobSpec): JobView {
    const view: JobView = {
      id: this.nextId++, kind: spec.kind, experimentId: spec.experimentId, state: 'queued', step: 0, maxSteps: 0,
      loss: null, editsDone: 0, editsTotal: spec.editsTotal, batchEdits: 0, etaS: null, message: null, errorCode: null
    }
    this.waiting.push({ view, spec, ctl: new AbortController() })
    this.events.progress({ ...view })
    if (!this.running) this.idle = this.drain()
    return { ...view }
  }

  /** true if the job was queued (now removed) or running (now aborting); false if unknown or finished. */
  cancel(id: number): boolean {
    if (this.running?.view.id === id) {
      this.running.ctl.abort()
      return true
    }
    const i = this.waiting.findIndex((e) => e.view.id === id)
    if (i < 0) return false
    const [e] = this.waiting.splice(i, 1)
    this.finish(e, { state: 'cancelled', message: 'cancelled before it started' })
    return true
  }

  /** The running job, else the next queued one, else null. */
  current(): JobView | null {
    const e = this.running ?? this.waiting[0]
    return e ? { ...e.view } : null
  }

  /** Any job running or queued (for this experiment, when given). */
  busy(experimentId?: number): boolean {
    const all = this.running ? [this.running, ...this.waiting] : this.waiting
    return all.some((e) => experimentId === undefined || e.view.experimentId === experimentId)
  }

  /** Resolves with the job's final view (at once if it already finished). */
  wait(id: number): Promise<JobView> {
    const finished = this.done.get(id)
    if (finished) return Promise.resolve({ ...finished })
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]))
  }

  /** Cancels everything and waits for the running job to stop. */
  async close(): Promise<void> {
    for (const e of this.waiting.splice(0)) this.finish(e, { state: 'cancelled', message: 'workspace closed' })
    this.running?.ctl.abort()
    await this.idle
  }

  private async drain(): Promise<void> {
    for (let e = this.waiting.shift(); e; e = this.waiting.shift()) {
      this.running = e
      e.view.state = 'running'
      this.events.progress({ ...e.view })
      let outcome: JobOutcome
      try {
        outcome = await e.spec.run(this.contextFor(e))
      } catch (err) {
        const { code, message } = this.describe(err)
        outcome = { state: 'failed', message, code }
      }
      this.running = null
      this.finish(e, outcome)
    }
  }

  private contextFor(e: Entry): JobContext {
    let last = 0
    return {
      id: e.view.id,
      signal: e.ctl.signal,
      progress: (patch, force = false) => {
        Object.assign(e.view, patch)
        const now = performance.now()
        if (!force && now - last < PROGRESS_MIN_MS) return
        last = now
        this.events.progress({ ...e.view })
      }
    }
  }

  private finish(e: Entry, outcome: JobOutcome): void {
    e.view.state = outcome.state
    e.view.message = outcome.message
    e.view.errorCode = outcome.state === 'failed' ? outcome.code : null
    if (outcome.state === 'done') e.view.etaS = 0
    const view = { ...e.view }
    this.done.set(view.id, view)
    this.events.finished({ ...view })
    for (const w of this.waiters.get(view.id) ?? []) w({ ...view })
    this.waiters.delete(view.id)
  }
}
