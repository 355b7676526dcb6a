// Scope tuning and the allocation map of the current experiment: the scope distances (fetched once per change of
// the adapter), the threshold being dragged and what it does, applying it, and the map's vectors.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { ScopeDistancesView, ScopeMapView } from '../../src-preload/contract'
import { useApi } from '../api'
import { coalesce } from '../coalesce'
import { tradeoffAt } from '../scope-tradeoff'
import { useJobsStore } from './jobs'
import { useNoticesStore } from './notices'
import { useStatusStore } from './status'

export const useScopeStore = defineStore('scope', () => {
  const api = useApi()
  const notices = useNoticesStore()
  const statusStore = useStatusStore()
  const jobs = useJobsStore()

  /** The distances of edit prompts, rephrases and unrelated inputs; null until loaded. */
  const distances = shallowRef<ScopeDistancesView | null>(null)
  /** The threshold the line is at (dragged or typed); the experiment's own until moved. */
  const threshold = ref<number | null>(null)
  const loading = ref(false)
  const applying = ref(false)
  /** The map's vectors; laid out in 2-D by the component's worker. */
  const map = shallowRef<ScopeMapView | null>(null)
  const mapLoading = ref(false)

  /** What the threshold does, counted from the same distances (scope-tradeoff.ts). */
  const tradeoff = computed(() => (distances.value && threshold.value !== null ? tradeoffAt(distances.value, threshold.value) : null))
  const moved = computed(() => distances.value !== null && threshold.value !== distances.value.threshold)

  /** The distances were asked for (the tab was opened): they follow the adapter from then on, even if a job held the engine then. */
  let wanted = false

  const load = coalesce(async () => {
    wanted = true
    const experimentId = statusStore.experimentId
    if (experimentId === null || jobs.active) return
    loading.value = true
    try {
      const d = await notices.guard('Could not compute the scope distances', api['scope.distances']({ experimentId }))
      // Another experiment made active meanwhile: these are the old one's (the switch asks for the new ones).
      if (d && statusStore.experimentId === experimentId) {
        distances.value = d
        threshold.value = d.threshold
      }
    } finally {
      loading.value = false
    }
  })

  const loadMap = coalesce(async () => {
    const experimentId = statusStore.experimentId
    if (experimentId === null || jobs.active) return
    mapLoading.value = true
    try {
      const m = await notices.guard('Could not compute the allocation map', api['scope.map']({ experimentId }))
      if (m && statusStore.experimentId === experimentId) map.value = m
    } finally {
      mapLoading.value = false
    }
  })

  /** Saves the line's threshold to the experiment (a recorded config change); the next evaluation uses it. */
  async function apply(): Promise<boolean> {
    const experimentId = statusStore.experimentId
    const t = threshold.value
    if (experimentId === null || t === null || !distances.value?.field) return false
    applying.value = true
    try {
      const exp = await notices.guard('Could not apply the threshold', api['scope.applyThreshold']({ experimentId, threshold: t }))
      if (!exp) return false
      notices.info('Threshold applied', `${distances.value.field} = ${t} in experiment “${exp.name}”; the next evaluation uses it`)
      distances.value = { ...distances.value, threshold: t }
      await statusStore.refresh()
      return true
    } finally {
      applying.value = false
    }
  }

  // The distances move with the adapter: refresh what was already shown when it changes.
  api.onEvent((e) => {
    if (e.type === 'job.finished' || (e.type === 'batches.changed' && e.experimentId === statusStore.experimentId)) {
      if (wanted) void load()
      if (map.value) void loadMap()
    }
  })
  // Another experiment: its distances, asked for at once if the tab was opened (it loads only when it mounts). A
  // load of the old experiment still in flight is dropped when it lands (after a job it was refreshing them).
  watch(() => statusStore.experimentId, () => {
    distances.value = null
    map.value = null
    if (wanted) void load()
  })

  return { distances, threshold, tradeoff, moved, loading, applying, map, mapLoading, load, loadMap, apply }
})
