// Issue 15 end to end (and issue 13 bug 4): `elder serve` on a fresh workspace with the embedded tiny-world model,
// three edits applied, driven through Chromium. The probe says why a prompt is deferred or in scope; a prompt of a
// disabled batch says "deferred: batch N disabled"; dragging the threshold line changes the trade-off numbers to
// what the service computes for that threshold; the allocation map draws one point per input of each group.
// Screenshots go to test/artifacts/.
import type { Locator } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EditView, ScopeGroup } from '../../src-preload/contract'
import { serveInChromium, type Served } from './harness'

let s: Served
let experimentId: number
let applied: EditView[]

/** The series of the ECharts instance inside `chart` (ChartFrame puts it on its element as __echarts__). */
async function seriesOf(chart: Locator): Promise<Array<{ name: string; n: number }>> {
  return chart.evaluate((el: { querySelectorAll(s: string): ArrayLike<unknown> }) => {
    type Inst = { getOption(): { series: Array<{ name: string; data: unknown[] }> } }
    const all = [el, ...Array.from(el.querySelectorAll('*'))] as Array<{ __echarts__?: Inst }>
    const inst = all.find((x) => x.__echarts__)?.__echarts__
    if (!inst) throw new Error('no ECharts instance under the element')
    return inst.getOption().series.map((x) => ({ name: x.name, n: x.data.length }))
  })
}

const probe = async (prompt: string): Promise<void> => {
  await s.page.fill('[data-test=probe-prompt]', prompt)
  await s.page.click('[data-test=probe-run]')
  await expect.poll(() => s.page.locator('.asked').innerText(), { timeout: 60_000 }).toBe(prompt)
}

