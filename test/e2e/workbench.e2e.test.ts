// End to end: `elder serve` (a child process, as a user starts it) on a fresh temporary workspace with the embedded
// tiny-world model, driven through Debian Chromium by playwright-core. The scenario of the issue: add an edit;
// import a file with one bad line; apply a batch and watch the job reach done; the probe answer changes to the
// new target; revert the batch and the old answer returns; requests without the token are refused.
// Screenshots go to test/artifacts/ (git-ignored).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARTIFACTS, ROOT, serveInChromium, type Served } from './harness'

const FIRST_PROMPT = 'Q: Where does Rankolbakil live? A:'
const NEW_TARGET = 'Stastol'
const OLD_ANSWER = 'Kesgrem'

let served: Served
let page: Page
const shot = (name: string): Promise<void> => served.shot(name)

/** In-page recorder of the job bar: each change of the progress bar's value, with the step and state shown. */
const RECORD_PROGRESS = `(() => {
  const seen = (window.__progress = [])
  const read = () => {
    const bar = document.querySelector('[role=progressbar]')
    if (!bar) return
    const value = Number(bar.getAttribute('aria-valuenow'))
    const step = document.querySelector('[data-test=job-step]')?.textContent?.trim() ?? ''
    const state = document.querySelector('[data-test=job-state]')?.textContent?.trim() ?? ''
    const last = seen[seen.length - 1]
    if (!last || last.value !== value || last.step !== step || last.state !== state) seen.push({ value, step, state })
  }
  new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true })
})()`

/** Scrolls the virtualised queue table (this file is type-checked without DOM types, hence the structural type). */
const scrollQueue = (top: number): Promise<void> =>
  page.locator('[data-test=queue-viewport]').evaluate((el: { scrollTo(x: number, y: number): void }, y) => el.scrollTo(0, y), top)

const rowCount = (): Promise<string> => page.locator('[data-test=tab-queue] .n').innerText()

