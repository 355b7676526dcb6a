// An in-memory ElderApi for renderer tests: the renderer's boundary is the contract, so stores and components are
// tested against this object (built here, not a mock of our modules). It keeps just enough state to answer like
// the service: a queue, batches, one job, probes that answer an applied edit's target.
import {
  METHODS, type BatchView, type EditView, type ElderApi, type ExperimentView, type ImportReport, type JobView, type Method,
  type MetricPointView, type ProbeResult, type Req, type Result, type ScopeDistancesView, type ScopeGroup, type ServiceError,
  type StatusView, type UndoView, type WorkspaceEvent
} from '../../src-preload/contract'

export interface FakeState {
  edits: EditView[]
  batches: BatchView[]
  job: JobView | null
  status: StatusView
  scope: ScopeDistancesView
  /** What rollback.undoable answers; rollback.undo takes it back to "nothing to undo". */
  undo: UndoView
  /** experiments.list; the status's experiment by default. */
  experiments: ExperimentView[]
  /** metrics.series by experiment id, then metric name. */
  series: Record<string, Record<string, MetricPointView[]>>
}

export interface FakeApi {
  api: ElderApi
  state: FakeState
  calls: Array<{ method: Method; req: unknown }>
  callsOf(method: Method): unknown[]
  emit(e: WorkspaceEvent): void
  /** The next call of `method` answers this error. */
  failNext(method: Method, error: ServiceError): void
  listeners(): number
}

export function editView(id: number, over: Partial<EditView> = {}): EditView {
  return {
    id,
    position: id - 1,
    prompt: `Q: Where does person ${id} live? A:`,
    target: `City${id}`,
    groundTruth: `Old${id}`,
    rephrases: [],
    locality: [],
    subject: `person ${id}`,
    relation: 'lives_in',
    sourceFile: null,
    sourceLine: null,
    status: 'queued',
    batchId: null,
    batchSeq: null,
    batchState: null,
    health: null,
    ...over
  }
}

export function jobView(over: Partial<JobView> = {}): JobView {
  return { id: 1, kind: 'apply', experimentId: 1, state: 'running', step: 0, maxSteps: 50, loss: null, editsDone: 0, editsTotal: 1, batchEdits: 1, etaS: null, message: null, errorCode: null, ...over }
}

export function batchView(id: number, over: Partial<BatchView> = {}): BatchView {
  return { id, seq: id, state: 'applied', createdAt: 1_700_000_000_000, startedAt: 1_700_000_001_000, finishedAt: 1_700_000_004_000, steps: 12, wallMs: 3000, error: null, edits: [], finalLoss: null, metrics: [], replay: false, ...over }
}

const STATUS: StatusView = {
  backend: 'wasm (SIMD, 1 thread)',
  workspace: '/home/analyst/elder-workspace',
  model: { id: 1, path: '/models/tiny-world', name: 'tiny-world', contentHash: 'abc', architecture: 'gpt2', nLayer: 8, nEmbd: 128, vocabSize: 1024, targetModules: ['mlp.c_fc'] },
  experiment: {
    id: 1, name: 'default', modelId: 1, method: 'elder', config: { numExperts: 4 }, settings: { numExperts: 4 }, notes: '', tags: [], createdAt: 0,
    counts: { queued: 0, applied: 0, failed: 0, disabled: 0, rolled_back: 0 },
    archived: false, evalEvery: 50, preset: 'elder',
    repro: { modelHash: 'abc', backend: null, appVersion: null, seed: 0, editSequence: 'e3b0' },
    latest: {}, secondsPerEdit: null, health: { holds: 0, checked: 0 }
  },
  job: null,
  version: '0.1.0'
}

/** The file's text: its base64 bytes decoded (bad UTF-8 becomes U+FFFD here; the real importer reports it), or its content. */
function textOf(file: { bytes?: string; content?: string }): string {
  if (file.bytes === undefined) return file.content ?? ''
  return new TextDecoder().decode(Uint8Array.from(atob(file.bytes), (c) => c.charCodeAt(0)))
}

/** Import lines: JSON objects with prompt and target; anything else is an error naming the line. */
function parseLines(content: string): { good: Array<{ prompt: string; target: string }>; report: ImportReport } {
  const good: Array<{ prompt: string; target: string }> = []
  const errors: ImportReport['errors'] = []
  const lines = content.split('\n')
  lines.forEach((line, i) => {
    if (line.trim() === '') return
    try {
      const r = JSON.parse(line) as { prompt?: unknown; target?: unknown }
      if (typeof r.prompt !== 'string' || typeof r.target !== 'string') errors.push({ line: i + 1, field: 'target', message: 'target is missing' })
      else good.push({ prompt: r.prompt, target: r.target })
    } catch {
      errors.push({ line: i + 1, field: null, message: 'not valid JSON' })
    }
  })
  return { good, report: { format: 'jsonl', total: good.length + errors.length, good: good.length, errors, omittedErrors: 0 } }
}

