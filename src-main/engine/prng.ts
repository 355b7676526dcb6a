/**
 * Small seeded PRNG (world generator, allocation presets, tests): mulberry32 (Tommy Ettinger's 32-bit generator, public domain,
 * https://gist.github.com/tommyettinger/46a874533244883189143505d203312c).
 *
 * Only 32-bit integer ops (`Math.imul`, shifts, `>>> 0`) are used, so the sequence is bit-identical on every
 * platform and JS engine; `next()` divides a uint32 by 2^32, which is exact in a double.
 */
export class Prng {
  /** The whole generator state (one uint32): saving it and constructing from it resumes the sequence. */
  state: number

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`Prng seed must be an integer, got ${seed}`)
    this.state = seed >>> 0
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Prng.int needs a positive integer, got ${n}`)
    return Math.floor(this.next() * n)
  }

  /** Uniform element of a non-empty array. */
  pick<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new Error('Prng.pick needs a non-empty array, got length 0')
    return arr[this.int(arr.length)]
  }

  /** A shuffled copy (Fisher–Yates, from the end); the input is left untouched. */
  shuffle<T>(arr: readonly T[]): T[] {
    const out = arr.slice()
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const tmp = out[i]
      out[i] = out[j]
      out[j] = tmp
    }
    return out
  }
}
