// The one place ECharts modules are registered: only the chart types and components the workbench draws, so the
// renderer bundle carries no unused chart code. Add a type here before a component uses it.
import { BarChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts'
import {
  DataZoomComponent,
  GraphicComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapComponent
} from 'echarts/components'
import { getInstanceByDom, use } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'

use([
  LineChart,
  BarChart,
  ScatterChart,
  HeatmapChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  DataZoomComponent,
  GraphicComponent,
  MarkLineComponent,
  TitleComponent,
  VisualMapComponent,
  CanvasRenderer
])

/**
 * What a chart draws, readable from outside the bundle: the end-to-end tests (and devtools) call
 * `window.echarts.getInstanceByDom(el).getOption()` to compare a chart's series with the service's stored values.
 */
declare global {
  interface Window {
    echarts?: { getInstanceByDom: typeof getInstanceByDom }
  }
}
if (typeof window !== 'undefined') window.echarts = { getInstanceByDom }
