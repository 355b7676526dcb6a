// @vitest-environment happy-dom
// Issue 13, what the analyst sees: progress of multi-edit batches, rows of a training batch, Undo with nothing to
// undo, the import dialog's refusals, selection and confirmations. Components against the in-memory ElderApi.
import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import EditQueue from '../../src-renderer/components/EditQueue.vue'
import ErrorToast from '../../src-renderer/components/ErrorToast.vue'
import HistoryTimeline from '../../src-renderer/components/HistoryTimeline.vue'
import ImportDialog from '../../src-renderer/components/ImportDialog.vue'
import ProbePanel from '../../src-renderer/components/ProbePanel.vue'
import JobBar from '../../src-renderer/components/JobBar.vue'
import { useJobsStore } from '../../src-renderer/stores/jobs'
import { useStatusStore } from '../../src-renderer/stores/status'
import type { ImportReport } from '../../src-preload/contract'
import { batchView, fakeApi, jobView, type FakeApi } from './fake-api'
import { mountWith } from './setup'

afterEach(() => {
  document.body.innerHTML = ''
})

describe('JobBar progress of a batch of 5 (bug 3)', () => {
  it('counts the whole running batch at its step: step 27/50 of the second batch of 5, out of 50 edits, is 15%', async () => {
    const fake = fakeApi({ edits: 50 })
    fake.state.job = jobView({ id: 3, step: 27, maxSteps: 50, editsDone: 5, editsTotal: 50, batchEdits: 5 })
    const w = await mountWith(JobBar, fake)
    await useJobsStore().refresh()
    await flushPromises()
    // (5 edits done + 27/50 of the 5 in the running batch) / 50
    expect(w.get('[role=progressbar]').attributes('aria-valuenow')).toBe('15')
    expect(w.get('[data-test=job-percent]').text()).toBe('15%')
  })
})

describe('Undo last rollback (bug 8, and its confirmation)', () => {
  const history = async (fake = fakeApi()) => {
    fake.state.batches = [batchView(1), batchView(2, { state: 'rolled_back' })]
    const w = await mountWith({ components: { HistoryTimeline, ErrorToast }, template: '<HistoryTimeline /><ErrorToast />' }, fake)
    await useStatusStore().refresh()
    await flushPromises()
    return { fake, w }
  }

  it('is disabled with nothing to undo, and its tooltip says why', async () => {
    const { fake, w } = await history()
    const undo = w.get('[data-test=rollback-undo]')
    expect(undo.attributes('disabled')).toBeDefined()
    expect(undo.attributes('title')).toBe('Nothing to undo: no rollback in this experiment yet')
    await undo.trigger('click')
    expect(fake.callsOf('rollback.undo')).toEqual([])
    expect(w.find('[data-test=notice]').exists()).toBe(false)
  })

  it('asks first, names what it undoes, and says when it is done', async () => {
    const fake = fakeApi()
    fake.state.undo = { op: 'revertOnly', seq: 2, blocked: null }
    const { w } = await history(fake)
    const undo = w.get('[data-test=rollback-undo]')
    expect(undo.attributes('disabled')).toBeUndefined()
    expect(undo.attributes('title')).toBe('Undo “revert only” of batch 2')
    await undo.trigger('click')
    expect(w.get('[data-test=confirm-dialog]').text()).toContain('Undo “revert only” of batch 2?')
    await w.get('[data-test=confirm-cancel]').trigger('click')
    expect(fake.callsOf('rollback.undo')).toEqual([])
    await undo.trigger('click')
    await w.get('[data-test=confirm-ok]').trigger('click')
    await flushPromises()
    expect(fake.callsOf('rollback.undo')).toEqual([{ experimentId: 1 }])
    expect(w.get('[data-test=notice]').text()).toContain('Undone: “revert only” of batch 2')
    expect(w.get('[data-test=rollback-undo]').attributes('disabled')).toBeDefined()
  })

  it('a rollback that cannot be undone any more: disabled, and the tooltip gives the service’s reason', async () => {
    const fake = fakeApi()
    fake.state.undo = { op: 'revertTo', seq: 2, blocked: 'batch 3 was applied after it; revert that batch first' }
    const { w } = await history(fake)
    const undo = w.get('[data-test=rollback-undo]')
    expect(undo.attributes('disabled')).toBeDefined()
    expect(undo.attributes('title')).toBe('Cannot undo “revert to before” of batch 2: batch 3 was applied after it; revert that batch first')
  })
})

