import type Database from 'better-sqlite3'
import { StoreError } from '../errors'
import type { EditHealth } from '../types'
import { nonNegativeInt } from './validate'

/**
 * Replaces the experiment's edit health with one evaluation's verdicts, in one transaction: edits not in `verdicts`
 * (applied since, or no longer applied) lose their old verdict rather than keep a stale one.
 */
export function recordEditHealth(
  db: Database.Database, experimentId: number, editCount: number, verdicts: ReadonlyArray<{ editId: number; holds: boolean }>
): void {
  nonNegativeInt(editCount, 'editCount')
  db.transaction(() => {
    const foreign = verdicts.find((v) => db.prepare('SELECT experiment_id FROM edits WHERE id = ?').pluck().get(v.editId) !== experimentId)
    if (foreign) throw new StoreError('invalid_input', `edit ${foreign.editId} is not an edit of experiment ${experimentId}`)
    db.prepare('DELETE FROM edit_health WHERE experiment_id = ?').run(experimentId)
    const now = Date.now()
    const insert = db.prepare('INSERT INTO edit_health (edit_id, experiment_id, holds, edit_count, checked_at) VALUES (?, ?, ?, ?, ?)')
    for (const v of verdicts) insert.run(v.editId, experimentId, v.holds ? 1 : 0, editCount, now)
  })()
}

/** edit id → its latest verdict, for the experiment's checked edits. */
export function editHealth(db: Database.Database, experimentId: number): Map<number, EditHealth> {
  const rows = db.prepare('SELECT edit_id, holds, edit_count, checked_at FROM edit_health WHERE experiment_id = ?')
    .all(experimentId) as Array<{ edit_id: number; holds: number; edit_count: number; checked_at: number }>
  return new Map(rows.map((r) => [r.edit_id, { editId: r.edit_id, holds: r.holds === 1, editCount: r.edit_count, checkedAt: r.checked_at }]))
}

/** How many checked edits hold, out of how many checked ("812 / 820 edits hold"). */
export function editHealthCounts(db: Database.Database, experimentId: number): { holds: number; checked: number } {
  const r = db.prepare('SELECT coalesce(sum(holds), 0) AS holds, count(*) AS checked FROM edit_health WHERE experiment_id = ?')
    .get(experimentId) as { holds: number; checked: number }
  return { holds: r.holds, checked: r.checked }
}
