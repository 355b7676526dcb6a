// @vitest-environment happy-dom
// Components against the in-memory ElderApi: what the analyst sees and what each control sends.
import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import App from '../../src-renderer/App.vue'
import EditQueue from '../../src-renderer/components/EditQueue.vue'
import ErrorToast from '../../src-renderer/components/ErrorToast.vue'
import HistoryTimeline from '../../src-renderer/components/HistoryTimeline.vue'
import ImportDialog from '../../src-renderer/components/ImportDialog.vue'
import JobBar from '../../src-renderer/components/JobBar.vue'
import ProbePanel from '../../src-renderer/components/ProbePanel.vue'
import TheFrame from '../../src-renderer/components/TheFrame.vue'
import { useStatusStore } from '../../src-renderer/stores/status'
import { MAX_IMPORT_BYTES, type ImportReport } from '../../src-preload/contract'
import { batchView, fakeApi, jobView } from './fake-api'
import { mountWith } from './setup'

afterEach(() => {
  document.body.innerHTML = ''
})

describe('App', () => {
  it('shows the frame (model, backend, workspace), loads the queue and renders only a window of 10,000 rows', async () => {
    const fake = fakeApi({ edits: 10_000 })
    const w = await mountWith(App, fake)
    await flushPromises()
    expect(w.get('[data-test=frame-model]').text()).toContain('tiny-world')
    expect(w.get('[data-test=frame-model]').text()).toContain('8×128')
    expect(w.get('[data-test=frame-backend]').text()).toContain('wasm (SIMD, 1 thread)')
    expect(w.get('[data-test=frame-workspace]').text()).toContain('/home/analyst/elder-workspace')
    expect(w.get('[data-test=tab-queue]').text()).toContain('10,000')
    const rendered = w.findAll('[data-test=edit-row]')
    expect(rendered.length).toBeGreaterThan(10)
    expect(rendered.length).toBeLessThan(80)
    expect(w.get('[data-test=queue-viewport] .spacer-y').attributes('style')).toContain(`height: ${10_000 * 34}px`)
  })
})

describe('EditQueue', () => {
  async function queue(edits = 30) {
    const fake = fakeApi({ edits })
    const w = await mountWith(EditQueue, fake)
    await useStatusStore().refresh()
    await flushPromises()
    return { fake, w }
  }

  it('moves the rendered window when scrolled', async () => {
    const { w } = await queue(10_000)
    const viewport = w.get('[data-test=queue-viewport]')
    viewport.element.scrollTop = 34 * 5000
    await viewport.trigger('scroll')
    await new Promise((r) => requestAnimationFrame(() => r(null)))
    await flushPromises()
    const ids = w.findAll('[data-test=edit-row]').map((r) => Number(r.attributes('data-edit-id')))
    expect(ids).toContain(5001)
    expect(ids).not.toContain(1)
    expect(ids.length).toBeLessThan(80)
  })

  it('adds an edit inline', async () => {
    const { fake, w } = await queue(2)
    await w.get('[data-test=new-prompt]').setValue('The capital of Zed is')
    await w.get('[data-test=new-target]').setValue('Quorn')
    await w.get('[data-test=new-edit]').trigger('submit')
    await flushPromises()
    expect(fake.callsOf('edits.add')).toEqual([{ experimentId: 1, edits: [{ prompt: 'The capital of Zed is', target: 'Quorn', groundTruth: undefined, rephrases: [] }] }])
    expect(w.findAll('[data-test=edit-row]').at(-1)!.text()).toContain('Quorn')
    expect((w.get('[data-test=new-prompt]').element as HTMLInputElement).value).toBe('')
  })

  it('edits a queued row inline and saves on Enter; applied rows are read-only', async () => {
    const { fake, w } = await queue(2)
    fake.state.edits[1].status = 'applied'
    fake.emit({ type: 'edits.changed', experimentId: 1 })
    await flushPromises()
    const [first, second] = w.findAll('[data-test=edit-row]')
    expect(second.get('[data-test=edit-edit]').attributes('disabled')).toBeDefined()
    await first.get('[data-test=edit-edit]').trigger('click')
    const target = w.get('[data-test=edit-target]')
    await target.setValue('Newcity')
    await target.trigger('keydown', { key: 'Enter' })
    await flushPromises()
    expect(fake.callsOf('edits.update')).toEqual([{ id: 1, patch: { prompt: fake.state.edits[0].prompt, target: 'Newcity' } }])
    expect(w.findAll('[data-test=edit-row]')[0].text()).toContain('Newcity')
    expect(w.find('[data-test=edit-target]').exists()).toBe(false)
  })

  it('deletes only after the button is pressed a second time', async () => {
    const { fake, w } = await queue(2)
    const del = w.findAll('[data-test=edit-delete]')[0]
    await del.trigger('click')
    expect(fake.callsOf('edits.delete')).toEqual([])
    expect(del.text()).toBe('Confirm')
    await del.trigger('click')
    await flushPromises()
    expect(fake.callsOf('edits.delete')).toEqual([{ ids: [1] }])
    expect(w.findAll('[data-test=edit-row]')).toHaveLength(1)
  })

  it('applies the next batch and all with the batch size, and disables apply while a job runs', async () => {
    const { fake, w } = await queue(10)
    await w.get('[data-test=batch-size]').setValue('4')
    await w.get('[data-test=apply-next]').trigger('click')
    await flushPromises()
    expect(fake.callsOf('jobs.apply')).toEqual([{ experimentId: 1, batchSize: 4, batches: 1 }])
    expect(w.get('[data-test=apply-all]').attributes('disabled')).toBeDefined()
    fake.emit({ type: 'job.finished', job: jobView({ state: 'done' }) })
    await flushPromises()
    await w.get('[data-test=apply-all]').trigger('click')
    // Apply all asks first (issue 13).
    await w.get('[data-test=confirm-ok]').trigger('click')
    await flushPromises()
    expect(fake.callsOf('jobs.apply').at(-1)).toEqual({ experimentId: 1, batchSize: 4, batches: null })
  })
})

