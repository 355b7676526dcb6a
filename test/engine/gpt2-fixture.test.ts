// The GPT-2 forward against reference logits (every position of every case) from a forward pass written apart from
// the engine: scripts/fixture/reference-forward.ts, plain float64 loops with no TF.js.
import { readFileSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { padBatch } from '../../src-main/engine/model/gpt2'
import { loadBareModel } from '../../src-main/engine/model/load'
import { FIXTURE as DIR } from '../helpers/tiny-model'

interface Case {
  input_ids: number[]
  logits: number[][]
}
const cases = (JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as { cases: Case[] }).cases

function maxAbsDiff(got: Float32Array, want: number[][]): number {
  const V = want[0].length
  let max = 0
  want.forEach((row, t) => row.forEach((v, i) => (max = Math.max(max, Math.abs(got[t * V + i] - v)))))
  return max
}

describe.each(['wasm', 'cpu'])('gpt2-tiny reference logits on %s', (backend) => {
  it('matches every position of every case within 1e-4', async () => {
    await initBackend(backend)
    const { model } = loadBareModel(DIR)
    try {
      for (const c of cases) {
        const batch = padBatch([c.input_ids], 0)
        const rows = Int32Array.from(c.input_ids, (_, t) => t)
        const logits = model.logits(batch, rows)
        const diff = maxAbsDiff(logits.dataSync() as Float32Array, c.logits)
        logits.dispose()
        expect(diff, `case of ${c.input_ids.length} tokens`).toBeLessThan(1e-4)
      }
    } finally {
      model.dispose()
    }
  })

  it('gives the same logits for a row whether alone or right-padded in a batch', async () => {
    await initBackend(backend)
    const { model } = loadBareModel(DIR)
    try {
      const rows = cases.map((c) => c.input_ids)
      const batch = padBatch(rows, 0)
      // every real position of every row
      const flat: number[] = []
      rows.forEach((r, b) => r.forEach((_, t) => flat.push(b * batch.T + t)))
      const logits = model.logits(batch, Int32Array.from(flat))
      const data = logits.dataSync() as Float32Array
      logits.dispose()
      const V = model.config.vocabSize
      let offset = 0
      for (const c of cases) {
        const diff = maxAbsDiff(data.subarray(offset * V, (offset + c.input_ids.length) * V), c.logits)
        expect(diff).toBeLessThan(1e-4)
        offset += c.input_ids.length
      }
    } finally {
      model.dispose()
    }
  })

  it('leaves no tensors behind', async () => {
    await initBackend(backend)
    const before = tf.memory().numTensors
    const { model } = loadBareModel(DIR)
    const logits = model.logits(padBatch([[1, 2, 3]], 0), Int32Array.from([2]))
    logits.dispose()
    model.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })
})
