// @vitest-environment happy-dom
// Pinia setup stores against the in-memory ElderApi: every service failure ends up as a notice, events refresh
// what they concern, and the queue holds 10,000+ rows without deep reactivity.
import { flushPromises } from '@vue/test-utils'
import { isReactive } from 'vue'
import { beforeEach, describe, expect, it } from 'vitest'
import { coalesce } from '../../src-renderer/coalesce'
import { useHistoryStore } from '../../src-renderer/stores/history'
import { useJobsStore } from '../../src-renderer/stores/jobs'
import { useNoticesStore } from '../../src-renderer/stores/notices'
import { useProbeStore } from '../../src-renderer/stores/probe'
import { useQueueStore } from '../../src-renderer/stores/queue'
import { useStatusStore } from '../../src-renderer/stores/status'
import { batchView, editView, fakeApi, jobView } from './fake-api'
import { storeContext } from './setup'

beforeEach(() => localStorage.clear())

async function ready(edits = 0) {
  const { fake } = storeContext(fakeApi({ edits }))
  const status = useStatusStore()
  const queue = useQueueStore()
  await status.refresh()
  await flushPromises()
  return { fake, status, queue, notices: useNoticesStore() }
}

describe('queue store', () => {
  it('loads 12,000 edits in pages of 10,000 into a shallow (non-deep-reactive) list', async () => {
    const { fake, queue } = await ready(12_000)
    await queue.load()
    expect(queue.rows).toHaveLength(12_000)
    expect(isReactive(queue.rows[0])).toBe(false)
    const pages = fake.callsOf('edits.list') as Array<{ offset: number; limit: number }>
    expect(pages.slice(-2)).toEqual([
      { experimentId: 1, offset: 0, limit: 10_000 },
      { experimentId: 1, offset: 10_000, limit: 10_000 }
    ])
    expect(queue.counts.queued).toBe(12_000)
  })

  it('filters by status and search text', async () => {
    const { fake, queue } = await ready(3)
    fake.state.edits[1].status = 'applied'
    await queue.load()
    queue.filter = 'applied'
    expect(queue.visible.map((r) => r.id)).toEqual([2])
    queue.filter = 'all'
    queue.search = 'city3'
    expect(queue.visible.map((r) => r.id)).toEqual([3])
  })

  it('adds, updates and deletes through the API', async () => {
    const { fake, queue } = await ready(2)
    expect(await queue.add({ prompt: 'The capital of Zed is', target: 'Quorn' })).toBe(true)
    expect(queue.rows.at(-1)).toMatchObject({ id: 3, prompt: 'The capital of Zed is', target: 'Quorn', status: 'queued' })
    expect(await queue.update(3, { target: 'Quorm' })).toBe(true)
    expect(queue.rows.at(-1)?.target).toBe('Quorm')
    expect(await queue.remove([1])).toBe(true)
    expect(queue.rows.map((r) => r.id)).toEqual([2, 3])
    expect(fake.callsOf('edits.delete')).toEqual([{ ids: [1] }])
  })

  it('reports a refused add as a readable notice and keeps the queue', async () => {
    const { fake, queue, notices } = await ready(2)
    fake.failNext('edits.add', { code: 'invalid_request', message: 'edits.0.target: Too small: expected string to have >=1 characters' })
    expect(await queue.add({ prompt: 'p', target: 't' })).toBe(false)
    expect(notices.items).toEqual([
      expect.objectContaining({ kind: 'error', title: 'Could not add the edit', detail: 'edits.0.target: Too small: expected string to have >=1 characters', code: 'invalid_request' })
    ])
    expect(queue.rows).toHaveLength(2)
  })

  it('starts apply jobs with the batch size (remembered) and tracks the job', async () => {
    const { fake, queue } = await ready(5)
    queue.batchSize = 3
    await flushPromises()
    expect(localStorage.getItem('elder.batchSize')).toBe('3')
    await queue.apply(1)
    await queue.apply(null)
    expect(fake.callsOf('jobs.apply')).toEqual([
      { experimentId: 1, batchSize: 3, batches: 1 },
      { experimentId: 1, batchSize: 3, batches: null }
    ])
    expect(useJobsStore().job).toMatchObject({ id: 2, state: 'running' })
  })

  it('reloads when the service says the edits changed', async () => {
    const { fake, queue } = await ready(1)
    await queue.load()
    fake.state.edits.push(editView(2))
    fake.emit({ type: 'edits.changed', experimentId: 1 })
    await flushPromises()
    expect(queue.rows.map((r) => r.id)).toEqual([1, 2])
  })
})

