// Errors as data: every failure a contract method can meet becomes a ServiceError { code, message } here, in one
// table, so transports never see a thrown object and programs can rely on the codes.
import type { ServiceError } from '../../src-preload/contract'
import { ImportError } from '../importers'
import { CheckpointFileError } from '../jobs/checkpoint-file'
import { EngineError } from '../jobs/host'
import type { EngineErrorCode } from '../jobs/protocol'
import { StoreError, type StoreErrorCode } from '../store'

/** A failure the service raises itself, already carrying its contract code. */
export class ServiceFailure extends Error {
  override name = 'ServiceFailure'

  constructor(readonly code: ServiceError['code'], message: string) {
    super(message)
  }
}

export const fail = (code: ServiceError['code'], message: string): ServiceFailure => new ServiceFailure(code, message)

const FROM_STORE: Record<StoreErrorCode, ServiceError['code']> = {
  not_found: 'not_found',
  invalid_input: 'invalid_request',
  invalid_transition: 'conflict',
  not_editable: 'conflict',
  schema_too_new: 'conflict',
  migration_failed: 'internal'
}

const FROM_ENGINE: Record<EngineErrorCode, ServiceError['code']> = {
  cancelled: 'conflict',
  checkpoint: 'io',
  state: 'invalid_request',
  model: 'io',
  config: 'invalid_request',
  rows: 'invalid_request',
  no_editor: 'engine',
  io: 'io',
  internal: 'engine',
  died: 'engine',
  protocol: 'engine'
}

export function toServiceError(e: unknown): ServiceError {
  if (e instanceof ServiceFailure) return { code: e.code, message: e.message }
  if (e instanceof StoreError) return { code: FROM_STORE[e.code], message: e.message }
  if (e instanceof EngineError) return { code: FROM_ENGINE[e.code], message: e.message }
  if (e instanceof ImportError) return { code: e.code === 'not_found' ? 'not_found' : 'invalid_request', message: e.message }
  // read on this side too (export.adapter); the same failure as the engine's 'checkpoint' code, in the same words
  if (e instanceof CheckpointFileError) return { code: 'io', message: e.message }
  const code = (e as { code?: unknown })?.code
  const message = e instanceof Error ? e.message : String(e)
  // better-sqlite3 (SQLITE_*) and file-system (E*) errors carry a string code.
  if (typeof code === 'string' && (code.startsWith('SQLITE_') || /^E[A-Z]+$/.test(code))) return { code: 'io', message: `${code}: ${message}` }
  return { code: 'internal', message: e instanceof Error ? `${e.name}: ${message}` : message }
}
