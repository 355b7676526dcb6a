// The workspace service: the contract's implementation (src-preload/contract.ts), one async function per
// method. Each validates its request with the method's zod schema before it touches anything and answers with
// Result<T>: errors travel as data. Transport-free: IPC and HTTP adapters call these functions.
import { resolve } from 'node:path'
import type { z } from 'zod'
import {
  contract, describeIssues, EXPERIMENT_PRESETS, METHODS, type EditHealth, type ImportReport, type JobView, type Method, type ParsedReq, type Res, type Result, type ServiceApi,
  type StatusView, type WorkspaceEvent
} from '../../src-preload/contract'
import { parseMethodConfig } from '../engine/methods/configs'
import { MethodConfigError } from '../engine/methods/editor'
import { resolveTarget } from '../engine/model/targets'
import type { ZsreTarget } from '../importers'
import { EngineHost } from '../jobs/host'
import { JobQueue } from '../jobs/queue'
import { nodeSpawn, type SpawnEngine } from '../jobs/spawn'
import {
  addEdits, cloneExperiment, deleteEdit, getEdit, getExperiment, getModel, listEdits, listExperiments, listModels,
  metricSeries, updateEdit, updateExperiment, createExperiment, requeueEdits, copyEditList, editHealth, activeExperimentId,
  setActiveExperiment, type Edit, type Model
} from '../store'
import { applyJob, checkLoadable, checkSelection } from './apply'
import { Lock, type Ctx } from './context'
import { fail, toServiceError } from './errors'
import { evaluateJob } from './evaluate'
import { probe } from './probe'
import { revertOnly, revertTo, setEnabled, undo, undoable } from './rollback'
import { applyThreshold, probeEdit, scopeDistances, scopeMap, scopeTradeoff } from './scope'
import {
  exportAdapter, exportEdits, exportMetrics, importAdapter, importEdits, importEditsFromPath, mustExperiment, previewImport
} from './transfer'
import { batchOfEdits, batchViews, editView, experimentView, modelView } from './views'
import { openWorkspaceFolder, registerModelDir, seedDefaults } from './workspace'

export interface ServiceOptions {
  /** The workspace folder (created if missing): workspace.sqlite + checkpoints/. */
  workspaceDir: string
  /** Registered, with its first edits queued, when the workspace has no experiment yet. */
  defaultModelDir?: string
  /** How to start the engine process; default child_process.fork of jobs/engine-worker. */
  spawn?: SpawnEngine
  /** Shown in app.status. */
  version?: string
  onLog?: (level: 'info' | 'warn' | 'error', message: string) => void
}

export interface Service extends ServiceApi {
  readonly dir: string
  /** The engine process id, null while none runs. */
  enginePid(): number | null
  /** Resolves with a job's final view. */
  waitForJob(jobId: number): Promise<JobView>
  /** edits.import from a file on this machine, read as bytes (not in the contract: the renderer has no paths). */
  importEditsFile(experimentId: number, path: string, zsreTarget?: ZsreTarget): Promise<Result<ImportReport>>
}

/** The method and config an experiments.create request means: its fields over its preset's, 'elder' by default. */
function resolvePreset(req: ParsedReq<'experiments.create'>): { method: string; config: Record<string, unknown> } {
  const preset = req.preset === undefined ? undefined : EXPERIMENT_PRESETS[req.preset]
  if (preset && req.method !== undefined && req.method !== preset.method) {
    throw fail('invalid_request', `method "${req.method}" is not preset "${req.preset}"'s method "${preset.method}"`)
  }
  return { method: preset?.method ?? req.method ?? 'elder', config: { ...(preset?.config ?? {}), ...req.config } }
}

/**
 * The experiment's method decides which settings are valid; a config naming another method is refused, and so is
 * a target module the experiment's model does not have (targets.ts).
 */
