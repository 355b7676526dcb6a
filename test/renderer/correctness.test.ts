// @vitest-environment happy-dom
// Issue 13, what the analyst sees: progress of multi-edit batches, rows of a training batch, Undo with nothing to
// undo, the import dialog's refusals, selection and confirmations. Components against the in-memory ElderApi.
import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import JobBar from '../../src-renderer/components/JobBar.vue'
import { useJobsStore } from '../../src-renderer/stores/jobs'
import { fakeApi, jobView } from './fake-api'
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
