// @vitest-environment happy-dom
// Scope tuning in the renderer: the live numbers follow the threshold, counted from the distances exactly as the
// service's trade-off counts; applying saves the threshold; the map's layout is seeded and reports progress.
import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { layout } from '../../src-renderer/charts/umap-layout'
import ScopeTuning from '../../src-renderer/components/ScopeTuning.vue'
import { tradeoffAt } from '../../src-renderer/scope-tradeoff'
import { useScopeStore } from '../../src-renderer/stores/scope'
import { useStatusStore } from '../../src-renderer/stores/status'
import { fakeApi } from './fake-api'
import { mountWith } from './setup'

afterEach(() => {
  document.body.innerHTML = ''
})

describe('scope tuning', () => {
  it('counts in scope as distance < threshold, no distance as deferred', () => {
    const d = fakeApi().state.scope
    expect(tradeoffAt(d, 0.07)).toEqual({ threshold: 0.07, inScope: { edit: 2, rephrase: 1, unrelated: 1 }, total: { edit: 2, rephrase: 4, unrelated: 5 } })
    expect(tradeoffAt(d, 0.09).inScope.rephrase).toBe(2)
    expect(tradeoffAt(d, 10).inScope.unrelated).toBe(4)
  })

  it('shows the trade-off at the threshold, follows a typed threshold, and applies it', async () => {
    const fake = fakeApi()
    const w = await mountWith(ScopeTuning, fake, { global: { stubs: { ChartFrame: true } } })
    await useStatusStore().refresh()
    await useScopeStore().load()
    await flushPromises()
    expect(w.get('[data-test=scope-rephrase-in]').text()).toMatch(/Rephrases in scope 50\.0%\s*\(2 \/ 4\)/)
    expect(w.get('[data-test=scope-unrelated-deferred]').text()).toMatch(/Unrelated deferred 80\.0%\s*\(4 \/ 5\)/)
    expect(w.get('[data-test=scope-apply]').attributes('disabled')).toBeDefined()
    const input = w.get('[data-test=scope-threshold]')
    await input.setValue('0.25')
    await input.trigger('change')
    const served = await fake.api['scope.tradeoff']({ experimentId: 1, threshold: 0.25 })
    if (!served.ok) throw new Error(served.error.message)
    expect(w.get('[data-test=scope-rephrase-in]').attributes('data-n')).toBe(String(served.value.inScope.rephrase))
    expect(w.get('[data-test=scope-unrelated-deferred]').attributes('data-n')).toBe(String(served.value.total.unrelated - served.value.inScope.unrelated))
    await w.get('[data-test=scope-apply]').trigger('click')
    await flushPromises()
    expect(fake.callsOf('scope.applyThreshold')).toEqual([{ experimentId: 1, threshold: 0.25 }])
    expect(w.get('[data-test=scope-apply]').attributes('disabled')).toBeDefined()
  })
})

describe('allocation map layout', () => {
  const vectors = Array.from({ length: 40 }, (_, i) => Array.from({ length: 8 }, (_, j) => Math.sin(i * 0.7 + j) + (i < 20 ? 3 : 0)))

  it('is the same for the same seed, reports progress to the last epoch, and separates two clusters', () => {
    const seen: number[] = []
    const a = layout(vectors, 7, (done, total) => seen.push(done / total))
    const b = layout(vectors, 7)
    expect(a).toEqual(b)
    expect(a).toHaveLength(40)
    expect(seen.at(-1)).toBe(1)
    expect(seen).toEqual([...seen].sort((x, y) => x - y))
    const centre = (pts: number[][]) => [0, 1].map((k) => pts.reduce((s, p) => s + p[k], 0) / pts.length)
    const [c1, c2] = [centre(a.slice(0, 20)), centre(a.slice(20))]
    const spread = Math.max(...a.slice(0, 20).map((p) => Math.hypot(p[0] - c1[0], p[1] - c1[1])))
    expect(Math.hypot(c1[0] - c2[0], c1[1] - c2[1])).toBeGreaterThan(spread)
  })
})
