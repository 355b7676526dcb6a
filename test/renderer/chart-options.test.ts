// @vitest-environment happy-dom
// What the small charts ask ECharts for (happy-dom has no canvas; the e2e walkthrough screenshots the result): the job
// bar's loss chart fits its 48 px (its axis names overlapped the labels), and metric curves count edits in whole numbers.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { EChartsOption } from 'echarts'
import ChartFrame from '../../src-renderer/components/ChartFrame.vue'
import LossChart from '../../src-renderer/components/LossChart.vue'
import MetricChart from '../../src-renderer/components/MetricChart.vue'

type Axis = { name?: string; min?: number; max?: number; interval?: number; minInterval?: number }
const optionOf = (w: ReturnType<typeof mount>): EChartsOption => w.findComponent(ChartFrame).props('option') as EChartsOption

describe('job bar loss chart', () => {
  it('labels the log axis at its two ends only (decades around the data) and names the axes in a caption, not in the plot', () => {
    const w = mount(LossChart, { props: { values: [3.2, 0.9, 0.05, 0.017] }, global: { stubs: { ChartFrame: true } } })
    const o = optionOf(w)
    const y = o.yAxis as Axis
    const x = o.xAxis as Axis
    expect([y.min, y.max, y.interval]).toEqual([-2, 1, 3])
    expect(y.name).toBeUndefined()
    expect(x.name).toBeUndefined()
    expect(w.get('figcaption').text()).toBe('loss (log scale) · progress report')
    const data = (o.series as Array<{ data: number[] }>)[0].data
    expect(data.map((v) => Number((10 ** v).toFixed(3)))).toEqual([3.2, 0.9, 0.05, 0.017])
  })
})

describe('metric chart', () => {
  it('ticks edits applied in whole numbers', () => {
    const w = mount(MetricChart, {
      props: { metric: 'reliability', title: 'Reliability', yName: 'exact match', percent: true, lines: [{ experiment: 'a', points: [{ batchId: 1, editCount: 3, value: 1 }] }] },
      global: { stubs: { ChartFrame: true } }
    })
    expect((optionOf(w).xAxis as Axis).minInterval).toBe(1)
  })
})
