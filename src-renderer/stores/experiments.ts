// Experiment tracking: every experiment of the workspace (the runs table), the ones picked for comparison, and their
// metric series. Series can be long (an evaluation every few edits over thousands of edits), so they live in a
// shallowRef and are replaced whole, never made deeply reactive.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { ExperimentView, MetricPointView, ModelView, Req } from '../../src-preload/contract'
import { useApi } from '../api'
import { coalesce } from '../coalesce'
import { SERIES_NAMES } from '../tracking/table'
import { useNoticesStore } from './notices'
import { useStatusStore } from './status'

/** metrics.series' limit on experiments per request. */
const MAX_COMPARED = 20

export type SeriesByExperiment = Record<string, Record<string, MetricPointView[]>>

export const useExperimentsStore = defineStore('experiments', () => {
  const api = useApi()
  const notices = useNoticesStore()
  const status = useStatusStore()

  /** Every experiment, newest first (archived ones included; the table hides them unless asked). */
  const list = shallowRef<ExperimentView[]>([])
  const models = shallowRef<ModelView[]>([])
  /** Experiments picked for the compare view; empty = the active experiment alone. */
  const compareIds = ref<number[]>([])
  /** Series of the shown experiments by experiment id, then metric name. */
  const series = shallowRef<SeriesByExperiment>({})

  /** What the metrics view shows: the picked experiments, else the active one. */
  const shownIds = computed(() => {
    const picked = compareIds.value.filter((id) => list.value.some((e) => e.id === id))
    if (picked.length > 0) return picked.slice(0, MAX_COMPARED)
    return status.experimentId === null ? [] : [status.experimentId]
  })
  const shown = computed(() => shownIds.value.map((id) => list.value.find((e) => e.id === id)).filter((e): e is ExperimentView => e !== undefined))

  const load = coalesce(async () => {
    const [exps, ms] = await Promise.all([
      notices.guard('Could not list the experiments', api['experiments.list']({})),
      notices.guard('Could not list the models', api['models.list']({}))
    ])
    if (exps) list.value = exps
    if (ms) models.value = ms
  })

  const loadSeries = coalesce(async () => {
    const ids = shownIds.value
    if (ids.length === 0) {
      series.value = {}
      return
    }
    const r = await notices.guard('Could not load the metric series', api['metrics.series']({ experimentIds: ids, names: SERIES_NAMES }))
    if (r) series.value = r
  })

  async function create(req: Req<'experiments.create'>): Promise<ExperimentView | undefined> {
    const e = await notices.guard(`Could not create experiment "${req.name}"`, api['experiments.create'](req))
    if (e) await load()
    return e
  }

  async function clone(req: Req<'experiments.clone'>): Promise<ExperimentView | undefined> {
    const e = await notices.guard('Could not clone the experiment', api['experiments.clone'](req))
    if (e) await load()
    return e
  }

  async function update(req: Req<'experiments.update'>): Promise<boolean> {
    const e = await notices.guard('Could not update the experiment', api['experiments.update'](req))
    if (e) list.value = list.value.map((x) => (x.id === e.id ? e : x))
    return e !== undefined
  }

  /** Makes `id` the workspace's active experiment: the queue, history, probe and header follow it. */
  async function activate(id: number): Promise<void> {
    const s = await notices.guard('Could not switch the experiment', api['experiments.select']({ id }))
    if (s) status.status = s
  }

  api.onEvent((e) => {
    if (e.type === 'metrics.changed' || e.type === 'batches.changed' || e.type === 'job.finished') {
      void load()
      if (shownIds.value.includes(e.type === 'job.finished' ? e.job.experimentId : e.experimentId)) void loadSeries()
    }
  })
  watch(shownIds, () => void loadSeries(), { deep: true })

  return { list, models, compareIds, series, shownIds, shown, load, loadSeries, create, clone, update, activate }
})
