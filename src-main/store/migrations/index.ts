import { migration0010 } from './0010-initial'
import { migration0020 } from './0020-batches'
import { migration0030 } from './0030-checkpoints-metrics'
import { migration0040 } from './0040-events'
import { migration0050 } from './0050-batch-final-loss'
import { migration0060 } from './0060-tracking'
import type { Migration } from './types'

export type { Migration } from './types'

/** Every migration, in version order. Append only: a released migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [
  migration0010, migration0020, migration0030, migration0040, migration0050, migration0060
]

/** The schema version this build writes. */
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version