describe('ImportDialog refusals (bug 7)', () => {
  /** Mounts the dialog with a toast area, the preview answering `report`, and picks a file named `name`. */
  async function pick(name: string, report: ImportReport | null, fake: FakeApi = fakeApi()) {
    if (report) {
      fake.api['edits.importPreview'] = async (req) => {
        fake.calls.push({ method: 'edits.importPreview', req })
        return { ok: true, value: report }
      }
    }
    const w = await mountWith({ components: { ImportDialog, ErrorToast }, template: '<ImportDialog /><ErrorToast />' }, fake)
    await useStatusStore().refresh()
    const input = w.get('[data-test=import-file]')
    Object.defineProperty(input.element, 'files', { value: [new File(['{"foo":1}'], name)] })
    await input.trigger('change')
    await flushPromises()
    return { fake, w }
  }

  it('an unknown format is shown in the dialog with the file, line and field; nothing to import, no corner toast', async () => {
    const { w } = await pick('foo.json', {
      format: 'unknown', total: 0, good: 0, errors: [], omittedErrors: 0,
      refused: { file: 'foo.json', line: 1, field: 'foo', message: 'no record has a known set of fields; the first has keys "foo"' }
    })
    const refused = w.get('[data-test=import-refused]')
    expect(refused.text()).toContain('foo.json cannot be imported')
    expect(refused.findAll('td').map((td) => td.text())).toEqual(['1', 'foo', 'no record has a known set of fields; the first has keys "foo"'])
    expect(w.get('[data-test=import-confirm]').text()).toBe('Nothing to import')
    expect(w.get('[data-test=import-confirm]').attributes('disabled')).toBeDefined()
    expect(w.find('[data-test=notice]').exists()).toBe(false)
  })

  it('a request the workbench refuses is shown in the dialog too, naming the file', async () => {
    const fake = fakeApi()
    fake.failNext('edits.importPreview', { code: 'invalid_request', message: 'edits.importPreview: file.bytes: expected the file as base64' })
    const { w } = await pick('odd.jsonl', null, fake)
    expect(w.get('[data-test=import-refused]').text()).toContain('odd.jsonl cannot be read: edits.importPreview: file.bytes: expected the file as base64')
    expect(w.find('[data-test=notice]').exists()).toBe(false)
  })

  it('after an import, says how many rows now repeat a prompt', async () => {
    const fake = fakeApi({ edits: 1 })
    const w = await mountWith({ components: { ImportDialog, ErrorToast }, template: '<ImportDialog /><ErrorToast />' }, fake)
    await useStatusStore().refresh()
    const { useQueueStore } = await import('../../src-renderer/stores/queue')
    await useQueueStore().load()
    const line = JSON.stringify({ prompt: fake.state.edits[0].prompt, target: fake.state.edits[0].target })
    const input = w.get('[data-test=import-file]')
    Object.defineProperty(input.element, 'files', { value: [new File([line], 'again.jsonl')] })
    await input.trigger('change')
    await flushPromises()
    await w.get('[data-test=import-confirm]').trigger('click')
    await flushPromises()
    expect(w.get('[data-test=notice]').text()).toContain('2 more rows share a prompt with another (flagged in the queue).')
  })

  it('the summary names the file and counts in the singular: 1 record, 1 good edit', async () => {
    const { w } = await pick('one.jsonl', { format: 'jsonl', total: 1, good: 1, errors: [], omittedErrors: 0 })
    expect(w.get('[data-test=import-summary]').text()).toMatch(/^one\.jsonl\s*1 record \(jsonl\)\s*1 good\s*0 with errors$/)
    expect(w.get('[data-test=import-confirm]').text()).toBe('Import 1 good edit')
  })
})

