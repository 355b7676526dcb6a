// A contract-typed stand-in for src-main/service, recording what the transports hand it. The transports only adapt
// (no business logic), so what they must prove is routing, validation, auth and limits — not the service's answers.
import { METHODS, type Method, type Result, type ServiceApi, type WorkspaceEvent } from '../../src-preload/contract'

export interface RecordingService {
  service: ServiceApi
  calls: Array<{ method: Method; req: unknown }>
  emit(e: WorkspaceEvent): void
  listenerCount(): number
}

/** Every method answers { ok: true, value: { echo: method } } unless `answers` says otherwise. */
export function recordingService(answers: Partial<Record<Method, (req: unknown) => Result<unknown>>> = {}): RecordingService {
  const calls: RecordingService['calls'] = []
  const listeners = new Set<(e: WorkspaceEvent) => void>()
  const service: Record<string, unknown> = {
    onEvent: (l: (e: WorkspaceEvent) => void) => {
      listeners.add(l)
      return () => void listeners.delete(l)
    },
    close: async () => undefined
  }
  for (const method of METHODS) {
    service[method] = async (req: unknown) => {
      calls.push({ method, req })
      return answers[method]?.(req) ?? { ok: true, value: { echo: method } }
    }
  }
  return {
    service: service as ServiceApi,
    calls,
    emit: (e) => listeners.forEach((l) => l(e)),
    listenerCount: () => listeners.size
  }
}

/** A request each method's schema accepts (the smallest one). */
export const VALID: Record<Method, unknown> = {
  'app.status': {},
  'models.list': {},
  'models.register': { path: '/models/gpt2' },
  'experiments.list': {},
  'experiments.create': { name: 'e', modelId: 1 },
  'experiments.clone': { id: 1 },
  'experiments.update': { id: 1, notes: 'n' },
  'experiments.select': { id: 1 },
  'edits.list': { experimentId: 1 },
  'edits.add': { experimentId: 1, edits: [{ prompt: 'p', target: 't' }] },
  'edits.update': { id: 1, patch: { target: 't2' } },
  'edits.delete': { ids: [1] },
  'edits.importPreview': { file: { name: 'a.jsonl', content: '' } },
  'edits.import': { experimentId: 1, file: { name: 'a.jsonl', content: '' } },
  'batches.list': { experimentId: 1 },
  'jobs.apply': { experimentId: 1, batchSize: 1, batches: 1 },
  'jobs.evaluate': { experimentId: 1 },
  'jobs.applySelection': { experimentId: 1, editIds: [1] },
  'edits.requeue': { ids: [1] },
  'jobs.cancel': { jobId: 1 },
  'jobs.current': {},
  probe: { experimentId: 1, prompts: ['p'] },
  'rollback.revertTo': { batchId: 1 },
  'rollback.revertOnly': { batchId: 1 },
  'rollback.disable': { batchId: 1 },
  'rollback.enable': { batchId: 1 },
  'rollback.undo': { experimentId: 1 },
  'rollback.undoable': { experimentId: 1 },
  'metrics.series': { experimentIds: [1], names: ['reliability'] },
  'export.edits': { experimentId: 1 },
  'export.metrics': { experimentId: 1 },
  'export.adapter': { experimentId: 1 },
  'import.adapter': { experimentId: 1, name: 'a.safetensors', base64: '' },
  'probe.edit': { experimentId: 1, editId: 1 },
  'scope.distances': { experimentId: 1 },
  'scope.tradeoff': { experimentId: 1, threshold: 0.08 },
  'scope.applyThreshold': { experimentId: 1, threshold: 0.08 },
  'scope.map': { experimentId: 1 }
}
