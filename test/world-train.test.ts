// Data-parallel pretraining: two replicas (this thread + a worker thread) must compute the full batch's gradient
// and stay bit-identical after every update.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../src-main/engine/backend'
import type { Gpt2Config } from '../src-main/engine/model/config'
import { averageShares, Replica, type Sequence } from '../scripts/world/replica'
import { WorkerReplica } from '../scripts/world/train'

const config: Gpt2Config = {
  modelType: 'gpt2',
  nEmbd: 32,
  nLayer: 2,
  nHead: 2,
  nPositions: 16,
  vocabSize: 40,
  nInner: 64,
  layerNormEpsilon: 1e-5,
  activation: 'gelu_new',
  eosTokenId: 0,
  bosTokenId: 0,
  tieWordEmbeddings: true
}
const batch: Sequence[] = Array.from({ length: 8 }, (_, b) => ({
  ids: Array.from({ length: 5 + (b % 4) }, (_, t) => 1 + ((b * 7 + t * 3) % 39)),
  answerStart: 3 + (b % 2),
  form: 'statement'
}))

let worker: WorkerReplica
beforeAll(async () => {
  await initBackend('wasm')
  worker = await WorkerReplica.start(config, 3, 0)
})
afterAll(() => worker.stop())

const maxDiff = (a: Float32Array[], b: Float32Array[]): number =>
  Math.max(...a.map((x, i) => x.reduce((m, v, j) => Math.max(m, Math.abs(v - b[i][j])), 0)))

describe('data-parallel world pretraining', () => {
  it('averaged half-batch gradients equal the full-batch gradient, and replicas stay identical', async () => {
    const main = new Replica(config, 3, 0)
    const reference = new Replica(config, 3, 0)
    expect(maxDiff(await worker.weights(), main.weights())).toBe(0)
    for (let step = 0; step < 3; step++) {
      const full = reference.gradients(batch)
      const theirs = worker.gradients(batch.filter((_, i) => i % 2 === 0))
      const mine = main.gradients(batch.filter((_, i) => i % 2 === 1))
      const avg = averageShares([mine, await theirs])
      expect(avg.loss).toBeCloseTo(full.loss, 5)
      expect(maxDiff(avg.grads, full.grads)).toBeLessThan(1e-5)
      worker.send({ type: 'apply', grads: avg.grads, lr: 1e-2 })
      main.apply(avg.grads, 1e-2)
      reference.apply(full.grads, 1e-2)
    }
    expect(maxDiff(await worker.weights(), main.weights())).toBe(0)
    main.dispose()
    reference.dispose()
  })
})
