// @vitest-environment happy-dom
// Tracking stores against the in-memory ElderApi: the running batch's loss-per-step and s/edit series built from
// job.progress events, and the queue's edit-health filter.
import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { useQueueStore } from '../../src-renderer/stores/queue'
import { useRunningBatchStore } from '../../src-renderer/stores/running-batch'
import { useStatusStore } from '../../src-renderer/stores/status'
import { editView, fakeApi, jobView } from './fake-api'
import { storeContext } from './setup'

describe('running batch store', () => {
  it('loss per step restarts with each batch; each finished batch adds its seconds per edit', () => {
    storeContext(fakeApi())
    const rb = useRunningBatchStore()
    rb.seen(jobView({ id: 3, step: 0, message: 'batch 1: 2 edit(s)', editsTotal: 4 }), 0)
    rb.seen(jobView({ id: 3, step: 1, loss: 4, message: 'batch 1: 2 edit(s)' }), 100)
    rb.seen(jobView({ id: 3, step: 2, loss: 1, message: 'batch 1: 2 edit(s)' }), 200)
    expect(rb.lossBySteps).toEqual([[1, 4], [2, 1]])
    rb.seen(jobView({ id: 3, step: 2, loss: 1, editsDone: 2, message: 'batch 1: 2 edit(s)' }), 3000)
    expect(rb.secondsPerEdit).toEqual([[2, 1.5]])
    rb.seen(jobView({ id: 3, step: 0, editsDone: 2, message: 'batch 2: 2 edit(s)' }), 4000)
    expect(rb.lossBySteps).toEqual([])
    expect(rb.batchLabel).toBe('batch 2: 2 edit(s)')
    rb.seen(jobView({ id: 3, step: 1, loss: 2, editsDone: 2, message: 'batch 2: 2 edit(s)' }), 4100)
    rb.seen(jobView({ id: 3, state: 'done', step: 1, loss: 2, editsDone: 4, message: 'batch 2: 2 edit(s)' }), 5000)
    expect(rb.secondsPerEdit).toEqual([[2, 1.5], [4, 0.5]])
    // An evaluate job leaves the apply job's curves alone; a new apply job starts fresh.
    rb.seen(jobView({ id: 4, kind: 'evaluate', step: 3, loss: null }), 6000)
    expect(rb.secondsPerEdit).toHaveLength(2)
    rb.seen(jobView({ id: 5, step: 0, message: 'batch 3: 1 edit(s)' }), 7000)
    expect(rb.secondsPerEdit).toEqual([])
  })
})

describe('queue health filter', () => {
  it('shows only the applied edits that hold, or that slipped', async () => {
    const fake = fakeApi()
    fake.state.edits = [
      editView(1, { status: 'applied', health: 'holds' }),
      editView(2, { status: 'applied', health: 'slipped' }),
      editView(3, { status: 'queued' })
    ]
    storeContext(fake)
    await useStatusStore().refresh()
    const queue = useQueueStore()
    await queue.load()
    await flushPromises()
    expect(queue.visible.map((r) => r.id)).toEqual([1, 2, 3])
    queue.health = 'slipped'
    expect(queue.visible.map((r) => r.id)).toEqual([2])
    queue.health = 'holds'
    expect(queue.visible.map((r) => r.id)).toEqual([1])
  })
})
