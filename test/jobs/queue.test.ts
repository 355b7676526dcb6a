// The job queue: one job at a time in order, cancel of queued and running jobs, failures as data, progress events.
import { describe, expect, it } from 'vitest'
import type { JobView } from '../../src-preload/contract'
import { JobQueue, type JobContext, type JobSpec } from '../../src-main/jobs/queue'

function setup() {
  const progress: JobView[] = []
  const finished: JobView[] = []
  const q = new JobQueue({ progress: (j) => progress.push(j), finished: (j) => finished.push(j) }, (e) => `oops: ${(e as Error).message}`)
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

  it('a job that throws ends failed with the error as its message, and the next job still runs', async () => {
    const { q } = setup()
    const bad = q.enqueue({ kind: 'evaluate', experimentId: 1, editsTotal: 0, run: async () => { throw new Error('no model') } })
    const good = q.enqueue({ kind: 'evaluate', experimentId: 1, editsTotal: 0, run: async () => ({ state: 'done', message: null }) })
    await expect(q.wait(bad.id)).resolves.toMatchObject({ state: 'failed', message: 'oops: no model' })
    await expect(q.wait(good.id)).resolves.toMatchObject({ state: 'done' })
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
