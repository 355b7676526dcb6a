// @vitest-environment happy-dom
// The runs table and the metrics view against the in-memory ElderApi: sorting, filtering, archiving, picking runs to
// compare, the config diff, the exact-match / token-accuracy series each chart is given, and the header's health count.
import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import type { ExperimentView } from '../../src-preload/contract'
import MetricChart from '../../src-renderer/components/MetricChart.vue'
import MetricsPanel from '../../src-renderer/components/MetricsPanel.vue'
import RunsTable from '../../src-renderer/components/RunsTable.vue'
import TheFrame from '../../src-renderer/components/TheFrame.vue'
import { useExperimentsStore } from '../../src-renderer/stores/experiments'
import { useStatusStore } from '../../src-renderer/stores/status'
import { fakeApi } from './fake-api'
import { mountWith } from './setup'

afterEach(() => {
  document.body.innerHTML = ''
})

function withRuns() {
  const fake = fakeApi()
  const base = fake.state.experiments[0]
  const run = (id: number, over: Partial<ExperimentView>): ExperimentView => ({ ...structuredClone(base), id, createdAt: id, ...over })
  fake.state.experiments = [
    run(1, { name: 'default', latest: { reliability: { editCount: 20, value: 0.5 } } }),
    run(2, { name: 'grace run', method: 'grace', preset: 'grace', settings: { lr: 1, maxSteps: 100 }, latest: { reliability: { editCount: 20, value: 0.9 } } }),
    run(3, { name: 'parked', archived: true, tags: ['old'] })
  ]
  fake.state.series = {
    '1': { reliability: [{ batchId: 1, editCount: 20, value: 0.5 }], reliability_token_accuracy: [{ batchId: 1, editCount: 20, value: 0.75 }] },
    '2': { reliability: [{ batchId: 2, editCount: 10, value: 1 }, { batchId: 3, editCount: 20, value: 0.9 }] }
  }
  return fake
}

const names = (w: Awaited<ReturnType<typeof mountWith>>): string[] => w.findAll('[data-test=run-row]').map((r) => r.attributes('data-run-name')!)

describe('RunsTable', () => {
  it('sorts by a column, filters by words, hides archived runs unless asked, archives', async () => {
    const fake = withRuns()
    const w = await mountWith(RunsTable, fake)
    expect(names(w)).toEqual(['grace run', 'default']) // newest first; 'parked' is archived
    await w.get('[data-test=runs-sort-reliability]').trigger('click')
    expect(names(w)).toEqual(['grace run', 'default'])
    await w.get('[data-test=runs-sort-reliability]').trigger('click')
    expect(names(w)).toEqual(['default', 'grace run'])
    await w.get('[data-test=runs-filter]').setValue('grace')
    expect(names(w)).toEqual(['grace run'])
    await w.get('[data-test=runs-filter]').setValue('')
    await w.get('[data-test=runs-show-archived]').setValue(true)
    expect(names(w)).toContain('parked')
    await w.get('[data-run-name="default"] [data-test=run-archive]').trigger('click')
    await flushPromises()
    expect(fake.callsOf('experiments.update')).toEqual([{ id: 1, archived: true }])
    await w.get('[data-test=runs-show-archived]').setValue(false)
    expect(names(w)).toEqual(['grace run'])
  })

  it('Compare hands the picked runs to the metrics view', async () => {
    const w = await mountWith(RunsTable, withRuns())
    await w.get('[data-run-name="default"] [data-test=run-pick]').setValue(true)
    await w.get('[data-run-name="grace run"] [data-test=run-pick]').setValue(true)
    await w.get('[data-test=runs-compare]').trigger('click')
    expect(useExperimentsStore().compareIds).toEqual([1, 2])
    expect(w.emitted('compare')).toHaveLength(1)
  })
})

describe('MetricsPanel', () => {
  it('overlays the compared runs per metric, switches to token accuracy, and lists only the differing settings', async () => {
    const fake = withRuns()
    // The chart canvas itself is ECharts' business (drawn and read back in the Chromium e2e); happy-dom has no canvas.
    const w = await mountWith(MetricsPanel, fake, { global: { stubs: { ChartFrame: true } } })
    const store = useExperimentsStore()
    await store.load()
    store.compareIds = [1, 2]
    await flushPromises()
    const reliability = () => w.findAllComponents(MetricChart).find((c) => c.props('metric').startsWith('reliability'))!
    expect(reliability().props('lines')).toEqual([
      { experiment: 'default', points: fake.state.series['1'].reliability },
      { experiment: 'grace run', points: fake.state.series['2'].reliability }
    ])
    await w.get('[data-test=measure-token]').trigger('click')
    expect(reliability().props('metric')).toBe('reliability_token_accuracy')
    expect(reliability().props('lines')[0].points).toEqual(fake.state.series['1'].reliability_token_accuracy)
    const diff = w.findAll('[data-test=diff-row]').map((r) => r.findAll('td').map((td) => td.text()))
    expect(diff).toEqual([['lr', '—', '1'], ['maxSteps', '—', '100'], ['method', '"elder"', '"grace"'], ['numExperts', '4', '—']])
  })
})

describe('TheFrame', () => {
  it('counts the edits that hold once the experiment has been evaluated', async () => {
    const fake = fakeApi()
    fake.state.status.experiment!.health = { holds: 812, checked: 820 }
    const w = await mountWith(TheFrame, fake)
    await useStatusStore().refresh()
    await flushPromises()
    expect(w.get('[data-test=frame-health]').text()).toContain('812 / 820 edits hold')
  })
})