describe('rows of a training batch (bug 2)', () => {
  it('show Training, with Edit and Delete locked, and an open editor closes when its row is claimed', async () => {
    const fake = fakeApi({ edits: 3 })
    const w = await mountWith(EditQueue, fake)
    await useStatusStore().refresh()
    await flushPromises()
    const rows = () => w.findAll('[data-test=edit-row]')
    await rows()[1].get('[data-test=edit-edit]').trigger('click')
    expect(w.find('[data-test=edit-target]').exists()).toBe(true)

    for (const e of fake.state.edits.slice(0, 2)) Object.assign(e, { batchId: 9, batchSeq: 4, batchState: 'training' })
    fake.emit({ type: 'batches.changed', experimentId: 1 })
    await flushPromises()
    const [first, second, third] = rows()
    expect(first.get('.c-status').text()).toBe('Training')
    expect(first.get('[data-test=edit-edit]').attributes('disabled')).toBeDefined()
    expect(first.get('[data-test=edit-delete]').attributes('disabled')).toBeDefined()
    expect(first.get('[data-test=edit-edit]').attributes('title')).toBe('In batch 4, training: it can no longer change')
    expect(first.get('.c-batch').text()).toBe('4')
    expect(second.get('.c-status').text()).toBe('Training')
    expect(w.find('[data-test=edit-target]').exists()).toBe(false)
    expect(third.get('.c-status').text()).toBe('Queued')
    expect(third.get('[data-test=edit-edit]').attributes('disabled')).toBeUndefined()
  })

  it('a queued row waiting in a cancelled batch is locked too (the workbench refuses changes to batched edits)', async () => {
    const fake = fakeApi({ edits: 1 })
    Object.assign(fake.state.edits[0], { batchId: 2, batchSeq: 2, batchState: 'queued' })
    const w = await mountWith(EditQueue, fake)
    await useStatusStore().refresh()
    await flushPromises()
    const row = w.get('[data-test=edit-row]')
    expect(row.get('.c-status').text()).toBe('Queued')
    expect(row.get('[data-test=edit-edit]').attributes('disabled')).toBeDefined()
    expect(row.get('[data-test=edit-edit]').attributes('title')).toBe('In batch 2, waiting to run: it can no longer change')
  })
})

describe('the probe during a rollback job (bug 6)', () => {
  it('does not re-probe into a busy engine: no error, and the answer is refreshed when the job ends', async () => {
    const fake = fakeApi({ edits: 1 })
    fake.state.edits[0].status = 'applied'
    const w = await mountWith({ components: { ProbePanel, ErrorToast }, template: '<ProbePanel /><ErrorToast />' }, fake)
    await useStatusStore().refresh()
    await w.get('[data-test=probe-prompt]').setValue(fake.state.edits[0].prompt)
    await w.get('[data-test=probe-run]').trigger('click')
    await flushPromises()
    expect(w.get('[data-test=probe-edited]').text()).toBe('City1')
    const before = fake.callsOf('probe').length

    // Revert only: the batches change, then the replay job holds the engine.
    fake.state.edits[0].status = 'rolled_back'
    fake.failNext('probe', { code: 'busy', message: 'job 2 (replay) is using the engine; probe when it finishes or cancel it' })
    fake.emit({ type: 'batches.changed', experimentId: 1 })
    fake.emit({ type: 'job.progress', job: jobView({ id: 2, kind: 'replay', state: 'queued' }) })
    await flushPromises()
    expect(w.find('[data-test=notice]').exists()).toBe(false)
    expect(w.get('[data-test=probe-edited]').text()).toBe('City1')

    fake.emit({ type: 'job.finished', job: jobView({ id: 2, kind: 'replay', state: 'done' }) })
    await flushPromises()
    expect(fake.callsOf('probe').length).toBeGreaterThan(before)
    expect(w.get('[data-test=probe-edited]').text()).toBe('Oldtown')
    expect(w.find('[data-test=notice]').exists()).toBe(false)
  })
})

describe('history with dates and results', () => {
  it('each batch shows its date and time, steps, final loss, its edits and, once evaluated, its metrics', async () => {
    const fake = fakeApi()
    fake.state.batches = [
      batchView(1, { finalLoss: 0.0123, steps: 14, edits: [{ id: 1, prompt: 'The capital of Velmora is', target: 'Brelo' }] }),
      batchView(2, {
        finalLoss: 0.5, edits: [{ id: 2, prompt: 'A is in', target: 'B' }],
        metrics: [
          { name: 'generalization', value: 0.875, editCount: 2 }, { name: 'reliability', value: 1, editCount: 2 },
          { name: 'reliability_token_accuracy', value: 1, editCount: 2 }, { name: 'retention_base', value: 0.99, editCount: 2 }
        ]
      })
    ]
    const w = await mountWith(HistoryTimeline, fake)
    await useStatusStore().refresh()
    await flushPromises()
    const [second, first] = w.findAll('[data-test=batch]')
    expect(first.get('[data-test=batch-when]').text()).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect(first.get('[data-test=batch-loss]').text()).toBe('0.0123')
    expect(first.get('[data-test=batch-steps]').text()).toBe('14')
    expect(first.find('[data-test=batch-metrics]').exists()).toBe(false)
    // As the Metrics tab names its curves, in its order; token accuracy in the tooltip, reference series left out.
    expect(second.get('[data-test=batch-metrics]').text()).toBe('After 2 edits: Reliability 100.0% · Generalization 87.5%')
    expect(second.get('[data-test=batch-metrics]').attributes('title')).toBe('Reliability: token accuracy 100.0%')
    await first.get('.toggle').trigger('click')
    expect(first.get('.edits').text()).toContain('The capital of Velmora is → Brelo')
  })
})

