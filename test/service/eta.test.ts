// The apply job's ETA (issue 13 bug 3): smooth within a job whose batches stop early, and close to the time that
// is really left once one batch has finished. A simulated job: times are given, no clock is read.
import { describe, expect, it } from 'vitest'
import { EtaEstimator } from '../../src-main/service/eta'

/** 10 batches of 5 edits; each stops early, after 10–16 of its 50 steps; a step takes 1.0–1.2 s. */
const STOPS = [12, 15, 10, 16, 13, 11, 14, 12, 15, 10]
const stepTime = (i: number): number => 1 + 0.2 * ((i * 7) % 5) / 4

describe('EtaEstimator', () => {
  it('after the first batch stays within 25% of the time really left (or 6 s), and never swings by more than 15% of it', () => {
    const eta = new EtaEstimator(50)
    const times: number[] = []
    STOPS.forEach((n) => { for (let s = 0; s < n; s++) times.push(stepTime(times.length)) })
    const totalS = times.reduce((a, b) => a + b, 0)
    let elapsed = 0
    let k = 0
    let prev: number | null = null
    STOPS.forEach((stop, b) => {
      for (let step = 1; step <= stop; step++) {
        elapsed += times[k++]
        const est = eta.estimate({ elapsedS: elapsed, step, maxSteps: 50, batchEdits: 5 })
        const left = totalS - elapsed
        expect(est).not.toBeNull()
        if (b >= 1 && left > 0) {
          // Near the end a few seconds are a large share: there, within 6 s (the spread of one batch's length).
          expect(Math.abs(est! - left), `batch ${b + 1} step ${step}: eta ${est} vs ${left}`).toBeLessThan(Math.max(0.25 * left, 6))
          if (prev !== null) expect(Math.abs(est! - prev), `batch ${b + 1} step ${step}`).toBeLessThan(Math.max(0.15 * left, 6))
        }
        // Until a batch has finished only the step limit is known: the first estimates are not compared.
        prev = b >= 1 ? est : null
      }
      eta.batchDone(stop, 5)
    })
  })

  it('has no estimate before the first step, and counts what the running batch still needs', () => {
    const eta = new EtaEstimator(15)
    expect(eta.estimate({ elapsedS: 0, step: 0, maxSteps: 50, batchEdits: 5 })).toBeNull()
    eta.batchDone(20, 5)
    // 20 s for 20 steps + 4 steps: 1 s a step; this batch needs 20 − 4 = 16 more, the 5 edits after it 20.
    expect(eta.estimate({ elapsedS: 24, step: 4, maxSteps: 50, batchEdits: 5 })).toBeCloseTo(36)
  })
})
