// End to end, after the merge of issues 13–16: a new analyst's first session on a fresh workspace, in one walk across
// every tab, in Chromium against `elder serve`. Each branch was tested alone; this file checks what only shows when
// they meet: switching the active experiment moves the queue, history, header, probe and metrics together; the probe
// panel, header and queue columns stay readable at 1024 px; and the whole walk logs no console error.
// Screenshots (1440×900, the main ones also at 1024×768) go to test/artifacts/qa-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveInChromium, type Served } from './harness'

/** Training the embedded model on a loaded 2-core machine: generous, and only an upper bound. */
const JOB_TIMEOUT = 120_000
const FIRST_PROMPT = 'Q: Where does Rankolbakil live? A:'

let s: Served

const rowCount = (): Promise<string> => s.page.locator('[data-test=tab-queue] .n').innerText()
const jobState = (): Promise<string> => s.page.locator('[data-test=job-state]').innerText()
const batchStates = (): Promise<string[]> => s.page.locator('[data-test=batch-state]').allInnerTexts()
const experimentShown = (): Promise<string> => s.page.locator('[data-test=frame-experiment] dd').innerText()
const runRow = (name: string) => s.page.locator(`[data-test=run-row][data-run-name="${name}"]`)

/** Screenshot at 1440×900 and, for the main states, again at 1024×768. */
async function shots(name: string, narrow = false): Promise<void> {
  await s.shot(`qa-${name}-1440`)
  if (!narrow) return
  await s.page.setViewportSize({ width: 1024, height: 768 })
  await s.shot(`qa-${name}-1024`)
  await s.page.setViewportSize({ width: 1440, height: 900 })
}

/** Boxes that overlap by more than a pixel (page scripts are strings: this file is type-checked without DOM types). */
const OVERLAPS = `((sels) => {
  const boxes = sels.map((s) => [s, document.querySelector(s)?.getBoundingClientRect()]).filter(([, r]) => r && r.width > 0)
  const out = []
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j]
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left), h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top)
    if (w > 1 && h > 1) out.push(a + ' / ' + b)
  }
  return out
})`
const overlaps = (selectors: string[]): Promise<string[]> => s.page.evaluate(`${OVERLAPS}(${JSON.stringify(selectors)})`) as Promise<string[]>

