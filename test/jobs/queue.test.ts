// The job queue: one job at a time in order, cancel of queued and running jobs, failures as data, progress events.
import { describe, expect, it } from 'vitest'
import type { JobView } from '../../src-preload/contract'
import { CheckpointFileError } from '../../src-main/jobs/checkpoint-file'
import { JobQueue, type JobContext, type JobSpec } from '../../src-main/jobs/queue'
import { toServiceError } from '../../src-main/service/errors'

function setup() {
  const progress: JobView[] = []
  const finished: JobView[] = []
  // The service's own table of errors, as the workspace uses it.
  const q = new JobQueue({ progress: (j) => progress.push(j), finished: (j) => finished.push(j) }, toServiceError)
  return { q, progress, finished }
}

/** A job that runs until `release()` (or its signal aborts). */
function gated(log: string[], name: string): { spec: JobSpec; release: () => void } {
  let release = (): void => undefined
  const gate = new Promise<void>((r) => (release = r))
  return {
    release: () => release(),
    spec: {
      kind: 'apply', experimentId: 1, editsTotal: 2,
      run: async (ctx: JobContext) => {
        log.push(`start ${name}`)
        ctx.progress({ step: 1, maxSteps: 2, loss: 0.5 }, true)
        await Promise.race([gate, new Promise((r) => ctx.signal.addEventListener('abort', r))])
        log.push(`end ${name}`)
        return ctx.signal.aborted ? { state: 'cancelled', message: 'stopped' } : { state: 'done', message: name }
      }
    }
  }
}

describe('JobQueue', () => {
  it('runs one job at a time, in order, and reports each one’s end', async () => {
    const { q, finished } = setup()
    const log: string[] = []
    const a = gated(log, 'a')
    const b = gated(log, 'b')
    const ja = q.enqueue(a.spec)
    const jb = q.enqueue(b.spec)
    expect([ja.id, jb.id]).toEqual([1, 2])
    await Promise.resolve()
    expect(log).toEqual(['start a'])
    expect(q.current()).toMatchObject({ id: 1, state: 'running', step: 1, loss: 0.5 })
    expect(q.busy(1)).toBe(true)
    expect(q.busy(2)).toBe(false)
    a.release()
    await expect(q.wait(1)).resolves.toMatchObject({ state: 'done', message: 'a', etaS: 0 })
    await expect.poll(() => log).toEqual(['start a', 'end a', 'start b'])
    b.release()
    await q.wait(2)
    expect(finished.map((j) => [j.id, j.state])).toEqual([[1, 'done'], [2, 'done']])
    expect(q.current()).toBeNull()
    await expect(q.wait(1)).resolves.toMatchObject({ state: 'done' }) // already finished: at once
  })

  it('cancel removes a queued job and aborts the running one; unknown ids are false', async () => {
    const { q } = setup()
    const log: string[] = []
    const a = gated(log, 'a')
    const b = gated(log, 'b')
    const ja = q.enqueue(a.spec)
    const jb = q.enqueue(b.spec)
    expect(q.cancel(jb.id)).toBe(true)
    await expect(q.wait(jb.id)).resolves.toMatchObject({ state: 'cancelled', message: 'cancelled before it started' })
    await Promise.resolve()
    expect(q.cancel(ja.id)).toBe(true)
    await expect(q.wait(ja.id)).resolves.toMatchObject({ state: 'cancelled', message: 'stopped' })
    expect(log).toEqual(['start a', 'end a'])
    expect(q.cancel(ja.id)).toBe(false)
    expect(q.cancel(99)).toBe(false)
  })

  it('a job that throws ends failed with the error as its message and code, and the next job still runs', async () => {
    const { q, finished } = setup()
    const bad = q.enqueue({ kind: 'evaluate', experimentId: 1, editsTotal: 0, run: async () => { throw new Error('no model') } })
    const corrupt = q.enqueue({ kind: 'replay', experimentId: 1, editsTotal: 1, run: async () => { throw new CheckpointFileError('checkpoint c.bin is corrupt') } })
    const good = q.enqueue({ kind: 'evaluate', experimentId: 1, editsTotal: 0, run: async () => ({ state: 'done', message: null }) })
    await expect(q.wait(bad.id)).resolves.toMatchObject({ state: 'failed', message: 'Error: no model', errorCode: 'internal' })
    // A checkpoint the user can restore is 'io', which the CLI maps to exit 2 as it does for a request.
    await expect(q.wait(corrupt.id)).resolves.toMatchObject({ state: 'failed', message: 'checkpoint c.bin is corrupt', errorCode: 'io' })
    await expect(q.wait(good.id)).resolves.toMatchObject({ state: 'done', errorCode: null })
    expect(finished.map((j) => j.errorCode)).toEqual(['internal', 'io', null])
  })

  it('a job that returns a failure keeps its code; done and cancelled jobs have none', async () => {
    const { q } = setup()
    const failed = q.enqueue({
      kind: 'apply', experimentId: 1, editsTotal: 1, run: async () => ({ state: 'failed', message: 'batch 1 failed: row too long', code: 'invalid_request' })
    })
    await expect(q.wait(failed.id)).resolves.toMatchObject({ state: 'failed', errorCode: 'invalid_request' })
    const log: string[] = []
    const a = gated(log, 'a')
    const ja = q.enqueue(a.spec)
    await Promise.resolve()
    q.cancel(ja.id)
    await expect(q.wait(ja.id)).resolves.toMatchObject({ state: 'cancelled', errorCode: null })
  })

  it('spaces progress events unless forced', async () => {
    const { q, progress } = setup()
    const job = q.enqueue({
      kind: 'apply', experimentId: 1, editsTotal: 100,
      run: async (ctx) => {
        for (let i = 1; i <= 100; i++) ctx.progress({ step: i })
        ctx.progress({ editsDone: 100 }, true)
        return { state: 'done', message: null }
      }
    })
    await q.wait(job.id)
    const steps = progress.filter((j) => j.state === 'running')
    expect(steps.length).toBeLessThan(10) // queued→running, the first step, the forced last one
    expect(steps.at(-1)).toMatchObject({ step: 100, editsDone: 100 })
  })
})
