// The frame's facts: model, backend, workspace, current experiment. Refreshed when batches or edits change,
// because the experiment's status counts move with them.
import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import type { StatusView } from '../../src-preload/contract'
import { useApi } from '../api'
import { coalesce } from '../coalesce'
import { useNoticesStore } from './notices'

export const useStatusStore = defineStore('status', () => {
  const api = useApi()
  const notices = useNoticesStore()
  /** Last app.status answer; null until the first one arrives. */
  const status = shallowRef<StatusView | null>(null)
  const experimentId = computed(() => status.value?.experiment?.id ?? null)

  const refresh = coalesce(async () => {
    const s = await notices.guard('Could not read the workspace status', api['app.status']({}))
    if (s) status.value = s
  })

  api.onEvent((e) => {
    if (e.type === 'batches.changed' || e.type === 'edits.changed' || e.type === 'job.finished') void refresh()
  })

  return { status, experimentId, refresh }
})