describe('ImportDialog', () => {
  it('shows the per-line error report and imports the good records', async () => {
    const fake = fakeApi()
    const w = await mountWith(ImportDialog, fake)
    await useStatusStore().refresh()
    const content = ['{"prompt":"A is in","target":"B"}', '{"prompt":"C is in"}', '{"prompt":"D is in","target":"E"}'].join('\n')
    const input = w.get('[data-test=import-file]')
    Object.defineProperty(input.element, 'files', { value: [new File([content], 'three.jsonl')] })
    await input.trigger('change')
    await flushPromises()
    expect(w.get('[data-test=import-summary]').text()).toMatch(/3 records \(jsonl\).*2 good.*1 with errors/)
    const errors = w.findAll('[data-test=import-error]')
    expect(errors).toHaveLength(1)
    expect(errors[0].text()).toBe('2targettarget is missing')
    expect(w.get('[data-test=import-confirm]').text()).toBe('Import 2 good edits')
    await w.get('[data-test=import-confirm]').trigger('click')
    await flushPromises()
    // The file's bytes, as base64, not its decoded text (issue 11: bad UTF-8 must reach the importer as it is).
    expect(fake.callsOf('edits.import')).toEqual([{ experimentId: 1, file: { name: 'three.jsonl', bytes: btoa(content) }, zsreTarget: undefined }])
    expect(fake.state.edits.map((e) => e.target)).toEqual(['B', 'E'])
    expect(w.emitted('close')).toHaveLength(1)
  })

  it('sends a bad byte as it is, and shows the column and record of errors in a one-line JSON array', async () => {
    const fake = fakeApi()
    const report: ImportReport = {
      format: 'elder', total: 2, good: 1, omittedErrors: 0,
      errors: [{ line: 1, column: 31, record: 2, field: 'prompt', message: 'invalid UTF-8 byte sequence' }]
    }
    fake.api['edits.importPreview'] = async (req) => {
      fake.calls.push({ method: 'edits.importPreview', req })
      return { ok: true, value: report }
    }
    const w = await mountWith(ImportDialog, fake)
    const bytes = new Uint8Array([...new TextEncoder().encode('[{"prompt":"a","target":"b"},{"prompt":"c'), 0xff, ...new TextEncoder().encode('","target":"d"}]')])
    const input = w.get('[data-test=import-file]')
    Object.defineProperty(input.element, 'files', { value: [new File([bytes], 'one-line.json')] })
    await input.trigger('change')
    await flushPromises()
    const sent = (fake.callsOf('edits.importPreview')[0] as { file: { bytes: string } }).file.bytes
    expect(Uint8Array.from(atob(sent), (c) => c.charCodeAt(0))).toEqual(bytes)
    const row = w.get('[data-test=import-error]')
    expect(row.get('[data-test=import-error-column]').text()).toBe('column 31')
    expect(row.get('[data-test=import-error-record]').text()).toBe('record 2')
    expect(row.text()).toBe('1column 31record 2promptinvalid UTF-8 byte sequence')
  })

  it('refuses a file over the one import limit before reading it, in the importer\'s words', async () => {
    const fake = fakeApi()
    const w = await mountWith(ImportDialog, fake)
    const input = w.get('[data-test=import-file]')
    const huge = new File(['x'], 'huge.jsonl')
    Object.defineProperty(huge, 'size', { value: MAX_IMPORT_BYTES + 1024 * 1024 })
    Object.defineProperty(input.element, 'files', { value: [huge] })
    await input.trigger('change')
    await flushPromises()
    expect(w.get('.problem').text()).toBe('huge.jsonl is 257.0 MiB; the limit is 256.0 MiB (split it into smaller files)')
    expect(fake.callsOf('edits.importPreview')).toEqual([])
  })
})