export function fakeApi(opts: { edits?: number } = {}): FakeApi {
  const state: FakeState = {
    edits: Array.from({ length: opts.edits ?? 0 }, (_, i) => editView(i + 1)),
    batches: [],
    job: null,
    status: structuredClone(STATUS),
    scope: {
      measure: 'query-cosine', field: 'queryRadius', threshold: 0.08, note: null,
      groups: { edit: [0.001, 0.002], rephrase: [0.03, 0.07, 0.09, 0.2], unrelated: [0.05, 0.3, 0.4, 0.5, null] }
    },
    undo: { op: null, seq: null, blocked: 'no rollback to undo' },
    experiments: [structuredClone(STATUS.experiment!)],
    series: {}
  }
  const calls: FakeApi['calls'] = []
  const failures = new Map<Method, ServiceError>()
  const listeners = new Set<(e: WorkspaceEvent) => void>()
  let nextId = state.edits.length + 1

  const ok = <T>(value: T): Result<T> => ({ ok: true, value })
  const notFound = (what: string): Result<never> => ({ ok: false, error: { code: 'not_found', message: `${what} does not exist` } })

  const probeResults = (prompts: string[]): ProbeResult[] =>
    prompts.map((prompt) => {
      const hit = state.edits.find((e) => e.prompt === prompt && e.status === 'applied')
      const base = { answer: 'Oldtown', top5: [{ token: ' Oldtown', prob: 0.6 }, { token: ' Elsewhere', prob: 0.2 }] }
      return {
        prompt,
        base,
        edited: {
          answer: hit ? hit.target : base.answer,
          top5: hit ? [{ token: ` ${hit.target}`, prob: 0.9 }] : base.top5,
          code: '110000111010010101100011',
          nearestDistance: hit ? 0 : 14,
          nearestEditId: hit ? hit.id : null,
          deferred: !hit,
          scope: {
            measure: 'query-cosine', distance: hit ? 0.01 : 0.4, threshold: 0.08, inScope: !!hit, reason: hit ? 'in_scope' : 'too_far',
            summary: hit ? `in scope: distance 0.010 < threshold 0.080 (edit #${hit.id})` : 'deferred: distance 0.400 ≥ threshold 0.080',
            failedGates: [],
            relation: null,
            nearest: state.edits.filter((e) => e.status === 'applied').slice(0, 3).map((e) => ({
              editId: e.id, batchSeq: e.batchId, prompt: e.prompt, target: e.target, distance: e === hit ? 0.01 : 0.4, enabled: true, failedGates: [],
              relation: null
            })),
            allocation: { rows: 2, cols: 4, weights: hit ? [0.5, 0.5, 0, 0, 0, 0.5, 0.5, 0] : [0, 0, 0, 0, 0, 0, 0, 0] }
          }
        }
      }
    })

  const impl: { [M in Method]?: (req: Req<M>) => Result<unknown> } = {
    'app.status': () => ok(state.status),
    'experiments.list': () => ok(state.experiments),
    'models.list': () => ok(state.status.model ? [state.status.model] : []),
    'experiments.update': (r) => {
      const e = state.experiments.find((x) => x.id === r.id)
      if (!e) return notFound(`experiment ${r.id}`)
      Object.assign(e, Object.fromEntries(Object.entries(r).filter(([k, v]) => k !== 'id' && v !== undefined)))
      return ok(e)
    },
    'metrics.series': (r) => ok(Object.fromEntries(r.experimentIds.map((id) => [
      String(id), Object.fromEntries(r.names.map((n) => [n, state.series[String(id)]?.[n] ?? []]))
    ]))),
    'edits.list': (r) => {
      const offset = r.offset ?? 0
      const limit = r.limit ?? 200
      const rows = state.edits.filter((e) => !r.status || e.status === r.status)
      return ok({ rows: rows.slice(offset, offset + limit), total: rows.length })
    },
    'edits.add': (r) => {
      const ids = r.edits.map((e) => {
        const id = nextId++
        state.edits.push(editView(id, { prompt: e.prompt, target: e.target, groundTruth: e.groundTruth ?? null, subject: null, rephrases: e.rephrases ?? [] }))
        return id
      })
      return ok({ ids })
    },
    'edits.update': (r) => {
      const i = state.edits.findIndex((e) => e.id === r.id)
      if (i < 0) return notFound(`edit #${r.id}`)
      state.edits[i] = { ...state.edits[i], ...(r.patch.prompt ? { prompt: r.patch.prompt } : {}), ...(r.patch.target ? { target: r.patch.target } : {}) }
      return ok(state.edits[i])
    },
    'edits.delete': (r) => {
      const before = state.edits.length
      state.edits = state.edits.filter((e) => !r.ids.includes(e.id))
      return ok({ deleted: before - state.edits.length })
    },
    'edits.importPreview': (r) => ok(parseLines(textOf(r.file)).report),
    'edits.import': (r) => {
      const { good, report } = parseLines(textOf(r.file))
      for (const g of good) {
        const id = nextId++
        state.edits.push(editView(id, { ...g, groundTruth: null, subject: null, sourceFile: r.file.name }))
      }
      return ok({ ...report, imported: good.length })
    },
    'batches.list': () => ok(state.batches),
    'jobs.apply': (r) => {
      state.job = jobView({ id: (state.job?.id ?? 0) + 1, editsTotal: r.batchSize * (r.batches ?? 1) })
      return ok(state.job)
    },
    'jobs.applySelection': (r) => {
      state.job = jobView({ id: (state.job?.id ?? 0) + 1, editsTotal: r.editIds.length, batchEdits: r.editIds.length })
      return ok(state.job)
    },
    'edits.requeue': (r) => {
      const ids = r.ids.map((from) => {
        const e = state.edits.find((x) => x.id === from)
        const id = nextId++
        state.edits.push(editView(id, { prompt: e?.prompt, target: e?.target, position: state.edits.length }))
        return id
      })
      return ok({ ids })
    },
    'jobs.cancel': (r) => ok({ cancelled: state.job?.id === r.jobId && state.job.state === 'running' }),
    'jobs.current': () => ok(state.job),
    probe: (r) => ok(probeResults(r.prompts)),
    'probe.edit': (r) => {
      const e = state.edits.find((x) => x.id === r.editId)
      if (!e) return notFound(`edit #${r.editId}`)
      const [own, ...reph] = probeResults([e.prompt, ...e.rephrases])
      return ok({
        editId: e.id, target: e.target, result: own, holds: own.edited.answer === e.target,
        rephrases: reph.map((p) => ({ prompt: p.prompt, answer: p.edited.answer, holds: p.edited.answer === e.target, inScope: p.edited.scope.inScope, summary: p.edited.scope.summary }))
      })
    },
    'scope.distances': () => ok(state.scope),
    'scope.tradeoff': (r) => {
      const n = (g: ScopeGroup): number => state.scope.groups[g].filter((x) => x !== null && x < r.threshold).length
      return ok({
        threshold: r.threshold, inScope: { edit: n('edit'), rephrase: n('rephrase'), unrelated: n('unrelated') },
        total: { edit: state.scope.groups.edit.length, rephrase: state.scope.groups.rephrase.length, unrelated: state.scope.groups.unrelated.length }
      })
    },
    'scope.applyThreshold': (r) => {
      const exp = state.status.experiment!
      state.status = { ...state.status, experiment: { ...exp, config: { ...exp.config, queryRadius: r.threshold }, settings: { ...exp.settings, queryRadius: r.threshold } } }
      state.scope = { ...state.scope, threshold: r.threshold }
      return ok(state.status.experiment!)
    },
    'rollback.revertTo': (r) => {
      const b = state.batches.find((x) => x.id === r.batchId)
      if (!b) return notFound(`batch #${r.batchId}`)
      for (const x of state.batches) if (x.seq >= b.seq) x.state = 'rolled_back'
      return ok(state.batches)
    },
    'rollback.disable': (r) => {
      const b = state.batches.find((x) => x.id === r.batchId)
      if (!b) return notFound(`batch #${r.batchId}`)
      b.state = 'disabled'
      return ok(state.batches)
    },
    'rollback.enable': (r) => {
      const b = state.batches.find((x) => x.id === r.batchId)
      if (!b) return notFound(`batch #${r.batchId}`)
      b.state = 'applied'
      return ok(state.batches)
    },
    'rollback.undoable': () => ok(state.undo),
    'rollback.undo': () => {
      if (state.undo.blocked !== null) return { ok: false, error: { code: 'conflict', message: `cannot undo: ${state.undo.blocked}` } }
      state.undo = { op: null, seq: null, blocked: 'no rollback to undo' }
      return ok(state.batches)
    },
    'rollback.revertOnly': () => {
      state.job = jobView({ id: (state.job?.id ?? 0) + 1, kind: 'replay' })
      return ok(state.job)
    }
  }

  const api: Record<string, unknown> = {
    onEvent: (l: (e: WorkspaceEvent) => void) => {
      listeners.add(l)
      return () => void listeners.delete(l)
    }
  }
  for (const method of METHODS) {
    api[method] = async (req: unknown) => {
      calls.push({ method, req })
      const failure = failures.get(method)
      if (failure) {
        failures.delete(method)
        return { ok: false, error: failure }
      }
      const fn = impl[method] as ((r: unknown) => Result<unknown>) | undefined
      return fn ? structuredClone(fn(req)) : { ok: false, error: { code: 'internal', message: `${method} is not in the fake` } }
    }
  }

  return {
    api: api as ElderApi,
    state,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method).map((c) => c.req),
    emit: (e) => [...listeners].forEach((l) => l(e)),
    failNext: (method, error) => void failures.set(method, error),
    listeners: () => listeners.size
  }
}
