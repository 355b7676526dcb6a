// The running (or last finished) job and its loss curve, fed by job.progress / job.finished events.
import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import type { JobView } from '../../src-preload/contract'
import { useApi } from '../api'
import { useNoticesStore } from './notices'

const ACTIVE: ReadonlyArray<JobView['state']> = ['queued', 'running']

export const useJobsStore = defineStore('jobs', () => {
  const api = useApi()
  const notices = useNoticesStore()
  /** The job shown in the job bar: the running one, else the last one that finished. */
  const job = shallowRef<JobView | null>(null)
  /** Loss per progress report of the shown job, in arrival order (x = report index). */
  const losses = shallowRef<number[]>([])
  const active = computed(() => job.value !== null && ACTIVE.includes(job.value.state))

  function track(next: JobView): void {
    // A job's own start answer can arrive after its job.finished event (a short job over a slow link): never let
    // a stale active view overwrite a final one.
    if (job.value?.id === next.id && !ACTIVE.includes(job.value.state) && ACTIVE.includes(next.state)) return
    if (job.value?.id !== next.id) losses.value = []
    job.value = next
    if (next.loss !== null && Number.isFinite(next.loss)) losses.value = [...losses.value, next.loss]
  }

  async function refresh(): Promise<void> {
    const current = await notices.guard('Could not read the current job', api['jobs.current']({}))
    if (current) track(current)
  }

  async function cancel(): Promise<void> {
    const j = job.value
    if (!j || !ACTIVE.includes(j.state)) return
    const r = await notices.guard(`Could not cancel job #${j.id}`, api['jobs.cancel']({ jobId: j.id }))
    if (r && !r.cancelled) notices.info(`Job #${j.id} had already finished`)
  }

  api.onEvent((e) => {
    if (e.type === 'job.progress') track(e.job)
    if (e.type === 'job.finished') {
      track(e.job)
      if (e.job.state === 'failed') {
        notices.report(`The ${e.job.kind} job #${e.job.id} failed`, { code: 'engine', message: e.job.message ?? 'no message from the engine' })
      }
    }
  })

  return { job, losses, active, track, refresh, cancel }
})
