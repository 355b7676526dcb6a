import type { Migration } from './types'

/**
 * A batch's final training loss (the last step's), so the history can show how well each batch trained (issue 13).
 * NULL for batches applied before this version and for batches that have not finished.
 */
export const migration0050: Migration = {
  version: 50,
  name: 'batch-final-loss',
  up(db) {
    db.exec(`ALTER TABLE batches ADD COLUMN final_loss REAL CHECK (final_loss IS NULL OR final_loss >= 0)`)
  }
}
