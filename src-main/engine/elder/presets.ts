/**
 * Guided-loss pre-assignment (elder-spec §2, §9): each label (the edit's target
 * string) gets a random allocation, k of N experts per layer, and different
 * labels get different full codes while unused codes remain.
 *
 * Label normalisation (normaliseLabel): trim, collapse every run of whitespace
 * to one space, lowercase (String#toLowerCase, locale-independent). No Unicode
 * normalisation: "é" precomposed and decomposed are different labels.
 *
 * Randomness: mulberry32, a 32-bit state PRNG, so the state fits in JSON and a
 * reloaded object continues the exact same stream (presets drawn after a reload
 * equal those drawn without one).
 */
import { codeKey, codeSpaceSize, packCode, type CodeKey } from './codes'
import { Prng } from '../prng'

/** Trim, collapse whitespace, lowercase. */
export function normaliseLabel(label: string): string {
  return label.trim().replace(/\s+/g, ' ').toLowerCase()
}

export interface AllocationPresetsJSON {
  version: 1
  L: number
  N: number
  k: number
  seed: number
  /** PRNG state after the last draw. */
  state: number
  /** [normalised label, per-layer sorted expert indices], in creation order. */
  presets: [string, number[][]][]
}

export class AllocationPresets {
  private readonly byLabel = new Map<string, number[][]>()
  private readonly used = new Set<CodeKey>()
  private readonly rng: Prng
  /** C(N,k)^L: how many distinct full codes exist. */
  readonly spaceSize: number

  constructor(
    readonly L: number,
    readonly N: number,
    readonly k: number,
    readonly seed: number
  ) {
    this.spaceSize = codeSpaceSize(L, N, k) // validates L, N, k
    if (!Number.isInteger(seed)) throw new RangeError(`AllocationPresets: seed must be an integer, got ${seed}`)
    this.rng = new Prng(seed)
  }

  /** Number of labels with a preset. */
  get size(): number {
    return this.byLabel.size
  }

  /** Whether the (normalised) label already has a preset. */
  has(label: string): boolean {
    return this.byLabel.has(normaliseLabel(label))
  }

  /**
   * Preset of a label: per layer, k expert indices in ascending order (a fresh copy).
   * A new label draws codes until one is unused; once all C(N,k)^L codes are used,
   * the first draw is kept, so labels then share codes.
   */
  presetFor(label: string): number[][] {
    const key = normaliseLabel(label)
    if (key === '') throw new RangeError(`AllocationPresets: label ${JSON.stringify(label)} is empty after normalisation`)
    let preset = this.byLabel.get(key)
    if (!preset) {
      const exhausted = this.used.size >= this.spaceSize
      // Expected draws: spaceSize / (spaceSize - used), at most spaceSize for the last code.
      for (;;) {
        preset = this.draw()
        const ck = codeKey(packCode(preset, this.L, this.N))
        if (exhausted || !this.used.has(ck)) {
          this.used.add(ck)
          break
        }
      }
      this.byLabel.set(key, preset)
    }
    return preset.map((row) => row.slice())
  }

  /** k distinct experts of N per layer, uniformly (partial Fisher–Yates), sorted. */
  private draw(): number[][] {
    const out: number[][] = []
    const perm = new Array<number>(this.N)
    for (let l = 0; l < this.L; l++) {
      for (let i = 0; i < this.N; i++) perm[i] = i
      for (let j = 0; j < this.k; j++) {
        const r = j + this.rng.int(this.N - j)
        const t = perm[j]
        perm[j] = perm[r]
        perm[r] = t
      }
      out.push(perm.slice(0, this.k).sort((a, b) => a - b))
    }
    return out
  }

  toJSON(): AllocationPresetsJSON {
    return {
      version: 1,
      L: this.L,
      N: this.N,
      k: this.k,
      seed: this.seed,
      state: this.rng.state,
      presets: [...this.byLabel].map(([label, p]) => [label, p.map((row) => row.slice())])
    }
  }

  static fromJSON(json: AllocationPresetsJSON): AllocationPresets {
    if (json?.version !== 1) throw new RangeError(`AllocationPresets.fromJSON: unsupported version ${String(json?.version)}`)
    const out = new AllocationPresets(json.L, json.N, json.k, json.seed)
    if (!Number.isInteger(json.state) || json.state < 0 || json.state > 0xffffffff) {
      throw new RangeError(`AllocationPresets.fromJSON: state must be a uint32, got ${json.state}`)
    }
    out.rng.state = json.state
    for (const [label, preset] of json.presets) {
      if (normaliseLabel(label) !== label || label === '') throw new RangeError(`AllocationPresets.fromJSON: label ${JSON.stringify(label)} is not normalised`)
      if (out.byLabel.has(label)) throw new RangeError(`AllocationPresets.fromJSON: label ${JSON.stringify(label)} appears twice`)
      if (preset.some((row) => row.length !== json.k)) throw new RangeError(`AllocationPresets.fromJSON: preset of ${JSON.stringify(label)} is not ${json.k}-hot per layer`)
      const code = packCode(preset, json.L, json.N) // validates layers, range, duplicates
      out.used.add(codeKey(code))
      out.byLabel.set(label, preset.map((row) => row.slice().sort((a, b) => a - b)))
    }
    return out
  }
}