describe('probe, scope tuning and allocation map in Chromium', () => {
  beforeAll(async () => {
    s = await serveInChromium()
  })

  afterAll(async () => {
    await s?.close()
  })

  it('opens the workspace and applies three edits, one per batch', async () => {
    await s.page.goto(s.url)
    await expect.poll(() => s.page.locator('[data-test=tab-queue] .n').innerText(), { timeout: 60_000 }).toBe('50')
    experimentId = (await s.call('app.status', {})).experiment!.id
    // Three batches of one edit, started as a script would; the page follows the job.
    const job = await s.call('jobs.apply', { experimentId, batchSize: 1, batches: 3 })
    await expect.poll(() => s.page.locator('[data-test=job-state]').innerText(), { timeout: 170_000 }).toBe('Done')
    expect(job.kind).toBe('apply')
    applied = (await s.call('edits.list', { experimentId, status: 'applied' })).rows
    expect(applied).toHaveLength(3)
  }, 180_000)

  it('an unrelated prompt is deferred, and the probe says why', async () => {
    await probe(applied[0].locality[0].prompt)
    expect(await s.page.locator('[data-test=probe-deferred]').innerText()).toBe('Deferred to the base model')
    const reason = await s.page.locator('[data-test=probe-reason]').innerText()
    // The radius is 0.080, or 0.320 for an edit of the relation the prompt reads as (the relation gate).
    expect(reason).toMatch(/^(distance \d\.\d{3} ≥ threshold 0\.(080|320)|no stored edit passes the ((answer|subject|relation) gate( and )?)+; the nearest, edit #\d+, is at distance \d\.\d{3} ≥ threshold 0\.(080|320)|((answer|subject|relation) gate( and )?)+ failed for edit #\d+)/)
    // Three edits of three relations: the gate is on and names what the prompt reads as.
    expect(await s.page.locator('[data-test=probe-relation]').innerText()).toMatch(/^Nearest edited relation \w+$/)
    expect(await s.page.locator('[data-test=probe-allocation]').getAttribute('data-used')).toBe('0')
    await s.shot('15-01-probe-deferred')
  })

  it('an edited prompt is in scope: distance under the threshold, its edit linked, the experts used shown', async () => {
    await probe(applied[0].prompt)
    expect(await s.page.locator('[data-test=probe-deferred]').innerText()).toBe('In edit scope')
    expect(await s.page.locator('[data-test=probe-edited]').innerText()).toContain(applied[0].target)
    expect(await s.page.locator('[data-test=probe-reason]').innerText()).toMatch(
      new RegExp(`^distance 0\\.\\d{3} < threshold 0\\.320 \\(edit #${applied[0].id}\\)$`)
    )
    expect(await s.page.locator('[data-test=probe-relation]').innerText()).toBe(`Nearest edited relation ${applied[0].relation}`)
    const used = Number(await s.page.locator('[data-test=probe-allocation]').getAttribute('data-used'))
    expect(used).toBeGreaterThan(0)
    await s.shot('15-02-probe-in-scope')
  })

  it('issue 13 bug 4: after disabling batch 2, its prompt shows "Deferred to the base model — batch 2 disabled"', async () => {
    await s.page.click('[data-test=tab-history]')
    const card = s.page.locator('[data-test=batch]').filter({ hasText: 'Batch 2' })
    await card.locator('[data-test=batch-disable]').click()
    await s.page.click('[data-test=confirm-ok]')
    await expect.poll(() => card.locator('[data-test=batch-state]').innerText(), { timeout: 60_000 }).toBe('Disabled')
    await probe(applied[1].prompt)
    await expect.poll(() => s.page.locator('[data-test=probe-reason]').innerText(), { timeout: 60_000 }).toBe('batch 2 disabled')
    expect(await s.page.locator('[data-test=probe-deferred]').innerText()).toBe('Deferred to the base model')
    await s.shot('15-03-probe-batch-disabled')
    await card.locator('[data-test=batch-enable]').click()
    await s.page.click('[data-test=confirm-ok]')
    await expect.poll(() => card.locator('[data-test=batch-state]').innerText(), { timeout: 60_000 }).toBe('Applied')
  })

  it('probing a queue row says the edit holds, lists its rephrases, and a nearest edit links to its row', async () => {
    await s.page.click('[data-test=tab-queue]')
    await s.page.locator(`[data-edit-id="${applied[0].id}"] [data-test=edit-probe]`).click()
    await expect.poll(() => s.page.locator('[data-test=probe-holds]').innerText(), { timeout: 60_000 }).toContain('Edit holds')
    expect(await s.page.locator('[data-test=probe-rephrase]').count()).toBe(applied[0].rephrases.length)
    await s.page.fill('[data-test=queue-search]', 'no such edit anywhere')
    await s.page.locator('[data-test=probe-nearest] button').first().click()
    await expect.poll(() => s.page.locator(`[data-edit-id="${applied[0].id}"]`).getAttribute('class')).toContain('focused')
    await s.shot('15-04-probe-queue-row')
  })

  it('dragging the threshold line changes the trade-off to what the service computes for that threshold', async () => {
    await s.page.click('[data-test=tab-scope]')
    const chart = s.page.locator('[data-test=scope-chart]')
    await expect.poll(() => s.page.locator('[data-test=scope-numbers]').count(), { timeout: 60_000 }).toBe(1)
    await expect.poll(async () => (await seriesOf(chart)).length).toBe(3)
    const numbers = s.page.locator('[data-test=scope-numbers]')
    const read = async () => ({
      threshold: Number(await numbers.getAttribute('data-threshold')),
      rephraseIn: Number(await s.page.locator('[data-test=scope-rephrase-in]').getAttribute('data-n')),
      unrelatedDeferred: Number(await s.page.locator('[data-test=scope-unrelated-deferred]').getAttribute('data-n'))
    })
    const before = await read()
    expect(before.threshold).toBe(0.08)
    await s.shot('15-05-scope-before-drag')
    // The handle's x (chart pixels) from the instance, then a drag of the line to the right, as a person would.
    const handleX = await chart.evaluate((el: { querySelectorAll(s: string): ArrayLike<unknown> }) => {
      type Inst = { getOption(): { graphic: Array<{ elements: Array<{ id: string; x: number }> }> } }
      const all = [el, ...Array.from(el.querySelectorAll('*'))] as Array<{ __echarts__?: Inst }>
      const inst = all.find((x) => x.__echarts__)!.__echarts__!
      return inst.getOption().graphic[0].elements.find((e) => e.id === 'threshold-handle')!.x
    })
    const box = (await chart.boundingBox())!
    const y = box.y + box.height / 2
    await s.page.mouse.move(box.x + handleX, y)
    await s.page.mouse.down()
    for (let dx = 20; dx <= 240; dx += 20) await s.page.mouse.move(box.x + handleX + dx, y)
    await s.page.mouse.up()
    const after = await read()
    expect(after.threshold).toBeGreaterThan(before.threshold)
    // No fewer rephrases in scope and no more unrelated inputs deferred at a wider threshold (the gates keep some
    // out at any threshold), and exactly the service's counts.
    expect(after.rephraseIn).toBeGreaterThanOrEqual(before.rephraseIn)
    expect(after.unrelatedDeferred).toBeLessThanOrEqual(before.unrelatedDeferred)
    const served = await s.call('scope.tradeoff', { experimentId, threshold: after.threshold })
    expect(after.rephraseIn).toBe(served.inScope.rephrase)
    expect(after.unrelatedDeferred).toBe(served.total.unrelated - served.inScope.unrelated)
    const atBefore = await s.call('scope.tradeoff', { experimentId, threshold: before.threshold })
    expect(before.rephraseIn).toBe(atBefore.inScope.rephrase)
    expect(before.unrelatedDeferred).toBe(atBefore.total.unrelated - atBefore.inScope.unrelated)
    await s.shot('15-06-scope-dragged')
    await s.page.click('[data-test=scope-apply]')
    await expect.poll(async () => (await s.call('app.status', {})).experiment!.config.queryRadius).toBe(after.threshold)
  })

  it('the allocation map draws one point per input of each group, laid out off the UI thread', async () => {
    const d = await s.call('scope.distances', { experimentId })
    // Record every value the map's progress bar shows (the layout can finish between two polls).
    await s.page.evaluate(`(() => {
      const seen = (window.__mapProgress = [])
      new MutationObserver(() => {
        const bar = document.querySelector('[data-test=map-progress]')
        if (bar) seen.push(Number(bar.getAttribute('aria-valuenow')))
      }).observe(document.body, { subtree: true, childList: true, attributes: true })
    })()`)
    await s.page.click('[data-test=map-compute]')
    const chart = s.page.locator('[data-test=map-scatter]')
    await expect.poll(() => chart.count(), { timeout: 120_000 }).toBe(1)
    await expect.poll(async () => (await seriesOf(chart)).length).toBe(3)
    const series = await seriesOf(chart)
    const names: Record<ScopeGroup, string> = { edit: 'Edit prompts', rephrase: 'Rephrases', unrelated: 'Unrelated' }
    expect(series).toEqual((['edit', 'rephrase', 'unrelated'] as const).map((g) => ({ name: names[g], n: d.groups[g].length })))
    expect(d.groups.edit).toHaveLength(3)
    const progress = (await s.page.evaluate('window.__mapProgress')) as number[]
    expect(progress.length, 'the progress bar showed').toBeGreaterThan(0)
    expect(progress).toEqual([...progress].sort((a, b) => a - b))
    const usage = await seriesOf(s.page.locator('[data-test=map-usage]'))
    expect(usage).toHaveLength(1)
    await chart.scrollIntoViewIfNeeded()
    await s.shot('15-07-allocation-map')
  })

  it('logged no errors in the page', () => {
    expect(s.pageErrors).toEqual([])
  })
})