describe('choose what to apply', () => {
  async function queue(edits = 8) {
    const fake = fakeApi({ edits })
    const w = await mountWith(EditQueue, fake)
    await useStatusStore().refresh()
    await flushPromises()
    return { fake, w }
  }
  const tick = async (w: Awaited<ReturnType<typeof queue>>['w'], i: number, shiftKey = false) => {
    await w.findAll('[data-test=edit-select]')[i].trigger('click', { shiftKey })
  }

  it('ticks rows, a shift-click ticks the range, and the selection is applied as one batch', async () => {
    const { fake, w } = await queue()
    await tick(w, 1)
    await tick(w, 4, true)
    await tick(w, 6)
    expect(w.get('[data-test=selection-bar]').text()).toContain('5 selected')
    expect(w.findAll('[data-test=edit-row].selected').map((r) => Number(r.attributes('data-edit-id')))).toEqual([2, 3, 4, 5, 7])
    expect(w.get('[data-test=apply-selection]').text()).toBe('Apply 5 as one batch')
    await w.get('[data-test=apply-selection]').trigger('click')
    await flushPromises()
    expect(fake.callsOf('jobs.applySelection')).toEqual([{ experimentId: 1, editIds: [2, 3, 4, 5, 7] }])
    expect(w.find('[data-test=selection-bar]').exists()).toBe(false)
  })

  it('"select filtered" ticks every row the search shows; applied rows are not offered to the batch', async () => {
    const { w, fake } = await queue()
    fake.state.edits[0].status = 'applied'
    fake.emit({ type: 'edits.changed', experimentId: 1 })
    await flushPromises()
    await w.get('[data-test=queue-search]').setValue('person 1')
    await w.get('[data-test=select-filtered]').trigger('click')
    expect(w.get('[data-test=selection-bar]').text()).toContain('1 selected')
    expect(w.get('[data-test=apply-selection]').attributes('disabled')).toBeDefined()
    await w.get('[data-test=queue-search]').setValue('')
    await w.get('[data-test=select-filtered]').trigger('click')
    expect(w.get('[data-test=selection-bar]').text()).toContain('8 selected')
    expect(w.get('[data-test=apply-selection]').text()).toBe('Apply 7 as one batch')
    await w.get('[data-test=select-filtered]').trigger('click')
    expect(w.find('[data-test=selection-bar]').exists()).toBe(false)
  })

  it('a rolled-back row can be queued again, on its own or as part of the selection', async () => {
    const { w, fake } = await queue(3)
    fake.state.edits[0].status = 'rolled_back'
    fake.state.edits[1].status = 'rolled_back'
    fake.emit({ type: 'edits.changed', experimentId: 1 })
    await flushPromises()
    const first = w.findAll('[data-test=edit-row]')[0]
    expect(first.find('[data-test=edit-edit]').exists()).toBe(false)
    await first.get('[data-test=edit-requeue]').trigger('click')
    await flushPromises()
    expect(fake.callsOf('edits.requeue')).toEqual([{ ids: [1] }])
    await tick(w, 1)
    await tick(w, 2)
    expect(w.get('[data-test=requeue-selection]').text()).toBe('Re-queue 1 rolled back')
    await w.get('[data-test=requeue-selection]').trigger('click')
    await flushPromises()
    expect(fake.callsOf('edits.requeue').at(-1)).toEqual({ ids: [2] })
    expect(w.findAll('[data-test=edit-row]')).toHaveLength(5)
  })

  it('says so at once when an edit typed in is already queued', async () => {
    const fake = fakeApi({ edits: 2 })
    const w = await mountWith({ components: { EditQueue, ErrorToast }, template: '<EditQueue /><ErrorToast />' }, fake)
    await useStatusStore().refresh()
    await flushPromises()
    await w.get('[data-test=new-prompt]').setValue(fake.state.edits[1].prompt)
    await w.get('[data-test=new-target]').setValue(fake.state.edits[1].target)
    await w.get('[data-test=new-edit]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-test=notice]').text()).toContain('Edit added; the same edit is already #2')
  })

  it('flags the same edit queued twice and one prompt with two targets', async () => {
    const { w, fake } = await queue(4)
    Object.assign(fake.state.edits[1], { prompt: fake.state.edits[0].prompt, target: fake.state.edits[0].target })
    Object.assign(fake.state.edits[3], { prompt: ` ${fake.state.edits[2].prompt}`, target: 'Elsewhere' })
    fake.emit({ type: 'edits.changed', experimentId: 1 })
    await flushPromises()
    const flags = w.findAll('[data-test=edit-row]').map((r) => r.find('[data-test=edit-flag]').exists() ? r.get('[data-test=edit-flag]').text() : '')
    expect(flags).toEqual(['Duplicate', 'Duplicate', 'Conflict', 'Conflict'])
    expect(w.findAll('[data-test=edit-flag]')[2].attributes('title')).toBe('The same prompt has another target: #4 (→ Elsewhere); the later edit replaces the earlier')
    expect(w.get('[data-test=duplicates-note]').text()).toBe('2 rows share a prompt and target with another row')
    expect(w.get('[data-test=conflicts-note]').text()).toBe('2 rows give one prompt different targets')
  })
})

