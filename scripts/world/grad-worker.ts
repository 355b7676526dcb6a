// Worker thread holding a second training replica (data parallelism over the two cores; wasm runs one thread per
// backend in Node). Messages: init → ready; grads(seqs) → share; apply(grads, lr) → no reply (ordered before the
// next grads request).
import { parentPort } from 'node:worker_threads'
import { initBackend } from '../../src-main/engine/backend'
import type { Gpt2Config } from '../../src-main/engine/model/config'
import { Replica, type Sequence } from './replica'

export type WorkerRequest =
  | { type: 'init'; config: Gpt2Config; seed: number; pad: number }
  | { type: 'grads'; seqs: Sequence[] }
  | { type: 'apply'; grads: Float32Array[]; lr: number }
  | { type: 'weights' }

const port = parentPort
if (!port) throw new Error('grad-worker must run in a worker thread')
let replica: Replica | null = null
port.on('message', async (m: WorkerRequest) => {
  if (m.type === 'init') {
    await initBackend('wasm')
    replica = new Replica(m.config, m.seed, m.pad)
    port.postMessage({ type: 'ready' })
  } else if (m.type === 'grads') {
    const share = (replica as Replica).gradients(m.seqs)
    port.postMessage({ type: 'share', share }, share.grads.map((g) => g.buffer as ArrayBuffer))
  } else if (m.type === 'apply') {
    ;(replica as Replica).apply(m.grads, m.lr)
  } else {
    port.postMessage({ type: 'weights', weights: (replica as Replica).weights() })
  }
})
