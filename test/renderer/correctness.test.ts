// @vitest-environment happy-dom
// Issue 13, what the analyst sees: progress of multi-edit batches, rows of a training batch, Undo with nothing to
// undo, the import dialog's refusals, selection and confirmations. Components against the in-memory ElderApi.
import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import ErrorToast from '../../src-renderer/components/ErrorToast.vue'
import HistoryTimeline from '../../src-renderer/components/HistoryTimeline.vue'
import JobBar from '../../src-renderer/components/JobBar.vue'
import { useJobsStore } from '../../src-renderer/stores/jobs'
import { useStatusStore } from '../../src-renderer/stores/status'
import { batchView, fakeApi, jobView } from './fake-api'
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
