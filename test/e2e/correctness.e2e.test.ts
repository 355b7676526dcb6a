// End to end, issue 13 ("what an analyst hits in the first hour"): `elder serve` on a fresh workspace with the
// embedded tiny-world model, driven through Debian Chromium. The import dialog lists a refused file and a CSV's bad
// rows; a selection of rows is applied as one batch; Apply all asks first and is cancelled; revert-only replays
// exactly the batches applied before it (the cancelled one keeps waiting) and can be undone; the queue works at
// 1024 px without a horizontal scroll. Screenshots at 1440 and 1024 px go to test/artifacts/ (git-ignored).
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveInChromium, type Served } from './harness'

const FIRST_PROMPT = 'Q: Where does Rankolbakil live? A:'
/** Training the embedded model on a loaded 2-core machine: generous, and only an upper bound. */
const JOB_TIMEOUT = 180_000

let served: Served
let page: Page
let url = ''
let pageErrors: string[] = []
const shot = (name: string): Promise<void> => served.shot(name)

const rowCount = (): Promise<string> => page.locator('[data-test=tab-queue] .n').innerText()
const jobState = (): Promise<string> => page.locator('[data-test=job-state]').innerText()
const batchStates = (): Promise<string[]> => page.locator('[data-test=batch-state]').allInnerTexts()
/** Error notices (role alert); infos fade by themselves. */
const errorNotices = (): Promise<string[]> => page.locator('[data-test=notice][role=alert]').allInnerTexts()
const infoNotices = (): Promise<string[]> => page.locator('[data-test=notice][role=status]').allInnerTexts()

/** Widths of the page and the queue's scrolling boxes against what they show (a horizontal scroll: scroll > client). */
const OVERFLOW = `(() => {
  const q = (s) => document.querySelector(s)
  const box = (el) => el ? { scroll: el.scrollWidth, client: el.clientWidth } : null
  return { page: box(document.scrollingElement), queue: box(q('.queue')), viewport: box(q('[data-test=queue-viewport]')), primary: box(q('.primary')) }
})()`

async function pickFile(name: string, content: string): Promise<void> {
  await page.setInputFiles('[data-test=import-file]', { name, mimeType: 'application/octet-stream', buffer: Buffer.from(content) })
}

