// Probe: one prompt through the base model and the edited one. The answer is re-asked whenever the adapter
// changes (a job finished; a batch reverted, disabled or enabled), so the panel does not keep a stale answer.
import { defineStore } from 'pinia'
import { ref, shallowRef, watch } from 'vue'
import type { EditProbeView, ProbeResult, Result } from '../../src-preload/contract'
import { useApi } from '../api'
import { coalesce } from '../coalesce'
import { useJobsStore } from './jobs'
import { useNoticesStore } from './notices'
import { useStatusStore } from './status'

export const useProbeStore = defineStore('probe', () => {
  const api = useApi()
  const notices = useNoticesStore()
  const statusStore = useStatusStore()
  const jobs = useJobsStore()

  const prompt = ref('')
  /** The answer to `asked`, which may differ from what is being typed in `prompt`. */
  const result = shallowRef<ProbeResult | null>(null)
  const asked = ref('')
  const loading = ref(false)

  /** Set when the probe is of a queue row: whether that edit holds, and its rephrases' results. */
  const editProbe = shallowRef<EditProbeView | null>(null)
  /** The queue row being probed (null: a typed prompt). */
  const editId = ref<number | null>(null)
  /** A job held the engine when the probe asked: it asks again when the job ends, instead of failing. */
  const waiting = ref(false)

  const ask = coalesce(async () => {
    const experimentId = statusStore.experimentId
    const text = asked.value.trim()
    if (experimentId === null || text === '') return
    loading.value = true
    try {
      const id = editId.value
      if (id !== null) {
        const v = await notices.guard('The probe failed', settleBusy(api['probe.edit']({ experimentId, editId: id })))
        if (v === 'busy') waiting.value = true
        else if (v && editId.value === id) {
          waiting.value = false
          editProbe.value = v
          result.value = v.result
        }
        return
      }
      const r = await notices.guard('The probe failed', settleBusy(api.probe({ experimentId, prompts: [text] })))
      if (r === 'busy') waiting.value = true
      else if (r && editId.value === null) {
        waiting.value = false
        editProbe.value = null
        result.value = r[0] ?? null
      }
    } finally {
      loading.value = false
    }
  })

  /** 'busy' is not a failure of the probe: the engine is training (issue 13: a rollback's replay showed an error). */
  async function settleBusy<T>(call: Promise<Result<T>>): Promise<Result<T | 'busy'>> {
    const r = await call
    return !r.ok && r.error.code === 'busy' ? { ok: true, value: 'busy' } : r
  }

  /** Probes `text` (default: the prompt field). */
  async function run(text: string = prompt.value): Promise<void> {
    prompt.value = text
    asked.value = text
    editId.value = null
    await ask()
  }

  /** Probes a queue row: its prompt, whether the edit holds, and its rephrases. */
  async function runEdit(row: { id: number; prompt: string }): Promise<void> {
    prompt.value = row.prompt
    asked.value = row.prompt
    editId.value = row.id
    await ask()
  }

  // While a job trains, the engine is busy (probe would answer `busy`) and the adapter is in flux: wait for the
  // job to finish. Rollbacks that are not jobs (revert to, disable, enable) show up as batches.changed.
  api.onEvent((e) => {
    if (!result.value && !waiting.value) return
    if (e.type === 'job.finished') void ask()
    else if (e.type === 'batches.changed' && e.experimentId === statusStore.experimentId && !jobs.active) void ask()
  })

  // Another experiment made active: the answer, the nearest edits and the experts shown were the old adapter's. The
  // prompt is asked again of the new one as typed text (a queue row's id belongs to the old experiment's list).
  watch(
    () => statusStore.experimentId,
    (id, before) => {
      if (id === before || (!result.value && !waiting.value)) return
      editId.value = null
      editProbe.value = null
      result.value = null
      void ask()
    }
  )

  return { prompt, result, editProbe, asked, loading, waiting, run, runEdit }
})