describe('workbench in Chromium against elder serve', () => {
  beforeAll(async () => {
    served = await serveInChromium()
    page = served.page
  })

  afterAll(async () => {
    await served?.close()
  })

  it('built a sandbox-ready preload: it requires nothing but electron', () => {
    const preload = readFileSync(join(ROOT, 'out', 'preload', 'index.cjs'), 'utf8')
    expect([...preload.matchAll(/require\((["'][^"']+["'])\)/g)].map((m) => m[1])).toEqual(['"electron"'])
  })

  it('opens a new workspace with the embedded model and its first 50 edits queued', async () => {
    await page.goto(served.url)
    await expect.poll(() => page.locator('[data-test=frame-model]').innerText()).toContain('tiny-world')
    await expect.poll(rowCount).toBe('50')
    expect(await page.locator('[data-test=frame-workspace]').innerText()).toContain(served.workspace)
    // The token left the address bar; the page keeps working from the session.
    expect(page.url()).toBe(`${served.origin}/`)
    await shot('01-first-run')
  })

  it('adds an edit inline', async () => {
    await page.fill('[data-test=new-prompt]', 'The mayor of Stastol is')
    await page.fill('[data-test=new-target]', 'Orvella Quent')
    await page.click('[data-test=new-add]')
    await expect.poll(rowCount).toBe('51')
    await page.fill('[data-test=queue-search]', 'mayor of Stastol')
    await expect.poll(() => page.locator('[data-test=edit-row]').allInnerTexts()).toEqual([expect.stringContaining('Orvella Quent')])
    await shot('02-added')
    await page.fill('[data-test=queue-search]', '')
  })

  it('imports a file with one bad line: the error names the line, the good lines arrive', async () => {
    await page.click('[data-test=open-import]')
    const lines = [
      JSON.stringify({ prompt: 'The river through Kesgrem is the', target: 'Ulwash' }),
      JSON.stringify({ prompt: 'The bell tower of Hoza was built by' }),
      JSON.stringify({ prompt: 'The guild of Drolirpuve trades in', target: 'amber' })
    ]
    await page.setInputFiles('[data-test=import-file]', { name: 'three-edits.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(lines.join('\n') + '\n') })
    await expect.poll(() => page.locator('[data-test=import-summary]').innerText()).toMatch(/2\s+good/)
    const errors = await page.locator('[data-test=import-error]').allInnerTexts()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^2\s+target\s+/)
    await shot('03-import-report')
    await page.click('[data-test=import-confirm]')
    await expect.poll(rowCount).toBe('53')
    // The imported rows are last in the queue: scroll the virtualised table to the end.
    await scrollQueue(1e6)
    await expect.poll(() => page.locator('[data-test=edit-row]').allInnerTexts()).toEqual(
      expect.arrayContaining([expect.stringContaining('Ulwash'), expect.stringContaining('amber')])
    )
    await shot('04-imported')
  })

  it('a bad byte in a one-line JSON array: the file goes as its bytes, the error names line, column and record (issue 11)', async () => {
    await page.click('[data-test=open-import]')
    const bytes = Buffer.concat([
      Buffer.from('[{"prompt":"The river through Hoza is the","target":"Velm"},{"prompt":"The bell tower of Hoza was built by","target":"Ors'),
      Buffer.from([0xff]),
      Buffer.from('a"},{"prompt":"The guild of Hoza trades in","target":"salt"}]')
    ])
    await page.setInputFiles('[data-test=import-file]', { name: 'one-line.json', mimeType: 'application/json', buffer: bytes })
    await expect.poll(() => page.locator('[data-test=import-summary]').innerText()).toMatch(/3 records \(elder\)\s+2\s+good\s+1\s+with errors/)
    // Sent as text, the byte became U+FFFD in the browser and "Ors\ufffda" was a good record.
    const row = page.locator('[data-test=import-error]')
    expect(await row.count()).toBe(1)
    expect(await row.locator('td').allInnerTexts()).toEqual(['1\ncolumn 122\nrecord 2', '—', 'invalid UTF-8 byte sequence'])
    await shot('03b-import-bad-byte')
    await page.click('[data-test=import-dialog] footer button:not(.primary)')
    await expect.poll(() => page.locator('[data-test=import-dialog]').count()).toBe(0)
    expect(await rowCount()).toBe('53')
  })

  it('probes the first queued edit: base and edited give the old answer', async () => {
    await scrollQueue(0)
    await page.fill('[data-test=probe-prompt]', FIRST_PROMPT)
    await page.click('[data-test=probe-run]')
    await expect.poll(() => page.locator('[data-test=probe-edited]').innerText(), { timeout: 60_000 }).toContain(OLD_ANSWER)
    expect(await page.locator('[data-test=probe-base]').innerText()).toContain(OLD_ANSWER)
    expect(await page.locator('[data-test=probe-deferred]').innerText()).toBe('Deferred to the base model')
    await shot('05-probe-before')
  })

  it('applies a batch and the progress reaches done; the probe answer changes to the new target', async () => {
    await page.fill('[data-test=batch-size]', '1')
    // Record every progress value the bar shows (a job of one small batch can finish between two polls).
    await page.evaluate(RECORD_PROGRESS)
    await page.click('[data-test=apply-next]')
    // (page.evaluate of a string goes through the debugger; waitForFunction would be an eval the CSP forbids.)
    await expect.poll(() => page.evaluate('window.__progress.some((p) => p.value > 0)'), { timeout: 60_000 }).toBe(true)
    await shot('06-applying')
    await expect.poll(() => page.locator('[data-test=job-state]').innerText(), { timeout: 90_000 }).toBe('Done')
    expect(await page.locator('[role=progressbar]').getAttribute('aria-valuenow')).toBe('100')
    const seen = (await page.evaluate('window.__progress')) as Array<{ value: number; step: string; state: string }>
    const values = seen.map((p) => p.value)
    expect(values.some((v) => v > 0 && v < 100), `progress went through intermediate values: ${values.join(' ')}`).toBe(true)
    expect(values).toEqual([...values].sort((a, b) => a - b))
    expect(seen.some((p) => p.state === 'Running' && /^[1-9]\d* \/ \d+$/.test(p.step))).toBe(true)
    expect(await page.locator('[data-test=job-edits]').innerText()).toBe('1 / 1')
    await expect.poll(() => page.locator('[data-test=probe-edited]').innerText(), { timeout: 60_000 }).toContain(NEW_TARGET)
    expect(await page.locator('[data-test=probe-base]').innerText()).toContain(OLD_ANSWER)
    expect(await page.locator('[data-test=probe-deferred]').innerText()).toBe('In edit scope')
    await expect.poll(() => page.locator('[data-test=edit-row]').first().innerText()).toContain('Applied')
    await shot('07-applied')
  })

  it('reverts the batch from the history: the old answer returns', async () => {
    await page.click('[data-test=tab-history]')
    await expect.poll(() => page.locator('[data-test=batch-state]').allInnerTexts()).toEqual(['Applied'])
    await page.click('[data-test=batch-revertTo]')
    await expect.poll(() => page.locator('[data-test=confirm-dialog]').innerText()).toContain('checkpoint taken before batch 1')
    await shot('08-confirm-revert')
    await page.click('[data-test=confirm-ok]')
    await expect.poll(() => page.locator('[data-test=batch-state]').allInnerTexts(), { timeout: 60_000 }).toEqual(['Rolled back'])
    await expect.poll(() => page.locator('[data-test=probe-edited]').innerText(), { timeout: 60_000 }).toContain(OLD_ANSWER)
    await shot('09-reverted')
  })

  it('logged no errors in the page (CSP violations, failed requests, exceptions)', () => {
    expect(served.pageErrors).toEqual([])
  })

  it('refuses requests without the token', async () => {
    const bare = await fetch(`${served.origin}/api/app.status`, { method: 'POST', body: '{}' })
    expect(bare.status).toBe(401)
    expect(await bare.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    expect((await fetch(`${served.origin}/`)).status).toBe(401)
    // The page's own cookie opens static files, but not the API: POSTs need the bearer header.
    const fromPage = await page.evaluate(async () => (await fetch('/api/app.status', { method: 'POST', body: '{}' })).status)
    expect(fromPage).toBe(401)
    const other = await page.context().browser()!.newPage()
    await other.goto(`${served.origin}/`)
    expect(await other.locator('h1').innerText()).toBe('This ELDER Workbench server needs its token')
    await other.screenshot({ path: join(ARTIFACTS, '10-no-token.png') })
    await other.close()
  })

})