describe('JobBar', () => {
  it('shows step, loss, edits done and ETA, and cancels', async () => {
    const fake = fakeApi({ edits: 3 })
    fake.state.job = jobView({ id: 7, step: 20, maxSteps: 50, loss: 0.4321, editsDone: 1, editsTotal: 4, etaS: 95 })
    const w = await mountWith(JobBar, fake)
    const { useJobsStore } = await import('../../src-renderer/stores/jobs')
    await useJobsStore().refresh()
    await flushPromises()
    expect(w.get('[data-test=job-step]').text()).toBe('20 / 50')
    expect(w.get('[data-test=job-loss]').text()).toBe('0.4321')
    expect(w.get('[data-test=job-edits]').text()).toBe('1 / 4')
    expect(w.get('[data-test=job-eta]').text()).toBe('1 min 35 s')
    // (1 edit done + 20/50 of the running one) / 4 edits
    expect(w.get('[role=progressbar]').attributes('aria-valuenow')).toBe('35')
    await w.get('[data-test=job-cancel]').trigger('click')
    expect(fake.callsOf('jobs.cancel')).toEqual([{ jobId: 7 }])
    fake.emit({ type: 'job.finished', job: jobView({ id: 7, state: 'done', step: 50, editsDone: 4, editsTotal: 4 }) })
    await flushPromises()
    expect(w.get('[data-test=job-state]').text()).toBe('Done')
    expect(w.get('[role=progressbar]').attributes('aria-valuenow')).toBe('100')
    expect(w.find('[data-test=job-cancel]').exists()).toBe(false)
  })
})

describe('HistoryTimeline', () => {
  it('lists batches with timings and runs a rollback only after confirmation', async () => {
    const fake = fakeApi()
    fake.state.batches = [batchView(1, { edits: [{ id: 1, prompt: 'A is in', target: 'B' }] }), batchView(2, { state: 'disabled' })]
    const w = await mountWith(HistoryTimeline, fake)
    await useStatusStore().refresh()
    await flushPromises()
    const cards = w.findAll('[data-test=batch]')
    expect(cards.map((c) => c.get('[data-test=batch-state]').text())).toEqual(['Disabled', 'Applied'])
    expect(cards[1].text()).toContain('3 s')
    expect(cards[0].find('[data-test=batch-enable]').exists()).toBe(true)
    await cards[1].get('[data-test=batch-revertTo]').trigger('click')
    expect(w.get('[data-test=confirm-dialog]').text()).toContain('checkpoint taken before batch 1')
    await w.get('[data-test=confirm-cancel]').trigger('click')
    expect(fake.callsOf('rollback.revertTo')).toEqual([])
    await cards[1].get('[data-test=batch-revertTo]').trigger('click')
    await w.get('[data-test=confirm-ok]').trigger('click')
    await flushPromises()
    expect(fake.callsOf('rollback.revertTo')).toEqual([{ batchId: 1 }])
    expect(w.findAll('[data-test=batch-state]').map((s) => s.text())).toEqual(['Rolled back', 'Rolled back'])
  })
})

