// @vitest-environment happy-dom
// What the merge of issues 13–15 got wrong between panels: the probe kept the old experiment's answer after another
// was made active, and the metrics view showed the last apply job's loss curve during an evaluation.
import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import type { ExperimentView } from '../../src-preload/contract'
import ChartFrame from '../../src-renderer/components/ChartFrame.vue'
import JobBar from '../../src-renderer/components/JobBar.vue'
import ProbePanel from '../../src-renderer/components/ProbePanel.vue'
import RunningBatch from '../../src-renderer/components/RunningBatch.vue'
import ScopeTuning from '../../src-renderer/components/ScopeTuning.vue'
import { useJobsStore } from '../../src-renderer/stores/jobs'
import { useRunningBatchStore } from '../../src-renderer/stores/running-batch'
import { useScopeStore } from '../../src-renderer/stores/scope'
import { useStatusStore } from '../../src-renderer/stores/status'
import { fakeApi, jobView } from './fake-api'
import { mountWith, storeContext } from './setup'

afterEach(() => {
  document.body.innerHTML = ''
})

describe('probe after switching the active experiment', () => {
  it('drops the old answer and asks the same prompt of the new experiment, as typed text', async () => {
    const fake = fakeApi({ edits: 1 })
    fake.state.edits[0].status = 'applied'
    const w = await mountWith(ProbePanel, fake)
    const status = useStatusStore()
    await status.refresh()
    const first = status.experimentId!
    await w.get('[data-test=probe-prompt]').setValue(fake.state.edits[0].prompt)
    await w.get('[data-test=probe-run]').trigger('click')
    await flushPromises()
    expect(w.get('[data-test=probe-deferred]').text()).toBe('In edit scope')

    // The other experiment has applied nothing: its probe answers from the base model.
    fake.state.edits[0].status = 'queued'
    const other: ExperimentView = { ...structuredClone(status.status!.experiment!), id: first + 1, name: 'other' }
    status.status = { ...status.status!, experiment: other }
    await flushPromises()
    const asked = fake.callsOf('probe') as Array<{ experimentId: number; prompts: string[] }>
    expect(asked.map((r) => r.experimentId)).toEqual([first, first + 1])
    expect(asked[1].prompts).toEqual([fake.state.edits[0].prompt])
    expect(w.get('[data-test=probe-deferred]').text()).toBe('Deferred to the base model')
    expect(w.findAll('[data-test=probe-nearest]')).toHaveLength(0)
  })
})

describe('running batch in the metrics view', () => {
  it('shows an apply job’s curves while it runs, not during the evaluation that follows', async () => {
    const w = await mountWith(RunningBatch, fakeApi(), { global: { stubs: { ChartFrame: true } } })
    const rb = useRunningBatchStore()
    const jobs = useJobsStore()
    const apply = jobView({ id: 1, kind: 'apply', state: 'running', step: 1, loss: 2, message: 'batch 1: 1 edit(s)' })
    rb.seen(apply, 0)
    rb.seen({ ...apply, step: 2, loss: 1 }, 10)
    jobs.track(apply)
    await flushPromises()
    expect(w.find('[data-test=running-batch]').exists()).toBe(true)
    jobs.track(jobView({ id: 2, kind: 'evaluate', state: 'running', step: 1, loss: null, message: null }))
    await flushPromises()
    expect(rb.lossBySteps).toHaveLength(2) // the store keeps them; the view must not show them as this job's
    expect(w.find('[data-test=running-batch]').exists()).toBe(false)
  })
})

describe('job bar after switching the active experiment', () => {
  it('keeps a running job of any experiment, but not the other experiment’s finished one', async () => {
    const w = await mountWith(JobBar, fakeApi(), { global: { stubs: { ChartFrame: true } } })
    const status = useStatusStore()
    await status.refresh()
    const first = status.experimentId!
    const jobs = useJobsStore()
    jobs.track(jobView({ id: 1, experimentId: first, state: 'done', message: 'at 3 edit(s): reliability 100.0%' }))
    await flushPromises()
    expect(w.get('[data-test=job-state]').text()).toBe('Done')
    status.status = { ...status.status!, experiment: { ...structuredClone(status.status!.experiment!), id: first + 1 } }
    await flushPromises()
    expect(w.find('[data-test=job-state]').exists()).toBe(false)
    expect(w.text()).toContain('No job running')
    jobs.track(jobView({ id: 2, experimentId: first, state: 'running' }))
    await flushPromises()
    expect(w.get('[data-test=job-state]').text()).toBe('Running')
  })
})

describe('scope tuning for a method without one threshold, before any edit', () => {
  it('draws no threshold line to drag and says no edit is applied yet', async () => {
    const fake = fakeApi()
    fake.state.scope = { measure: 'key-euclidean', field: null, threshold: null, note: null, groups: { edit: [], rephrase: [null, null], unrelated: [null, null, null] } }
    const w = await mountWith(ScopeTuning, fake, { global: { stubs: { ChartFrame: true } } })
    await useStatusStore().refresh()
    await useScopeStore().load()
    await flushPromises()
    const option = w.findComponent(ChartFrame).props('option') as { graphic: unknown[]; series: Array<{ markLine?: unknown }> }
    expect(option.graphic).toEqual([])
    expect(option.series.every((x) => x.markLine === undefined)).toBe(true)
    expect(w.get('[data-test=scope-no-edits]').text()).toBe('No edit is applied in this experiment yet: every input is deferred to the base model.')
  })
})

describe('scope distances across a switch of the active experiment', () => {
  it('drops the old experiment’s distances landing after the switch and loads the new one’s', async () => {
    const fake = fakeApi()
    storeContext(fake)
    const status = useStatusStore()
    await status.refresh()
    const first = status.experimentId!
    const scope = useScopeStore()
    const old = fake.state.scope
    // A refresh of the old experiment (as after a job) is in flight when the analyst opens another experiment.
    const inFlight = scope.load()
    fake.state.scope = { ...old, measure: 'key-euclidean', field: null, threshold: null, groups: { edit: [], rephrase: [], unrelated: [null] } }
    status.status = { ...status.status!, experiment: { ...structuredClone(status.status!.experiment!), id: first + 1 } }
    await inFlight
    await flushPromises()
    expect((fake.callsOf('scope.distances') as Array<{ experimentId: number }>).map((r) => r.experimentId)).toEqual([first, first + 1])
    expect(scope.distances?.measure).toBe('key-euclidean')
  })
})
