// The running apply job, batch by batch, for the metrics view: loss at each training step of the current batch, and
// seconds per edit of each batch this job has finished. Built from job.progress events: a batch starts with the
// service's forced "batch N: …" message, and ends when the job's editsDone moves past where it started.
import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import type { JobView } from '../../src-preload/contract'
import { useApi } from '../api'

export const useRunningBatchStore = defineStore('runningBatch', () => {
  const api = useApi()
  /** [step, loss] of the current (or last) batch, replaced per event so charts see a new array. */
  const lossBySteps = shallowRef<Array<[number, number]>>([])
  /** [edits done in the job, s/edit] of each finished batch of the job. */
  const secondsPerEdit = shallowRef<Array<[number, number]>>([])
  const batchLabel = shallowRef<string | null>(null)

  let jobId: number | null = null
  let message: string | null = null
  let batchStart = 0
  let editsAtStart = 0
  let open = false

  function seen(j: JobView, now: number): void {
    if (j.kind !== 'apply' && j.kind !== 'replay') return
    if (j.id !== jobId) {
      jobId = j.id
      secondsPerEdit.value = []
      lossBySteps.value = []
      open = false
    }
    if (open && j.editsDone > editsAtStart) {
      secondsPerEdit.value = [...secondsPerEdit.value, [j.editsDone, (now - batchStart) / 1000 / (j.editsDone - editsAtStart)]]
      open = false
    }
    if (j.message !== message && j.message?.startsWith('batch ')) {
      batchLabel.value = j.message
      lossBySteps.value = []
      batchStart = now
      editsAtStart = j.editsDone
      open = true
    }
    message = j.message
    if (open && j.step > 0 && j.loss !== null && Number.isFinite(j.loss)) {
      const last = lossBySteps.value.at(-1)
      if (!last || last[0] !== j.step) lossBySteps.value = [...lossBySteps.value, [j.step, j.loss]]
    }
  }

  api.onEvent((e) => {
    if (e.type === 'job.progress' || e.type === 'job.finished') seen(e.job, performance.now())
  })

  return { lossBySteps, secondsPerEdit, batchLabel, seen }
})