describe('issue 13 in Chromium against elder serve', () => {
  beforeAll(async () => {
    served = await serveInChromium()
    ;({ page, url, pageErrors } = served)
  })

  afterAll(async () => {
    await served?.close()
  })

  it('opens a new workspace with the first 50 edits queued', async () => {
    await page.goto(url)
    await expect.poll(rowCount, { timeout: 60_000 }).toBe('50')
    await shot('c01-queue-1440')
  })

  it('import: a file in an unknown format is refused in the dialog, naming the file, line and field', async () => {
    await page.click('[data-test=open-import]')
    await pickFile('foo.json', '{"foo":1}')
    const refused = page.locator('[data-test=import-refused]')
    await expect.poll(() => refused.innerText()).toContain('foo.json cannot be imported')
    expect(await refused.locator('td').allInnerTexts()).toEqual([
      '1', 'foo', 'no record has a known set of fields (zsRE MEND/EasyEdit, CounterFact EasyEdit/ROME, or prompt+target); the first has keys "foo"'
    ])
    expect(await page.locator('[data-test=import-confirm]').innerText()).toBe('Nothing to import')
    expect(await page.locator('[data-test=import-confirm]').isDisabled()).toBe(true)
    expect(await errorNotices()).toEqual([])
    await shot('c02-import-refused-1440')
  })

  it('import: a CSV with rows of 1 and 4 fields under a 3-field header lists each by line, the good rows import', async () => {
    // The last row gives the first queued prompt another target: the queue flags both rows.
    await pickFile('ragged.csv', `prompt,target,subject\n"The motto of ""Velmora"" is","Rise, again",Velmora\nonlyone\nx,y,z,w\n${FIRST_PROMPT},Velm,Rankolbakil\n`)
    await expect.poll(() => page.locator('[data-test=import-summary]').innerText()).toMatch(/^ragged\.csv\s+4 records \(csv\)\s+2\s+good\s+2\s+with errors$/)
    const errors = await page.locator('[data-test=import-error]').allInnerTexts()
    expect(errors.map((e) => e.replace(/\s+/g, ' ').trim())).toEqual([
      '3 — the row has 1 field; the header has 3',
      '4 — the row has 4 fields; the header has 3'
    ])
    expect(await page.locator('[data-test=import-confirm]').innerText()).toBe('Import 2 good edits')
    await shot('c03-import-errors-1440')
    await page.click('[data-test=import-confirm]')
    await expect.poll(rowCount).toBe('52')
    await expect.poll(() => page.locator('[data-test=conflicts-note]').innerText()).toBe('2 rows give one prompt different targets')
    expect(await page.locator('[data-test=edit-row]').first().locator('[data-test=edit-flag]').textContent()).toBe('Conflict')
    await shot('c03b-conflict-flags-1440')
  })

  it('a selection of rows (a tick and a shift-tick) is applied as one batch', async () => {
    const ticks = page.locator('[data-test=edit-select]')
    await ticks.nth(0).click()
    await ticks.nth(2).click({ modifiers: ['Shift'] })
    await expect.poll(() => page.locator('[data-test=selection-bar]').innerText()).toContain('3 selected')
    await shot('c04-selection-1440')
    await page.click('[data-test=apply-selection]')
    await expect.poll(jobState, { timeout: JOB_TIMEOUT }).toBe('Done')
    expect(await page.locator('[data-test=job-edits]').innerText()).toBe('3 / 3')
    await page.click('[data-test=tab-history]')
    await expect.poll(batchStates).toEqual(['Applied'])
    expect(await page.locator('[data-test=batch]').first().innerText()).toContain('3 edits')
    await page.click('[data-test=tab-queue]')
  })

  it('Apply next batch trains batch 2; Apply all asks first (count, estimate), and is cancelled', async () => {
    await page.fill('[data-test=batch-size]', '1')
    await page.click('[data-test=apply-next]')
    await expect.poll(jobState, { timeout: JOB_TIMEOUT }).toBe('Done')
    // The probe shows a result, so a rollback's batch change would re-ask it (bug 6).
    await page.fill('[data-test=probe-prompt]', FIRST_PROMPT)
    await page.click('[data-test=probe-run]')
    await expect.poll(() => page.locator('[data-test=probe-edited]').innerText(), { timeout: 60_000 }).toContain('Stastol')

    await page.fill('[data-test=batch-size]', '4')
    await page.click('[data-test=apply-all]')
    const dialog = page.locator('[data-test=confirm-dialog]')
    await expect.poll(() => dialog.innerText()).toContain('Apply all 48 queued edits?')
    expect(await page.locator('[data-test=apply-all-count]').innerText()).toBe('48 edits in 12 batches of up to 4.')
    expect(await page.locator('[data-test=apply-all-estimate]').innerText()).toMatch(/^Estimated time: about .+ \([\d.]+ s per edit, the mean of the 2 batches applied so far\)\.$/)
    await shot('c05-confirm-apply-all-1440')
    await page.click('[data-test=confirm-ok]')
    await expect.poll(() => page.locator('[data-test=job-step]').innerText(), { timeout: JOB_TIMEOUT }).toMatch(/^[1-9]\d* \/ \d+$/)
    // Rows of the training batch show it and are locked (bug 2).
    const training = page.locator('[data-test=edit-row]', { hasText: 'Training' })
    await expect.poll(() => training.count()).toBe(4)
    expect(await training.first().locator('[data-test=edit-edit]').isDisabled()).toBe(true)
    await shot('c06-training-rows-1440')
    await page.click('[data-test=job-cancel]')
    await expect.poll(jobState, { timeout: JOB_TIMEOUT }).toBe('Cancelled')
    expect(await page.locator('.jobbar .message').innerText()).toBe('batch 3 cancelled; it is queued again')
  })

  it('revert only batch 1 replays batch 2 alone; the cancelled batch 3 keeps waiting; no probe error', async () => {
    await page.click('[data-test=tab-history]')
    await expect.poll(batchStates).toEqual(['Queued', 'Applied', 'Applied'])
    expect(await page.locator('[data-test=rollback-undo]').isDisabled()).toBe(true)
    expect(await page.locator('[data-test=rollback-undo]').getAttribute('title')).toBe('Nothing to undo: no rollback in this experiment yet')
    await page.locator('[data-test=batch-revertOnly]').last().click()
    await page.click('[data-test=confirm-ok]')
    await expect.poll(() => page.locator('.jobbar .kind').innerText()).toBe('Replaying batches')
    await expect.poll(jobState, { timeout: JOB_TIMEOUT }).toBe('Done')
    expect(await page.locator('.jobbar .message').innerText()).toBe('1 batch(es) applied, 1 edit(s)')
    await expect.poll(batchStates).toEqual(['Queued', 'Applied', 'Rolled back'])
    expect(await errorNotices()).toEqual([])
    await shot('c07-revert-only-1440')
  })

  it('undo asks first, then puts the history back and says so', async () => {
    const undo = page.locator('[data-test=rollback-undo]')
    await expect.poll(() => undo.getAttribute('title')).toBe('Undo “revert only” of batch 1')
    await undo.click()
    await expect.poll(() => page.locator('[data-test=confirm-dialog]').innerText()).toContain('Undo “revert only” of batch 1?')
    await page.click('[data-test=confirm-ok]')
    await expect.poll(infoNotices).toEqual([expect.stringContaining('Undone: “revert only” of batch 1')])
    expect(await errorNotices()).toEqual([])
    await expect.poll(batchStates).toEqual(['Queued', 'Applied', 'Applied'])
    expect(await undo.isDisabled()).toBe(true)
    await shot('c08-undone-1440')
  })

  it('at 1024 px the queue, its row buttons and the history work without a horizontal scroll', async () => {
    await page.setViewportSize({ width: 1024, height: 768 })
    await page.click('[data-test=tab-queue]')
    await page.fill('[data-test=batch-size]', '1')
    await expect.poll(() => page.locator('[data-test=waiting-note]').innerText()).toBe('Batch 3 (4 edits, not applied yet) will be cut again to batches of 1.')
    const o = (await page.evaluate(OVERFLOW)) as Record<string, { scroll: number; client: number }>
    for (const [name, b] of Object.entries(o)) expect(b.scroll, `${name} scrolls sideways`).toBeLessThanOrEqual(b.client)
    const row = page.locator('[data-test=edit-row]').nth(5)
    for (const button of ['edit-probe', 'edit-edit', 'edit-delete']) {
      const box = await row.locator(`[data-test=${button}]`).boundingBox()
      expect(box, button).not.toBeNull()
      expect(box!.x + box!.width, `${button} is inside the window`).toBeLessThanOrEqual(1024)
    }
    await row.locator('[data-test=edit-select]').click()
    await expect.poll(() => page.locator('[data-test=selection-bar]').innerText()).toContain('1 selected')
    await shot('c09-queue-1024')
    await page.click('[data-test=select-clear]')
    await page.click('[data-test=tab-history]')
    await page.locator('[data-test=batch] .toggle').last().click()
    const history = (await page.evaluate(OVERFLOW)) as Record<string, { scroll: number; client: number } | null>
    expect(history.page!.scroll).toBeLessThanOrEqual(history.page!.client)
    await shot('c10-history-1024')
    await page.click('[data-test=tab-queue]')
    await page.click('[data-test=open-import]')
    await pickFile('foo.json', '{"foo":1}')
    await expect.poll(() => page.locator('[data-test=import-refused]').innerText()).toContain('foo.json cannot be imported')
    await shot('c11-import-refused-1024')
    await page.keyboard.press('Escape')
  })

  it('logged no errors in the page', () => {
    expect(pageErrors).toEqual([])
  })
})