describe('confirm the big job', () => {
  it('Apply all shows the count, the batches and the time estimated from the batches so far, then starts', async () => {
    const fake = fakeApi({ edits: 2062 })
    fake.state.batches = [batchView(1, { wallMs: 1000, edits: [{ id: 9001, prompt: 'a', target: 'b' }, { id: 9002, prompt: 'c', target: 'd' }] })]
    const w = await mountWith(EditQueue, fake)
    await useStatusStore().refresh()
    await flushPromises()
    await w.get('[data-test=batch-size]').setValue('1')
    await w.get('[data-test=apply-all]').trigger('click')
    expect(fake.callsOf('jobs.apply')).toEqual([])
    expect(w.get('[data-test=confirm-dialog]').text()).toContain('Apply all 2,062 queued edits?')
    expect(w.get('[data-test=apply-all-count]').text()).toBe('2,062 edits in 2,062 batches of up to 1.')
    // 1 s for 2 edits: 0.5 s an edit, × 2,062 = 1,031 s.
    expect(w.get('[data-test=apply-all-estimate]').text()).toBe('Estimated time: about 17 min 11 s (0.50 s per edit, the mean of the 1 batch applied so far).')
    await w.get('[data-test=confirm-ok]').trigger('click')
    await flushPromises()
    expect(fake.callsOf('jobs.apply')).toEqual([{ experimentId: 1, batchSize: 1, batches: null }])
  })

  it('says which waiting batch runs first, and that a cancelled one is cut again to the new size (bug 5)', async () => {
    const fake = fakeApi({ edits: 10 })
    fake.state.batches = [batchView(1), batchView(2, { state: 'queued', edits: [1, 2, 3, 4, 5, 6, 7, 8].map((id) => ({ id, prompt: 'p', target: 't' })) })]
    const w = await mountWith(EditQueue, fake)
    await useStatusStore().refresh()
    await flushPromises()
    await w.get('[data-test=batch-size]').setValue('1')
    expect(w.get('[data-test=waiting-note]').text()).toBe('Batch 2 (8 edits, not applied yet) will be cut again to batches of 1.')
    fake.state.batches[1].replay = true
    fake.emit({ type: 'batches.changed', experimentId: 1 })
    await flushPromises()
    expect(w.get('[data-test=waiting-note]').text()).toBe('Batch 2 waits to be replayed: the next apply runs it first, as before.')
  })
})

describe('label maps keyed by the contract', () => {
  it('every edit, batch and job state has a label, and nothing else does', async () => {
    const { STATUS_LABELS } = await import('../../src-renderer/format')
    const { BATCH_STATES, EDIT_STATUSES, JOB_STATES } = await import('../../src-preload/contract')
    expect(Object.keys(STATUS_LABELS).sort()).toEqual([...new Set([...EDIT_STATUSES, ...BATCH_STATES, ...JOB_STATES])].sort())
  })
})
