// The edit queue of the current experiment: every edit (all statuses) in queue order, kept in a shallowRef because
// it can hold tens of thousands of rows; add / update / delete, import, and starting apply jobs.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { EditHealth, EditInput, EditStatus, EditView, ImportReport } from '../../src-preload/contract'
import { EDIT_STATUSES } from '../../src-preload/contract'
import { useApi } from '../api'
import { coalesce } from '../coalesce'
import { useJobsStore } from './jobs'
import { useNoticesStore } from './notices'
import { useStatusStore } from './status'

/** edits.list's largest page. */
const PAGE = 10_000
const BATCH_SIZE_KEY = 'elder.batchSize'

export type StatusFilter = EditStatus | 'all'
/** A file to import: its bytes as base64 (see base64.ts), so the importer sees them as they are on disk. */
export interface ImportFile {
  name: string
  bytes: string
}

function storedBatchSize(): number {
  const n = Number(globalThis.localStorage?.getItem(BATCH_SIZE_KEY))
  // elder-spec §9: one edit per batch by default.
  return Number.isInteger(n) && n >= 1 && n <= 10_000 ? n : 1
}

export const useQueueStore = defineStore('queue', () => {
  const api = useApi()
  const notices = useNoticesStore()
  const statusStore = useStatusStore()
  const jobs = useJobsStore()

  /** Every edit of the experiment, by position; replaced (never mutated) so the table re-renders once. */
  const rows = shallowRef<EditView[]>([])
  const loading = ref(false)
  /** Edits per batch for "Apply next batch" / "Apply all"; remembered across sessions. */
  const batchSize = ref(storedBatchSize())
  const filter = ref<StatusFilter>('all')
  const search = ref('')
  /** Edit-health filter (issue 14): applied edits that hold or slipped at the latest evaluation. */
  const health = ref<EditHealth | 'all'>('all')

  watch(batchSize, (n) => globalThis.localStorage?.setItem(BATCH_SIZE_KEY, String(n)))

  const counts = computed(() => {
    const c = Object.fromEntries(EDIT_STATUSES.map((s) => [s, 0])) as Record<EditStatus, number>
    for (const r of rows.value) c[r.status]++
    return c
  })

  /** Rows after the status filter and the search text (prompt, target or subject). */
  const visible = computed(() => {
    const f = filter.value
    const q = search.value.trim().toLowerCase()
    const h = health.value
    if (f === 'all' && q === '' && h === 'all') return rows.value
    return rows.value.filter(
      (r) =>
        (f === 'all' || r.status === f) &&
        (h === 'all' || r.health === h) &&
        (q === '' || r.prompt.toLowerCase().includes(q) || r.target.toLowerCase().includes(q) || (r.subject ?? '').toLowerCase().includes(q))
    )
  })

  const load = coalesce(async () => {
    const experimentId = statusStore.experimentId
    if (experimentId === null) {
      rows.value = []
      return
    }
    loading.value = true
    try {
      const all: EditView[] = []
      for (;;) {
        const page = await notices.guard('Could not load the edit queue', api['edits.list']({ experimentId, offset: all.length, limit: PAGE }))
        if (!page) return
        all.push(...page.rows)
        if (page.rows.length === 0 || all.length >= page.total) break
      }
      rows.value = all
    } finally {
      loading.value = false
    }
  })

  function requireExperiment(): number | null {
    const id = statusStore.experimentId
    if (id === null) notices.report('No experiment is open', { code: 'not_found', message: 'the workspace has no current experiment' })
    return id
  }

  async function add(edit: EditInput): Promise<boolean> {
    const experimentId = requireExperiment()
    if (experimentId === null) return false
    const r = await notices.guard('Could not add the edit', api['edits.add']({ experimentId, edits: [edit] }))
    if (r) await load()
    return r !== undefined
  }

  async function update(id: number, patch: Partial<EditInput>): Promise<boolean> {
    const row = await notices.guard(`Could not save edit #${id}`, api['edits.update']({ id, patch }))
    if (row) rows.value = rows.value.map((r) => (r.id === id ? row : r))
    return row !== undefined
  }

  async function remove(ids: number[]): Promise<boolean> {
    const r = await notices.guard(ids.length === 1 ? `Could not delete edit #${ids[0]}` : `Could not delete ${ids.length} edits`, api['edits.delete']({ ids }))
    if (r) {
      const gone = new Set(ids)
      rows.value = rows.value.filter((row) => !gone.has(row.id))
    }
    return r !== undefined
  }

  async function preview(file: ImportFile, zsreTarget?: 'alt' | 'answers'): Promise<ImportReport | undefined> {
    return notices.guard(`Could not read ${file.name}`, api['edits.importPreview']({ file, zsreTarget }))
  }

  async function importFile(file: ImportFile, zsreTarget?: 'alt' | 'answers'): Promise<ImportReport | undefined> {
    const experimentId = requireExperiment()
    if (experimentId === null) return undefined
    const report = await notices.guard(`Could not import ${file.name}`, api['edits.import']({ experimentId, file, zsreTarget }))
    if (report) await load()
    return report
  }

  /** Starts an apply job over the next `batches` batches (null: until the queue is empty). */
  async function apply(batches: number | null): Promise<boolean> {
    const experimentId = requireExperiment()
    if (experimentId === null) return false
    const job = await notices.guard('Could not start applying edits', api['jobs.apply']({ experimentId, batchSize: batchSize.value, batches }))
    if (job) jobs.track(job)
    return job !== undefined
  }

  api.onEvent((e) => {
    if ((e.type === 'edits.changed' || e.type === 'batches.changed') && e.experimentId === statusStore.experimentId) void load()
    if (e.type === 'job.finished') void load()
  })
  watch(() => statusStore.experimentId, () => void load())

  return { rows, loading, batchSize, filter, search, health, counts, visible, load, add, update, remove, preview, importFile, apply }
})