describe('a first session across every tab, after the merge', () => {
  beforeAll(async () => {
    s = await serveInChromium()
  })

  afterAll(async () => {
    await s?.close()
  })

  it('queue: a file with errors lists them, the good rows and a typed edit join the queue', async () => {
    await s.page.goto(s.url)
    await expect.poll(rowCount, { timeout: 60_000 }).toBe('50')
    await shots('01-open', true)
    await s.page.click('[data-test=open-import]')
    await s.page.setInputFiles('[data-test=import-file]', {
      name: 'mixed.csv', mimeType: 'text/csv', buffer: Buffer.from('prompt,target,subject\n"The motto of Velmora is",Rise,Velmora\nonlyone\nQ: Who founded Arvale? A:,Tomas,Arvale\n')
    })
    await expect.poll(() => s.page.locator('[data-test=import-error]').count()).toBe(1)
    await shots('02-import-errors', true)
    await s.page.click('[data-test=import-confirm]')
    await expect.poll(rowCount).toBe('52')
    await s.page.fill('[data-test=new-prompt]', 'The favourite colour of Velmora is')
    await s.page.fill('[data-test=new-target]', 'teal')
    await s.page.click('[data-test=new-add]')
    await expect.poll(rowCount).toBe('53')
  })

  it('a selection is applied as one batch while the job bar follows it; a second batch follows', async () => {
    const ticks = s.page.locator('[data-test=edit-select]')
    await ticks.nth(0).click()
    await ticks.nth(1).click({ modifiers: ['Shift'] })
    await expect.poll(() => s.page.locator('[data-test=selection-bar]').innerText()).toContain('2 selected')
    await s.page.click('[data-test=apply-selection]')
    await expect.poll(jobState, { timeout: JOB_TIMEOUT }).toBe('Done')
    expect(await s.page.locator('[data-test=job-edits]').innerText()).toBe('2 / 2')
    // The job bar's loss chart sits inside the bar (it was taller than the bar and its labels overlapped).
    const bar = (await s.page.locator('.jobbar').boundingBox())!
    const chart = (await s.page.locator('.jobbar .loss-chart').boundingBox())!
    expect(chart.y).toBeGreaterThanOrEqual(bar.y)
    expect(chart.y + chart.height).toBeLessThanOrEqual(bar.y + bar.height)
    await shots('03-job-done', true)
    await s.page.fill('[data-test=batch-size]', '1')
    await s.page.click('[data-test=apply-next]')
    await expect.poll(() => s.page.locator('.jobbar .message').innerText(), { timeout: JOB_TIMEOUT }).toBe('1 batch(es) applied, 1 edit(s)')
  })

  it('history: revert only batch 1 replays batch 2; undo puts it back', async () => {
    await s.page.click('[data-test=tab-history]')
    await expect.poll(batchStates).toEqual(['Applied', 'Applied'])
    await s.page.locator('[data-test=batch-revertOnly]').last().click()
    await s.page.click('[data-test=confirm-ok]')
    await expect.poll(batchStates, { timeout: JOB_TIMEOUT }).toEqual(['Applied', 'Rolled back'])
    await expect.poll(jobState, { timeout: JOB_TIMEOUT }).toBe('Done')
    await shots('04-revert-only')
    await s.page.click('[data-test=rollback-undo]')
    await s.page.click('[data-test=confirm-ok]')
    await expect.poll(batchStates).toEqual(['Applied', 'Applied'])
  })

  it('probe: a queue row and a free prompt, each with its verdict and evidence on one line, readable at 1024 px', async () => {
    await s.page.click('[data-test=tab-queue]')
    await s.page.locator('[data-test=edit-row]').first().locator('[data-test=edit-probe]').click()
    await expect.poll(() => s.page.locator('[data-test=probe-holds]').innerText(), { timeout: 60_000 }).toContain('Edit holds')
    expect(await s.page.locator('[data-test=probe-deferred]').innerText()).toBe('In edit scope')
    expect(await s.page.locator('[data-test=probe-reason]').innerText()).toMatch(/^distance \d\.\d{3} < threshold 0\.(080|320) \(edit #\d+\)$/)
    await s.page.fill('[data-test=probe-prompt]', FIRST_PROMPT)
    await s.page.click('[data-test=probe-run]')
    await expect.poll(() => s.page.locator('[data-test=probe-holds]').count(), { timeout: 60_000 }).toBe(0)
    await s.page.setViewportSize({ width: 1024, height: 768 })
    // The echoed prompt kept its line (it shrank to nothing under the answers when the panel had to scroll).
    expect(await overlaps(['.probe .asked', '.probe .answers', '.probe .ask'])).toEqual([])
    expect((await s.page.locator('.probe .asked').boundingBox())!.height).toBeGreaterThan(10)
    await s.shot('qa-05-probe-1024')
    await s.page.setViewportSize({ width: 1440, height: 900 })
    await s.shot('qa-05-probe-1440')
  })

  it('scope: the histogram follows a drag of the threshold; the allocation map is drawn', async () => {
    await s.page.click('[data-test=tab-scope]')
    const numbers = s.page.locator('[data-test=scope-numbers]')
    await expect.poll(() => numbers.count(), { timeout: 60_000 }).toBe(1)
    const chart = s.page.locator('[data-test=scope-chart]')
    const box = (await chart.boundingBox())!
    const y = box.y + box.height / 2
    // Grab the line where it is drawn (the handle's x, read off the chart's own pixel mapping), then drag it right.
    const x0 = box.x + (await chart.evaluate((el: { querySelectorAll(s: string): ArrayLike<unknown> }) => {
      type Inst = { getOption(): { graphic: Array<{ elements: Array<{ id: string; x: number }> }> } }
      const inst = ([el, ...Array.from(el.querySelectorAll('*'))] as Array<{ __echarts__?: Inst }>).find((x) => x.__echarts__)!.__echarts__!
      return inst.getOption().graphic[0].elements.find((e) => e.id === 'threshold-handle')!.x
    }))
    await s.page.mouse.move(x0, y)
    await s.page.mouse.down()
    for (let dx = 20; dx <= 160; dx += 20) await s.page.mouse.move(x0 + dx, y)
    await s.page.mouse.up()
    expect(Number(await numbers.getAttribute('data-threshold'))).toBeGreaterThan(0.08)
    await s.page.click('[data-test=map-compute]')
    await expect.poll(() => s.page.locator('[data-test=map-scatter]').count(), { timeout: 60_000 }).toBe(1)
    await s.page.locator('[data-test=map-scatter]').scrollIntoViewIfNeeded()
    await shots('06-scope-map', true)
  })

  it('metrics: Evaluate now draws a point per metric; the header shows the edits that hold', async () => {
    await s.page.click('[data-test=tab-metrics]')
    await s.page.click('[data-test=evaluate-now]')
    await expect.poll(() => s.page.locator('.jobbar .kind').innerText()).toBe('Evaluating')
    // An evaluation trains nothing: the last apply job's loss curve is not shown as its own.
    expect(await s.page.locator('[data-test=running-batch]').count()).toBe(0)
    await expect.poll(jobState, { timeout: JOB_TIMEOUT }).toBe('Done')
    await expect.poll(() => s.page.locator('[data-test=frame-health]').innerText()).toMatch(/\d \/ 3 edits hold/)
    await shots('07-metrics', true)
    await s.page.click('[data-test=tab-history]')
    // The card names the evaluation as the Metrics tab does (it listed every stored series in snake_case).
    await expect.poll(() => s.page.locator('[data-test=batch-metrics]').innerText()).toMatch(
      /^After 3 edits: Reliability \d+\.\d% · Generalization \d+\.\d% · Locality \d+\.\d% · Retention \d+\.\d% · Unrelated deferred \d+\.\d%$/
    )
    await shots('07b-history-evaluated', true)
  })

  it('runs: a GRACE experiment with a copy of the edit list; opening it moves queue, history, header, probe and metrics', async () => {
    await s.page.click('[data-test=tab-runs]')
    await s.page.click('[data-test=runs-new]')
    await s.page.fill('[data-test=exp-name]', 'GRACE walk')
    await s.page.selectOption('[data-test=exp-preset]', 'grace')
    // What the preset sets, in words (it printed a bare "{}").
    expect(await s.page.locator('[data-test=exp-preset-config]').innerText()).toBe("grace's default config")
    await shots('08-new-experiment')
    await s.page.click('[data-test=exp-save]')
    await expect.poll(() => s.page.locator('[data-test=run-row]').count()).toBe(2)
    // At 1024 px the table scrolls sideways; its Open button stays in view (it was past the right edge).
    await s.page.setViewportSize({ width: 1024, height: 768 })
    const open = (await runRow('GRACE walk').locator('[data-test=run-activate]').boundingBox())!
    const table = (await s.page.locator('[data-test=runs] .scroll').boundingBox())!
    expect(open.x + open.width).toBeLessThanOrEqual(table.x + table.width)
    await s.shot('qa-08b-runs-1024')
    await s.page.setViewportSize({ width: 1440, height: 900 })
    await runRow('GRACE walk').locator('[data-test=run-activate]').click()
    await expect.poll(experimentShown).toBe('GRACE walk')
    expect(await s.page.locator('[data-test=frame-health]').count()).toBe(0)
    // The other experiment's finished evaluation is not shown as this one's.
    expect(await s.page.locator('[data-test=jobbar]').innerText()).toContain('No job running')
    await s.page.click('[data-test=tab-queue]')
    await expect.poll(rowCount).toBe('53')
    expect(await s.page.locator('[data-test=edit-row]', { hasText: 'Applied' }).count()).toBe(0)
    // The probe's answer is the new experiment's: nothing applied there, so nothing in scope and no nearest edit.
    await expect.poll(() => s.page.locator('[data-test=probe-deferred]').innerText(), { timeout: 60_000 }).toBe('Deferred to the base model')
    expect(await s.page.locator('[data-test=probe-nearest]').count()).toBe(0)
    await shots('09-switched-queue', true)
    await s.page.click('[data-test=tab-history]')
    await expect.poll(batchStates).toEqual([])
    // The Scope tab shows GRACE's distances, not the old experiment's (a refresh of those after the evaluation landed
    // after the switch): GRACE has per-key radii, not one threshold, and nothing is applied yet.
    await s.page.click('[data-test=tab-scope]')
    await expect.poll(() => s.page.locator('[data-test=scope-no-edits]').count(), { timeout: 60_000 }).toBe(1)
    await shots('09b-switched-scope')
    await s.page.click('[data-test=tab-metrics]')
    await expect.poll(() => s.page.locator('[data-test=metrics-shown]').innerText()).toBe('GRACE walk')
  })

  it('compares the two runs, then goes back: health column, filter and header count agree', async () => {
    await s.page.click('[data-test=tab-runs]')
    for (const n of ['GRACE walk', 'tiny-world']) await runRow(n).locator('[data-test=run-pick]').check()
    await s.page.click('[data-test=runs-compare]')
    await expect.poll(() => s.page.locator('[data-test=metrics-shown]').innerText()).toMatch(/^(GRACE walk vs tiny-world|tiny-world vs GRACE walk)$/)
    expect(await s.page.locator('[data-test=diff-row]').count()).toBeGreaterThan(0)
    await shots('10-compare', true)
    await s.page.click('[data-test=tab-runs]')
    await runRow('tiny-world').locator('[data-test=run-activate]').click()
    await expect.poll(experimentShown).toBe('tiny-world')
    await s.page.click('[data-test=tab-queue]')
    const holds = Number((await s.page.locator('[data-test=frame-health]').innerText()).match(/(\d) \/ 3 edits hold/)![1])
    await s.page.selectOption('[data-test=health-filter]', 'holds')
    await expect.poll(() => s.page.locator('[data-test=edit-row] [data-test=edit-health]').allInnerTexts()).toEqual(Array(holds).fill('Holds'))
    await s.page.selectOption('[data-test=health-filter]', 'all')
    await expect.poll(rowCount).toBe('53')
    await shots('11-queue-health', true)
  })

  it('at 1024 px the header facts do not run into each other and the queue header lines up with its rows', async () => {
    await s.page.setViewportSize({ width: 1024, height: 768 })
    const facts = ['experiment', 'health', 'model', 'backend', 'workspace'].map((f) => `[data-test=frame-${f}]`)
    expect(await overlaps(facts)).toEqual([])
    // The experiment and its health are read whole; the model's details give way first.
    for (const f of ['experiment', 'health']) {
      const dd = s.page.locator(`[data-test=frame-${f}] dd`)
      expect(await dd.evaluate((el: { scrollWidth: number; clientWidth: number }) => el.scrollWidth <= el.clientWidth), f).toBe(true)
    }
    const lefts = (await s.page.evaluate(`(() => {
      const xs = (el) => Array.from(el.children).filter((c) => c.getBoundingClientRect().width > 0).map((c) => Math.round(c.getBoundingClientRect().left))
      return [xs(document.querySelector('.thead')), xs(document.querySelector('[data-test=edit-row]'))]
    })()`)) as [number[], number[]]
    expect(lefts[0]).toEqual(lefts[1])
    // The Batch heading fits its column (it was cut to "BAT…").
    const batchHead = s.page.locator('.thead > span', { hasText: 'Batch' })
    expect(await batchHead.evaluate((el: { scrollWidth: number; clientWidth: number }) => el.scrollWidth <= el.clientWidth)).toBe(true)
    await s.page.setViewportSize({ width: 1440, height: 900 })
  })

  it('logged no errors in the page across the whole walk', () => {
    expect(s.pageErrors).toEqual([])
  })
})
