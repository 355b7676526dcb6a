// Stress: SIGKILL the engine process mid-batch N times (default 20) through the service, checking after each kill
// that the batch is `interrupted`, no edit changed, `PRAGMA integrity_check` is ok and the previous checkpoint
// is still the active one; then the batch must re-run to `applied` on a fresh process.
//   node --import tsx scripts/stress-kill.ts [--kills N]
// Exits 1 at the first broken invariant, naming it. (test/service/kill.test.ts runs the same check 5 times.)
import { parseArgs } from 'node:util'
import { listCheckpoints, listEdits } from '../src-main/store'
import { applyAndWait, EDITS, ok, testWorkspace } from '../test/service/helpers'
import { killMidBatch } from '../test/service/kill-helpers'

const { values } = parseArgs({ options: { kills: { type: 'string', default: '20' } } })
const kills = Number(values.kills)
if (!Number.isInteger(kills) || kills < 1) throw new Error(`--kills must be a positive integer, got "${values.kills}"`)

function check(cond: boolean, what: string): void {
  if (!cond) {
    process.stderr.write(`stress-kill: FAILED: ${what}\n`)
    process.exit(1)
  }
}

const ws = await testWorkspace({ lr: 1e-2, maxSteps: 200, earlyStop: false, eps: 1, numExperts: 16 })
const t0 = performance.now()
try {
  const { svc, exp } = ws
  ok(await svc['edits.add']({ experimentId: exp.id, edits: [EDITS[0]] }))
  check((await applyAndWait(svc, exp.id, 1, 1)).state === 'done', 'the first batch applies')
  ok(await svc['edits.add']({ experimentId: exp.id, edits: [EDITS[1], EDITS[2]] }))
  const db = ws.db()
  const snapshot = (): string => JSON.stringify(listEdits(db, exp.id).items.map(({ updatedAt, status, ...e }) => e))
  const editsBefore = snapshot()
  const checkpoints = JSON.stringify(listCheckpoints(db, exp.id))
  const pids = new Set<number>()
  for (let i = 1; i <= kills; i++) {
    const r = await killMidBatch(svc, exp.id)
    pids.add(r.pid)
    const batches = ok(await svc['batches.list']({ experimentId: exp.id }))
    check(r.job.state === 'failed', `kill ${i}: the job failed (got ${r.job.state}: ${r.job.message})`)
    check(batches.map((b) => b.state).join() === 'applied,interrupted', `kill ${i}: batches are applied,interrupted (got ${batches.map((b) => b.state).join()})`)
    check(snapshot() === editsBefore, `kill ${i}: no edit changed`)
    check(db.pragma('integrity_check', { simple: true }) === 'ok', `kill ${i}: integrity_check ok`)
    check(JSON.stringify(listCheckpoints(db, exp.id)) === checkpoints, `kill ${i}: checkpoints unchanged`)
    process.stderr.write(`kill ${i}/${kills}: engine ${r.pid} killed at step ≥ 3; batch interrupted, edits intact, integrity ok\n`)
  }
  check(pids.size === kills, `every attempt ran on a fresh engine process (${pids.size} pids for ${kills} kills)`)
  const rerun = await applyAndWait(svc, exp.id, 2, 1)
  check(rerun.state === 'done', `the interrupted batch re-runs (got ${rerun.state}: ${rerun.message})`)
  const states = ok(await svc['batches.list']({ experimentId: exp.id })).map((b) => b.state).join()
  check(states === 'applied,applied', `both batches applied at the end (got ${states})`)
  check(db.pragma('integrity_check', { simple: true }) === 'ok', 'integrity_check ok at the end')
  process.stdout.write(`stress-kill: ${kills} kills survived, batch re-ran; ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
} finally {
  await ws.close()
}
