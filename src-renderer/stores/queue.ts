// The edit queue of the current experiment: every edit (all statuses) in queue order, kept in a shallowRef because
// it can hold tens of thousands of rows; add / update / delete, import, and starting apply jobs.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { EditHealth, EditInput, EditStatus, EditView, ImportReport, Result } from '../../src-preload/contract'
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
/** Another live row with the same prompt: the same target (duplicate) or another one (conflict). */
export interface RowFlag {
  kind: 'duplicate' | 'conflict'
  others: Array<{ id: number; position: number; target: string }>
}
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

/** A call's Result, with a rejected call (a broken connection) as an error too. */
async function settle<T>(call: Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await call
  } catch (e) {
    return { ok: false, error: { code: 'io', message: e instanceof Error ? e.message : String(e) } }
  }
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

  /** Rows the analyst ticked (ids), for "apply the selection as one batch" and "re-queue". */
  const selected = shallowRef<ReadonlySet<number>>(new Set())
  /** The row a shift-click extends the selection from. */
  let anchor: number | null = null

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

  /** Ticks or unticks one row; with shift, ticks every visible row between the last ticked one and this one. */
  function toggle(id: number, range = false): void {
    const next = new Set(selected.value)
    const list = visible.value
    const from = anchor === null ? -1 : list.findIndex((r) => r.id === anchor)
    const to = list.findIndex((r) => r.id === id)
    if (range && from >= 0 && to >= 0) {
      for (let i = Math.min(from, to); i <= Math.max(from, to); i++) next.add(list[i].id)
    } else if (next.has(id)) next.delete(id)
    else next.add(id)
    anchor = id
    selected.value = next
  }

  /** Ticks every row the filter and search show. */
  function selectFiltered(): void {
    selected.value = new Set([...selected.value, ...visible.value.map((r) => r.id)])
  }

  function clearSelection(): void {
    selected.value = new Set()
    anchor = null
  }

  const selectedRows = computed(() => rows.value.filter((r) => selected.value.has(r.id)))
  /** The ticked rows a batch can take: queued, and not in a batch that has run (a cancelled one is cut again). */
  const applicable = computed(() => selectedRows.value.filter((r) => r.status === 'queued' && r.batchState !== 'training'))
  /** The ticked rows that can be queued again. */
  const requeueable = computed(() => selectedRows.value.filter((r) => r.status === 'rolled_back' || r.status === 'failed'))

  /**
   * Rows whose prompt another live row (queued or applied) has too: the same target is a duplicate, another target a
   * conflict (the later edit of a prompt replaces the earlier). By id, with the other rows' ids and targets.
   */
  const flags = computed(() => {
    const norm = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase()
    const byPrompt = new Map<string, EditView[]>()
    for (const r of rows.value) {
      if (r.status !== 'queued' && r.status !== 'applied') continue
      const k = norm(r.prompt)
      byPrompt.set(k, [...(byPrompt.get(k) ?? []), r])
    }
    const out = new Map<number, RowFlag>()
    for (const group of byPrompt.values()) {
      if (group.length < 2) continue
      for (const r of group) {
        const others = group.filter((o) => o.id !== r.id)
        const conflict = others.some((o) => norm(o.target) !== norm(r.target))
        out.set(r.id, { kind: conflict ? 'conflict' : 'duplicate', others: others.map((o) => ({ id: o.id, position: o.position, target: o.target })) })
      }
    }
    return out
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
      // Ticks on rows that are gone (deleted, another experiment) go too.
      const ids = new Set(all.map((r) => r.id))
      if ([...selected.value].some((id) => !ids.has(id))) selected.value = new Set([...selected.value].filter((id) => ids.has(id)))
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
    if (!r) return false
    await load()
    // Said at once, not only by the row's flag (issue 13: the same edit was queued twice without a word).
    const f = flags.value.get(r.ids[0])
    if (f) {
      const others = f.others.map((o) => `#${o.position + 1}`).join(', ')
      notices.info(
        f.kind === 'duplicate' ? `Edit added; the same edit is already ${others}` : `Edit added; the same prompt has another target in ${others}`,
        f.kind === 'duplicate' ? 'Delete one of them unless you mean to train it twice.' : 'The edit applied later replaces the earlier one.'
      )
    }
    return true
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

  /** The import dialog shows a refusal itself (file, line, field), so these answer the Result, not a toast. */
  async function preview(file: ImportFile, zsreTarget?: 'alt' | 'answers'): Promise<Result<ImportReport>> {
    return settle(api['edits.importPreview']({ file, zsreTarget }))
  }

  async function importFile(file: ImportFile, zsreTarget?: 'alt' | 'answers'): Promise<Result<ImportReport>> {
    const experimentId = statusStore.experimentId
    if (experimentId === null) return { ok: false, error: { code: 'not_found', message: 'the workspace has no current experiment' } }
    const r = await settle(api['edits.import']({ experimentId, file, zsreTarget }))
    if (r.ok) await load()
    return r
  }

  /** Starts an apply job over the next `batches` batches (null: until the queue is empty). */
  async function apply(batches: number | null): Promise<boolean> {
    const experimentId = requireExperiment()
    if (experimentId === null) return false
    const job = await notices.guard('Could not start applying edits', api['jobs.apply']({ experimentId, batchSize: batchSize.value, batches }))
    if (job) jobs.track(job)
    return job !== undefined
  }

  /** The row a link elsewhere (the probe's nearest edits) pointed at: the table scrolls to it and highlights it. */
  const focused = ref<number | null>(null)

  /** Points the table at edit `id`, clearing a filter or search that hides it. */
  function focus(id: number): void {
    if (!visible.value.some((r) => r.id === id)) {
      filter.value = 'all'
      search.value = ''
    }
    focused.value = id
  }

  /** Applies the ticked queued rows as one batch, whatever the batch size. */
  async function applySelection(): Promise<boolean> {
    const experimentId = requireExperiment()
    const editIds = applicable.value.map((r) => r.id)
    if (experimentId === null || editIds.length === 0) return false
    const job = await notices.guard('Could not apply the selection', api['jobs.applySelection']({ experimentId, editIds }))
    if (!job) return false
    jobs.track(job)
    clearSelection()
    return true
  }

  /** Queues rolled-back or failed edits again, as new edits at the end of the queue. */
  async function requeue(ids: number[]): Promise<boolean> {
    const r = await notices.guard(ids.length === 1 ? `Could not queue edit #${ids[0]} again` : `Could not queue ${ids.length} edits again`, api['edits.requeue']({ ids }))
    if (!r) return false
    notices.info(`Queued again: ${r.ids.length.toLocaleString()} ${r.ids.length === 1 ? 'edit' : 'edits'}`, 'They are at the end of the queue; the originals stay in the history.')
    const gone = new Set(ids)
    selected.value = new Set([...selected.value].filter((id) => !gone.has(id)))
    await load()
    return true
  }

  api.onEvent((e) => {
    if ((e.type === 'edits.changed' || e.type === 'batches.changed') && e.experimentId === statusStore.experimentId) void load()
    if (e.type === 'job.finished') void load()
  })
  watch(() => statusStore.experimentId, () => void load())

  return {
    rows, loading, batchSize, filter, search, health, counts, visible, focused, load, add, update, remove, preview,
    importFile, apply, focus, selected, toggle, selectFiltered, clearSelection, applicable, requeueable, applySelection,
    requeue, flags
  }
})