describe('ProbePanel', () => {
  it('shows base and edited answers, top-5, the scope decision and why, the nearest edits and the experts used', async () => {
    const fake = fakeApi({ edits: 1 })
    fake.state.edits[0].status = 'applied'
    const w = await mountWith(ProbePanel, fake)
    await useStatusStore().refresh()
    await w.get('[data-test=probe-prompt]').setValue(fake.state.edits[0].prompt)
    await w.get('[data-test=probe-run]').trigger('click')
    await flushPromises()
    expect(w.get('[data-test=probe-base]').text()).toBe('Oldtown')
    expect(w.get('[data-test=probe-edited]').text()).toBe('City1')
    expect(w.get('[data-test=probe-deferred]').text()).toBe('In edit scope')
    expect(w.get('[data-test=probe-reason]').text()).toBe('distance 0.010 < threshold 0.080 (edit #1)')
    expect(w.findAll('[data-test=probe-nearest]').map((n) => n.text())).toEqual([expect.stringMatching(/^#1\s*Q: Where does person 1 live\? A: → City1\s*0\.010$/)])
    expect(w.get('[data-test=probe-allocation]').attributes('data-used')).toBe('4')
    expect(w.findAll('[data-test=probe-allocation] .layer')).toHaveLength(2)
    expect(w.find('[data-test=probe-holds]').exists()).toBe(false)
  })

  it('probing a queue row says whether the edit holds and lists its rephrases; a nearest edit links to its row', async () => {
    const fake = fakeApi({ edits: 40 })
    fake.state.edits[0] = { ...fake.state.edits[0], status: 'applied', rephrases: ['Where is person 1 living?', 'Q: Home of person 1? A:'] }
    const w = await mountWith(App, fake)
    await flushPromises()
    await w.findAll('[data-test=edit-probe]')[0].trigger('click')
    await flushPromises()
    expect(fake.callsOf('probe.edit')).toEqual([{ experimentId: 1, editId: 1 }])
    expect(w.get('[data-test=probe-holds]').text()).toContain('Edit holds')
    expect(w.findAll('[data-test=probe-rephrase]')).toHaveLength(2)
    // Scroll the queue away and filter it so the row is hidden; the link clears the filter and highlights the row.
    await w.get('[data-test=queue-search]').setValue('person 30')
    await w.get('[data-test=probe-nearest] button').trigger('click')
    await flushPromises()
    expect((w.get('[data-test=queue-search]').element as HTMLInputElement).value).toBe('')
    expect(w.get('[data-edit-id="1"]').classes()).toContain('focused')
  })
})

describe('ErrorToast + TheFrame', () => {
  it('shows a failed status call as a readable message', async () => {
    const fake = fakeApi()
    fake.failNext('app.status', { code: 'io', message: 'cannot reach the workbench server at http://127.0.0.1:7421 (fetch failed)' })
    const w = await mountWith({ components: { TheFrame, ErrorToast }, template: '<TheFrame /><ErrorToast />' }, fake)
    await useStatusStore().refresh()
    await flushPromises()
    const notice = w.get('[data-test=notice]')
    expect(notice.attributes('role')).toBe('alert')
    expect(notice.text()).toContain('Could not read the workspace status')
    expect(notice.text()).toContain('cannot reach the workbench server')
    expect(notice.text()).toContain('A file or the connection to the workbench failed.')
    await notice.get('button').trigger('click')
    expect(w.find('[data-test=notice]').exists()).toBe(false)
  })
})
