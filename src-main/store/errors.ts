/**
 * Typed store errors. Repositories throw them (a throw inside `db.transaction` is what rolls it back); the service
 * turns them into `{ code, message }` data with `toData()` before anything crosses a process boundary.
 */
export type StoreErrorCode =
  | 'not_found'
  | 'invalid_input'
  | 'invalid_transition'
  | 'not_editable'
  | 'schema_too_new'
  | 'migration_failed'

export interface StoreErrorData {
  code: StoreErrorCode
  message: string
}

export class StoreError extends Error {
  override readonly name = 'StoreError'

  constructor(readonly code: StoreErrorCode, message: string) {
    super(message)
  }

  toData(): StoreErrorData {
    return { code: this.code, message: this.message }
  }
}

/** Throws `not_found` naming the entity and id when a lookup came back empty. */
export function must<T>(row: T | undefined | null, entity: string, id: number): T {
  if (row === undefined || row === null) throw new StoreError('not_found', `${entity} ${id} does not exist`)
  return row
}