function checkMethodConfig(method: string, config: Record<string, unknown>, model: Model): void {
  try {
    if (config.method !== undefined && config.method !== method) {
      throw new MethodConfigError(`config field "method": "${String(config.method)}" is not the experiment's method "${method}"`)
    }
    const target = resolveTarget(model.architecture, parseMethodConfig({ ...config, method }).module)
    if (!target.ok) throw new MethodConfigError(`config field "module": ${target.message}`)
  } catch (e) {
    if (e instanceof MethodConfigError) throw fail('invalid_request', e.message)
    throw e
  }
}

function mustModel(ctx: Ctx, id: number): Model {
  const model = getModel(ctx.db, id)
  if (!model) throw fail('not_found', `model ${id} does not exist`)
  return model
}

type Handlers = { [M in Method]: (req: ParsedReq<M>) => Promise<Res<M>> | Res<M> }

/** Opens (creating if needed) the workspace in `dir`; see ServiceOptions. */
export function openWorkspace(dir: string, opts: Omit<ServiceOptions, 'workspaceDir'> = {}): Promise<Service> {
  return createService({ ...opts, workspaceDir: dir })
}

export async function createService(opts: ServiceOptions): Promise<Service> {
  const dir = resolve(opts.workspaceDir)
  const opened = openWorkspaceFolder(dir)
  const listeners = new Set<(e: WorkspaceEvent) => void>()
  const emit = (e: WorkspaceEvent): void => {
    for (const l of listeners) {
      try {
        l(e)
      } catch {
        // A failing listener (a closed window) must not break the operation that emitted.
      }
    }
  }
  const host = new EngineHost({ spawn: opts.spawn ?? nodeSpawn(), onLog: opts.onLog })
  const jobs = new JobQueue(
    { progress: (job) => emit({ type: 'job.progress', job }), finished: (job) => emit({ type: 'job.finished', job }) },
    toServiceError
  )
  const ctx: Ctx = {
    dir, db: opened.db, host, jobs, lock: new Lock(), loaded: null, selected: activeExperimentId(opened.db), emit, version: opts.version ?? 'dev'
  }
  host.onExit(() => (ctx.loaded = null))
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await jobs.close()
    await host.close()
    ctx.db.close()
    opened.release()
  }
  try {
    await seedDefaults(ctx, opts.defaultModelDir)
  } catch (e) {
    await close()
    throw e
  }

  const status = (): StatusView => {
    const exp = (ctx.selected !== null ? getExperiment(ctx.db, ctx.selected) : null) ?? listExperiments(ctx.db)[0] ?? null
    const model = exp ? getModel(ctx.db, exp.modelId) : null
    return {
      backend: host.backend ?? 'engine not started', workspace: dir, model: model ? modelView(model) : null,
      experiment: exp ? experimentView(ctx.db, exp) : null, job: jobs.current(), version: opts.version ?? 'dev'
    }
  }
  const editsChanged = (experimentId: number): void => emit({ type: 'edits.changed', experimentId })
  /**
   * With no experiment selected, the newest is the active one; pinned before a create or clone so that a new run
   * does not silently become the one the queue, probe and header show (experiments.select does that).
   */
  const keepActive = (): void => {
    const newest = ctx.selected === null ? listExperiments(ctx.db)[0] : undefined
    if (newest) select(newest.id)
  }
  const select = (id: number): void => {
    setActiveExperiment(ctx.db, id)
    ctx.selected = id
  }

  const handlers: Handlers = {
    'app.status': () => status(),
    'models.list': () => listModels(ctx.db).map(modelView),
    'models.register': async ({ path }) => modelView(await registerModelDir(ctx, path)),
    'experiments.list': () => listExperiments(ctx.db).map((e) => experimentView(ctx.db, e)),
    'experiments.create': (req) => {
      const { method, config } = resolvePreset(req)
      checkMethodConfig(method, config, mustModel(ctx, req.modelId))
      if (req.editsFrom !== undefined) mustExperiment(ctx, req.editsFrom)
      keepActive()
      const e = ctx.db.transaction(() => {
        const created = createExperiment(ctx.db, {
          name: req.name, modelId: req.modelId, method, config, preset: req.preset ?? null, evalEvery: req.evalEvery, tags: req.tags, notes: req.notes
        })
        if (req.editsFrom !== undefined) copyEditList(ctx.db, req.editsFrom, created.id)
        return created
      })()
      if (req.editsFrom !== undefined) editsChanged(e.id)
      return experimentView(ctx.db, e)
    },
    'experiments.clone': ({ id, name, method, config, tags, evalEvery }) => {
      if (method !== undefined || config !== undefined) {
        const src = mustExperiment(ctx, id)
        checkMethodConfig(method ?? src.method, config ?? (method === undefined ? src.config : {}), mustModel(ctx, src.modelId))
      }
      keepActive()
      // A new method without a config starts from that method's defaults: the source's settings belong to its method.
      const e = cloneExperiment(ctx.db, id, { name, method, config: config ?? (method !== undefined ? {} : undefined), tags, evalEvery })
      editsChanged(e.id)
      return experimentView(ctx.db, e)
    },
    'experiments.update': ({ id, name, notes, tags, archived, evalEvery }) =>
      experimentView(ctx.db, updateExperiment(ctx.db, id, { name, notes, tags, archived, evalEvery })),
    'experiments.select': ({ id }) => {
      select(id)
      return status()
    },
    'edits.list': ({ experimentId, status: s, offset, limit }) => {
      mustExperiment(ctx, experimentId)
      const page = listEdits(ctx.db, experimentId, { status: s, offset, limit })
      const batchOf = batchOfEdits(ctx.db, experimentId)
      const health = editHealth(ctx.db, experimentId)
      const verdict = (e: Edit): EditHealth | null => {
        const h = e.status === 'applied' ? health.get(e.id) : undefined
        return h === undefined ? null : h.holds ? 'holds' : 'slipped'
      }
      return { rows: page.items.map((e) => editView(e, batchOf.get(e.id) ?? null, verdict(e))), total: page.total }
    },
    'edits.add': ({ experimentId, edits }) => {
      const ids = addEdits(ctx.db, experimentId, edits)
      editsChanged(experimentId)
      return { ids }
    },
    'edits.update': ({ id, patch }) => {
      const e = updateEdit(ctx.db, id, patch)
      editsChanged(e.experimentId)
      return editView(e, null)
    },
    'edits.delete': ({ ids }) => {
      const experiments = new Set<number>()
      ctx.db.transaction(() => {
        for (const id of ids) {
          const e = getEdit(ctx.db, id)
          if (!e) throw fail('not_found', `edit ${id} does not exist; nothing was deleted`)
          deleteEdit(ctx.db, id)
          experiments.add(e.experimentId)
        }
      })()
      for (const x of experiments) editsChanged(x)
      return { deleted: ids.length }
    },
    'edits.importPreview': ({ file, zsreTarget }) => previewImport(file, zsreTarget),
    'edits.import': ({ experimentId, file, zsreTarget }) => importEdits(ctx, experimentId, file, zsreTarget),
    'batches.list': ({ experimentId }) => {
      mustExperiment(ctx, experimentId)
      return batchViews(ctx.db, experimentId)
    },
    'jobs.apply': ({ experimentId, batchSize, batches }) => {
      mustExperiment(ctx, experimentId)
      checkLoadable(ctx, experimentId)
      return jobs.enqueue(applyJob(ctx, { experimentId, batchSize, batches, replay: null, redisable: new Set() }))
    },
    'jobs.evaluate': ({ experimentId }) => {
      checkLoadable(ctx, experimentId)
      return jobs.enqueue(evaluateJob(ctx, experimentId))
    },
    'jobs.applySelection': ({ experimentId, editIds }) => {
      mustExperiment(ctx, experimentId)
      checkLoadable(ctx, experimentId)
      checkSelection(ctx, experimentId, editIds)
      return jobs.enqueue(applyJob(ctx, { experimentId, batchSize: editIds.length, batches: 1, replay: null, redisable: new Set(), selection: editIds }))
    },
    'edits.requeue': ({ ids }) => {
      const r = requeueEdits(ctx.db, ids)
      editsChanged(r.experimentId)
      return { ids: r.ids }
    },
    'jobs.cancel': ({ jobId }) => ({ cancelled: jobs.cancel(jobId) }),
    'jobs.current': () => jobs.current(),
    probe: ({ experimentId, prompts }) => probe(ctx, experimentId, prompts),
    'rollback.revertTo': ({ batchId }) => revertTo(ctx, batchId),
    'rollback.revertOnly': ({ batchId }) => revertOnly(ctx, batchId),
    'rollback.disable': ({ batchId }) => setEnabled(ctx, batchId, false),
    'rollback.enable': ({ batchId }) => setEnabled(ctx, batchId, true),
    'rollback.undo': ({ experimentId }) => undo(ctx, experimentId),
    'rollback.undoable': ({ experimentId }) => {
      mustExperiment(ctx, experimentId)
      return undoable(ctx, experimentId)
    },
    'metrics.series': ({ experimentIds, names }) => {
      const out: Res<'metrics.series'> = {}
      for (const id of experimentIds) {
        mustExperiment(ctx, id)
        out[String(id)] = Object.fromEntries(names.map((n) => [
          n, metricSeries(ctx.db, id, n).map((p) => ({ batchId: p.batchId, editCount: p.editCount, value: p.value }))
        ]))
      }
      return out
    },
    'export.edits': ({ experimentId }) => exportEdits(ctx, experimentId),
    'export.metrics': ({ experimentId }) => exportMetrics(ctx, experimentId),
    'export.adapter': ({ experimentId }) => exportAdapter(ctx, experimentId),
    'import.adapter': ({ experimentId, name, base64 }) => importAdapter(ctx, experimentId, name, base64),
    'probe.edit': ({ experimentId, editId }) => probeEdit(ctx, experimentId, editId),
    'scope.distances': ({ experimentId }) => scopeDistances(ctx, experimentId),
    'scope.tradeoff': ({ experimentId, threshold }) => scopeTradeoff(ctx, experimentId, threshold),
    'scope.applyThreshold': ({ experimentId, threshold }) => applyThreshold(ctx, experimentId, threshold),
    'scope.map': ({ experimentId }) => scopeMap(ctx, experimentId)
  }

  /** Runs a request unless the workspace is closed; whatever it throws comes back as a ServiceError. */
  async function settle<T>(run: () => Promise<T> | T): Promise<Result<T>> {
    if (closed) return { ok: false, error: { code: 'conflict', message: `workspace ${dir} is closed` } }
    try {
      return { ok: true, value: await run() }
    } catch (e) {
      return { ok: false, error: toServiceError(e) }
    }
  }

  function method<M extends Method>(m: M): (raw: unknown) => Promise<Result<Res<M>>> {
    const schema: z.ZodType = contract[m].req
    const handler = handlers[m] as (req: ParsedReq<M>) => Promise<Res<M>> | Res<M>
    return async (raw) => {
      const parsed = schema.safeParse(raw)
      if (!parsed.success) return { ok: false, error: { code: 'invalid_request', message: `${m}: ${describeIssues(parsed.error)}` } }
      return settle(() => handler(parsed.data as ParsedReq<M>))
    }
  }

  const api = Object.fromEntries(METHODS.map((m) => [m, method(m)])) as { [M in Method]: ServiceApi[M] }
  return {
    ...api,
    dir,
    onEvent: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close,
    enginePid: () => host.pid,
    waitForJob: (jobId) => jobs.wait(jobId),
    importEditsFile: (experimentId, path, zsreTarget) => settle(() => importEditsFromPath(ctx, experimentId, path, zsreTarget))
  }
}
