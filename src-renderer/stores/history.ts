// The batch timeline of the current experiment and the rollback actions. revertTo / disable / enable / undo finish
// when their promise does; revertOnly starts a replay job whose progress the jobs store shows.
import { defineStore } from 'pinia'
import { ref, shallowRef, watch } from 'vue'
import type { BatchView, Result, UndoView } from '../../src-preload/contract'
import { useApi } from '../api'
import { coalesce } from '../coalesce'
import { useJobsStore } from './jobs'
import { useNoticesStore } from './notices'
import { useStatusStore } from './status'

export type RollbackAction = 'revertTo' | 'revertOnly' | 'disable' | 'enable'

export const ROLLBACK_LABELS: Record<RollbackAction, string> = {
  revertTo: 'Revert to before',
  revertOnly: 'Revert only this',
  disable: 'Disable',
  enable: 'Enable'
}

/** The rollback as a phrase, for "Undo “revert only” of batch 3". */
export const UNDO_LABELS: Record<RollbackAction, string> = {
  revertTo: 'revert to before',
  revertOnly: 'revert only',
  disable: 'disable',
  enable: 'enable'
}

const NOTHING: UndoView = { op: null, seq: null, blocked: 'no rollback to undo' }

/** What the Undo button's tooltip says: what it would undo, or why it cannot. */
export function undoTitle(u: UndoView): string {
  if (u.op === null) return 'Nothing to undo: no rollback in this experiment yet'
  const what = `“${UNDO_LABELS[u.op]}” of batch ${u.seq}`
  return u.blocked === null ? `Undo ${what}` : `Cannot undo ${what}: ${u.blocked}`
}

export const useHistoryStore = defineStore('history', () => {
  const api = useApi()
  const notices = useNoticesStore()
  const statusStore = useStatusStore()
  const jobs = useJobsStore()

  /** Batches, newest first. */
  const batches = shallowRef<BatchView[]>([])
  /** The rollback in flight, shown on its batch; one at a time. A revert-only stays pending until its replay job ends. */
  const pending = ref<{ batchId: number; action: RollbackAction | 'undo'; jobId?: number } | null>(null)

  /** What Undo would undo now, asked with the batches so the button is enabled only when it can work. */
  const undoable = ref<UndoView>(NOTHING)

  const load = coalesce(async () => {
    const experimentId = statusStore.experimentId
    if (experimentId === null) {
      batches.value = []
      undoable.value = NOTHING
      return
    }
    const [list, u] = await Promise.all([
      notices.guard('Could not load the batch history', api['batches.list']({ experimentId })),
      notices.guard('Could not read what Undo would undo', api['rollback.undoable']({ experimentId }))
    ])
    if (list) batches.value = [...list].sort((a, b) => b.seq - a.seq)
    if (u) undoable.value = u
  })

  async function run<T>(batchId: number, action: RollbackAction | 'undo', title: string, call: () => Promise<Result<T>>): Promise<T | undefined> {
    if (pending.value) {
      notices.info('A rollback is already in progress')
      return undefined
    }
    pending.value = { batchId, action }
    try {
      const value = await notices.guard(title, call())
      await load()
      return value
    } finally {
      pending.value = null
    }
  }

  async function rollback(action: RollbackAction, batch: BatchView): Promise<boolean> {
    const title = `Could not ${ROLLBACK_LABELS[action].toLowerCase()} batch ${batch.seq}`
    if (action === 'revertOnly') {
      const job = await run(batch.id, action, title, () => api['rollback.revertOnly']({ batchId: batch.id }))
      if (!job) return false
      jobs.track(job)
      if (jobs.job?.id === job.id && jobs.active) pending.value = { batchId: batch.id, action, jobId: job.id }
      return true
    }
    const method = action === 'revertTo' ? 'rollback.revertTo' : action === 'disable' ? 'rollback.disable' : 'rollback.enable'
    return (await run(batch.id, action, title, () => api[method]({ batchId: batch.id }))) !== undefined
  }

  async function undo(): Promise<boolean> {
    const experimentId = statusStore.experimentId
    const { op, seq } = undoable.value
    if (experimentId === null || op === null) return false
    const done = (await run(0, 'undo', 'Could not undo the last rollback', () => api['rollback.undo']({ experimentId }))) !== undefined
    if (done) notices.info(`Undone: “${UNDO_LABELS[op]}” of batch ${seq}`, 'The batches and the adapter are as they were before it.')
    return done
  }

  api.onEvent((e) => {
    // metrics.changed: an evaluation put its results on the newest batch's card.
    if ((e.type === 'batches.changed' || e.type === 'metrics.changed') && e.experimentId === statusStore.experimentId) void load()
    if (e.type === 'job.finished') {
      if (pending.value?.jobId === e.job.id) pending.value = null
      void load()
    }
  })
  watch(() => statusStore.experimentId, () => void load())

  return { batches, pending, undoable, load, rollback, undo }
})
