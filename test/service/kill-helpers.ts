// Shared by test/service/kill.test.ts and scripts/stress-kill.ts: start an apply job, SIGKILL the engine process
// once the batch has run a few steps, and wait for the job to end.
import type { JobView } from '../../src-preload/contract'
import type { Service } from '../../src-main/service'

export async function killMidBatch(svc: Service, experimentId: number, atStep = 3): Promise<{ job: JobView; pid: number }> {
  const r = await svc['jobs.apply']({ experimentId, batchSize: 2, batches: 1 })
  if (!r.ok) throw new Error(`jobs.apply: ${r.error.message}`)
  let pid = -1
  const off = svc.onEvent((e) => {
    if (pid !== -1 || e.type !== 'job.progress' || e.job.id !== r.value.id || e.job.step < atStep) return
    pid = svc.enginePid() ?? -1
    process.kill(pid, 'SIGKILL')
  })
  try {
    const job = await svc.waitForJob(r.value.id)
    if (pid === -1) throw new Error(`job ${job.id} ended (${job.state}: ${job.message}) before step ${atStep}; nothing was killed`)
    return { job, pid }
  } finally {
    off()
  }
}