describe('jobs store', () => {
  it('follows progress events, collects the loss curve and reports a failed job', async () => {
    const { fake, notices } = await ready()
    const jobs = useJobsStore()
    fake.emit({ type: 'job.progress', job: jobView({ step: 1, loss: 2.5 }) })
    fake.emit({ type: 'job.progress', job: jobView({ step: 2, loss: 1.25 }) })
    expect(jobs.job?.step).toBe(2)
    expect(jobs.losses).toEqual([2.5, 1.25])
    expect(jobs.active).toBe(true)
    fake.emit({ type: 'job.finished', job: jobView({ state: 'failed', message: 'engine process exited (code 137)' }) })
    expect(jobs.active).toBe(false)
    expect(notices.items.at(-1)).toMatchObject({ title: 'The apply job #1 failed', detail: 'engine process exited (code 137)' })
    fake.emit({ type: 'job.progress', job: jobView({ id: 9, loss: 3 }) })
    expect(jobs.losses).toEqual([3])
  })

  it('keeps a finished job finished when its start answer arrives late', async () => {
    const { fake } = await ready()
    const jobs = useJobsStore()
    fake.emit({ type: 'job.finished', job: jobView({ id: 3, state: 'done', editsDone: 1 }) })
    jobs.track(jobView({ id: 3, state: 'queued' }))
    expect(jobs.job).toMatchObject({ id: 3, state: 'done' })
    jobs.track(jobView({ id: 4, state: 'queued' }))
    expect(jobs.job).toMatchObject({ id: 4, state: 'queued' })
  })

  it('cancels the running job', async () => {
    const { fake } = await ready()
    const jobs = useJobsStore()
    fake.state.job = jobView({ id: 4 })
    await jobs.refresh()
    await jobs.cancel()
    expect(fake.callsOf('jobs.cancel')).toEqual([{ jobId: 4 }])
  })
})

describe('history store', () => {
  it('lists batches newest first and runs a rollback with its own pending state', async () => {
    const { fake } = await ready()
    fake.state.batches = [batchView(1), batchView(2)]
    const history = useHistoryStore()
    await history.load()
    expect(history.batches.map((b) => b.seq)).toEqual([2, 1])
    const done = history.rollback('revertTo', history.batches[1])
    expect(history.pending).toEqual({ batchId: 1, action: 'revertTo' })
    expect(await done).toBe(true)
    expect(history.pending).toBeNull()
    expect(fake.callsOf('rollback.revertTo')).toEqual([{ batchId: 1 }])
    expect(history.batches.map((b) => b.state)).toEqual(['rolled_back', 'rolled_back'])
  })

  it('revert-only stays pending until its replay job ends; disable/enable call their methods; failures become notices', async () => {
    const { fake, notices } = await ready()
    fake.state.batches = [batchView(1)]
    const history = useHistoryStore()
    await history.load()
    await history.rollback('revertOnly', history.batches[0])
    expect(useJobsStore().job).toMatchObject({ id: 1, kind: 'replay' })
    expect(history.pending).toEqual({ batchId: 1, action: 'revertOnly', jobId: 1 })
    fake.emit({ type: 'job.finished', job: jobView({ id: 1, kind: 'replay', state: 'done' }) })
    expect(history.pending).toBeNull()
    await history.rollback('disable', history.batches[0])
    expect(history.batches[0].state).toBe('disabled')
    await history.rollback('enable', history.batches[0])
    expect(history.batches[0].state).toBe('applied')
    fake.failNext('rollback.disable', { code: 'busy', message: 'a job is running' })
    expect(await history.rollback('disable', history.batches[0])).toBe(false)
    expect(notices.items.at(-1)).toMatchObject({ title: 'Could not disable batch 1', detail: 'a job is running', code: 'busy' })
  })
})

describe('probe store', () => {
  it('probes the prompt and asks again when the batches change', async () => {
    const { fake } = await ready(1)
    const probe = useProbeStore()
    await probe.run(fake.state.edits[0].prompt)
    expect(probe.result?.edited.answer).toBe('Oldtown')
    fake.state.edits[0].status = 'applied'
    fake.emit({ type: 'batches.changed', experimentId: 1 })
    await flushPromises()
    expect(probe.result?.edited.answer).toBe('City1')
    expect(fake.callsOf('probe')).toHaveLength(2)
  })

  it('does not probe a busy engine while a job trains, and asks again when the job finishes', async () => {
    const { fake } = await ready(1)
    const probe = useProbeStore()
    await probe.run(fake.state.edits[0].prompt)
    fake.emit({ type: 'job.progress', job: jobView({ step: 3 }) })
    fake.emit({ type: 'batches.changed', experimentId: 1 })
    await flushPromises()
    expect(fake.callsOf('probe')).toHaveLength(1)
    fake.state.edits[0].status = 'applied'
    fake.emit({ type: 'job.finished', job: jobView({ state: 'done' }) })
    await flushPromises()
    expect(fake.callsOf('probe')).toHaveLength(2)
    expect(probe.result?.edited.answer).toBe('City1')
    expect(useNoticesStore().items).toEqual([])
  })
})

describe('notices store', () => {
  it('turns a rejected call (a dropped bridge) into an internal-error notice', async () => {
    storeContext()
    const notices = useNoticesStore()
    await expect(notices.guard('Could not load', Promise.reject(new Error('socket hang up')))).resolves.toBeUndefined()
    expect(notices.items).toEqual([expect.objectContaining({ title: 'Could not load', detail: 'socket hang up', code: 'internal' })])
  })
})

describe('coalesce', () => {
  it('runs a burst of calls at most twice, the second after the first', async () => {
    const order: string[] = []
    let runs = 0
    const reload = coalesce(async () => {
      const n = ++runs
      order.push(`start ${n}`)
      await new Promise((r) => setTimeout(r, 5))
      order.push(`end ${n}`)
    })
    await Promise.all([reload(), reload(), reload(), reload()])
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2'])
  })
})
