// safetensors reader/writer: round trips, half-precision decoding, the real fixture, validation and a seeded fuzz.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  encodeSafetensors,
  floatToHalf,
  halfToFloat,
  loadSafetensors,
  parseSafetensors,
  readSafetensorsHeader,
  SafetensorsError,
  writeSafetensors,
  type TensorToEncode
} from '../../src-main/engine/model/safetensors'
import { Prng } from '../../src-main/engine/prng'
import { FIXTURE as FIXTURE_DIR } from '../helpers/tiny-model'

const FIXTURE = join(FIXTURE_DIR, 'model.safetensors')
const tmp = mkdtempSync(join(tmpdir(), 'safetensors-test-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** A seeded generator so failures reproduce. */
function rng(seed: number): () => number {
  const p = new Prng(seed)
  return () => p.next()
}

/** A file from a header object and raw data bytes, with no validation (to build bad inputs). */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header))
  const out = new Uint8Array(8 + json.length + data.length)
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true)
  out.set(json, 8)
  out.set(data, 8 + json.length)
  return out
}

function u16le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2)
  values.forEach((v, i) => new DataView(out.buffer).setUint16(i * 2, v, true))
  return out
}

function expectError(bytes: Uint8Array, code: string, ...fragments: string[]): SafetensorsError {
  let caught: unknown
  try {
    parseSafetensors(bytes, {}, 'model.safetensors')
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(SafetensorsError)
  const err = caught as SafetensorsError
  expect(err.code, err.message).toBe(code)
  for (const f of fragments) expect(err.message).toContain(f)
  return err
}

describe('round trips', () => {
  it('F32 is bit-exact, including NaN, ±Inf, -0 and subnormals', () => {
    const r = rng(1)
    const data = Float32Array.from({ length: 300 }, () => (r() - 0.5) * 1e3)
    data.set([NaN, Infinity, -Infinity, -0, 1e-45, -3e-39, 3.4028234663852886e38], 0)
    const empty = new Float32Array(0)
    const bytes = encodeSafetensors(
      [
        { name: 'a', dtype: 'F32', shape: [20, 15], data },
        { name: 'empty', dtype: 'F32', shape: [0, 4], data: empty },
        { name: 'scalar', dtype: 'F32', shape: [], data: Float32Array.of(7) }
      ],
      { format: 'pt', note: 'ünïcode' }
    )
    const got = parseSafetensors(bytes)
    expect(got.metadata).toEqual({ format: 'pt', note: 'ünïcode' })
    const a = got.tensors.get('a')
    expect(a?.shape).toEqual([20, 15])
    expect(a?.dtype).toBe('F32')
    expect(new Uint32Array(a!.data.buffer)).toEqual(new Uint32Array(data.buffer))
    expect(got.tensors.get('empty')?.data.length).toBe(0)
    expect(Array.from(got.tensors.get('scalar')!.data)).toEqual([7])
  })

  it('F16 rounds within half an ulp (relative 2^-11) and keeps special values', () => {
    const r = rng(2)
    const data = Float32Array.from({ length: 2000 }, () => (r() - 0.5) * 2 ** Math.floor(r() * 30 - 14))
    const special = [0, -0, 1, -2, 65504, Infinity, -Infinity, 2 ** -24, 2 ** -14]
    data.set(special, 0)
    const got = parseSafetensors(encodeSafetensors([{ name: 'h', dtype: 'F16', shape: [2000], data }])).tensors.get('h')!
    expect(got.dtype).toBe('F16')
    for (let i = special.length; i < data.length; i++) {
      const want = data[i]
      const err = Math.abs(got.data[i] - want)
      // Below 2^-14 halves are subnormal with a fixed step of 2^-24, so the bound is absolute there.
      const bound = Math.abs(want) < 2 ** -14 ? 2 ** -25 : Math.abs(want) * 2 ** -11
      if (!(err <= bound)) expect.fail(`value ${want} decoded as ${got.data[i]} (error ${err} > ${bound})`)
    }
    expect(Array.from(got.data.subarray(0, special.length))).toEqual(special)
    expect(Object.is(got.data[1], -0)).toBe(true)
  })

  it('writes F32 before F16 with no gaps and an 8-aligned, space-padded header', () => {
    const tensors: TensorToEncode[] = [
      { name: 'half', dtype: 'F16', shape: [3], data: Float32Array.of(1, 2, 3) },
      { name: 'full', dtype: 'F32', shape: [2], data: Float32Array.of(4, 5) }
    ]
    const bytes = encodeSafetensors(tensors)
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true))
    expect(n % 8).toBe(0)
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)))
    expect(header.full.data_offsets).toEqual([0, 8])
    expect(header.half.data_offsets).toEqual([8, 14])
    expect(bytes.length).toBe(8 + n + 14)
  })

  it('writeSafetensors goes through a temp file and loadSafetensors reads it back', () => {
    const file = join(tmp, 'out.safetensors')
    writeFileSync(file, 'old contents')
    const data = Float32Array.from({ length: 64 }, (_, i) => i / 7)
    writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [8, 8], data }], { step: '3' })
    expect(readdirSync(tmp)).toEqual(['out.safetensors'])
    const got = loadSafetensors(file)
    expect(got.metadata).toEqual({ step: '3' })
    expect(got.tensors.get('w')?.data).toEqual(data)
    expect(parseSafetensors(readFileSync(file)).tensors.get('w')?.data).toEqual(data)
  })

  it('rejects tensors whose data does not fill their shape, and duplicate names', () => {
    const bad: TensorToEncode = { name: 'w', dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }
    expect(() => encodeSafetensors([bad])).toThrow(/tensor "w": shape \[2,2\] needs 4 values but data has 3/)
    const ok: TensorToEncode = { name: 'w', dtype: 'F32', shape: [1], data: new Float32Array(1) }
    expect(() => encodeSafetensors([ok, ok])).toThrow(SafetensorsError)
  })
})

describe('half-precision decoding', () => {
  it('F16 bit patterns decode to their IEEE values', () => {
    const cases: Array<[number, number]> = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x7bff, 65504],
      [0x0400, 2 ** -14],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x3555, 0.333251953125],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x0000, 0]
    ]
    for (const [bits, value] of cases) expect(halfToFloat(bits), bits.toString(16)).toBe(value)
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true)
    expect(halfToFloat(0x7e00)).toBeNaN()
    expect(halfToFloat(0xfd01)).toBeNaN()
  })

  it('floatToHalf inverts halfToFloat for all 63,488 non-NaN halves', () => {
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0
      if (!isNaN && floatToHalf(halfToFloat(h)) !== h) expect.fail(`0x${h.toString(16)} does not round-trip`)
    }
  })

  it('floatToHalf rounds to nearest even, overflows to Inf and underflows to zero', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00) // tie, even stays
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02) // tie, odd rounds up
    expect(floatToHalf(65519)).toBe(0x7bff)
    expect(floatToHalf(65520)).toBe(0x7c00) // tie between 65504 and 2^16 rounds to Inf
    expect(floatToHalf(1e10)).toBe(0x7c00)
    expect(floatToHalf(2 ** -25)).toBe(0) // tie between 0 and the smallest subnormal
    expect(floatToHalf(1.5 * 2 ** -25)).toBe(1)
    expect(floatToHalf(2 ** -14 - 2 ** -25)).toBe(0x0400) // a subnormal rounding up into the normals
    expect(floatToHalf(-1e-30)).toBe(0x8000)
    expect(floatToHalf(NaN) & 0x7c00).toBe(0x7c00)
    expect(floatToHalf(NaN) & 0x3ff).not.toBe(0)
  })

  it('F16 tensors decode subnormals, Inf and NaN from a file', () => {
    const data = u16le([0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 0x3c00])
    const bytes = rawFile({ h: { dtype: 'F16', shape: [6], data_offsets: [0, 12] } }, data)
    const got = Array.from(parseSafetensors(bytes).tensors.get('h')!.data)
    expect(got).toEqual([2 ** -24, 1023 * 2 ** -24, Infinity, -Infinity, NaN, 1])
  })

  it('BF16 tensors decode known values', () => {
    const data = u16le([0x3f80, 0xc000, 0x4049, 0x7f80, 0xff80, 0x7fc0, 0x0001, 0x8000, 0x3e80])
    const bytes = rawFile({ b: { dtype: 'BF16', shape: [3, 3], data_offsets: [0, 18] } }, data)
    const b = parseSafetensors(bytes).tensors.get('b')!
    expect(b.dtype).toBe('BF16')
    expect(b.shape).toEqual([3, 3])
    expect(Array.from(b.data)).toEqual([1, -2, 3.140625, Infinity, -Infinity, NaN, 2 ** -133, -0, 0.25])
  })
})

describe('the gpt2-tiny fixture', () => {
  // 29 header entries: 28 tensors (4 + 2 layers × 12) and __metadata__.
  it('header lists 28 tensors plus metadata, with wte.weight [512, 64] F32', () => {
    const h = readSafetensorsHeader(FIXTURE)
    expect(h.headerBytes).toBe(2304)
    expect(h.tensors).toHaveLength(28)
    expect(h.metadata).toEqual({ format: 'pt' })
    const wte = h.tensors.find((t) => t.name === 'wte.weight')
    // begin/end are absolute: 8 + header length + data_offsets.
    expect(wte).toEqual({ name: 'wte.weight', dtype: 'F32', shape: [512, 64], begin: 8 + 2304, end: 8 + 2304 + 131072 })
  })

  it('loads every tensor, agreeing with the raw bytes in the file', () => {
    const { tensors, skipped } = loadSafetensors(FIXTURE)
    expect(tensors.size).toBe(28)
    expect(skipped).toEqual([])
    const raw = readFileSync(FIXTURE)
    for (const info of readSafetensorsHeader(FIXTURE).tensors) {
      const t = tensors.get(info.name)!
      expect(t.shape).toEqual(info.shape)
      const view = new DataView(raw.buffer, raw.byteOffset + info.begin, info.end - info.begin)
      for (const i of [0, t.data.length >> 1, t.data.length - 1]) expect(t.data[i]).toBe(view.getFloat32(i * 4, true))
    }
    expect(parseSafetensors(raw).tensors.get('h.1.mlp.c_fc.weight')?.data).toEqual(tensors.get('h.1.mlp.c_fc.weight')?.data)
  })

  it('include reads only the chosen tensors', () => {
    const { tensors } = loadSafetensors(FIXTURE, { include: (n) => n.startsWith('ln_f.') })
    expect([...tensors.keys()].sort()).toEqual(['ln_f.bias', 'ln_f.weight'])
  })
})

describe('validation', () => {
  const f32 = (shape: number[], offsets: unknown): unknown => ({ dtype: 'F32', shape, data_offsets: offsets })

  it('skips non-float dtypes and lists them', () => {
    const bytes = rawFile(
      {
        mask: { dtype: 'BOOL', shape: [4], data_offsets: [0, 4] },
        pos: { dtype: 'I64', shape: [2], data_offsets: [8, 24] },
        w: f32([2], [24, 32])
      },
      new Uint8Array(32)
    )
    const got = parseSafetensors(bytes)
    expect([...got.tensors.keys()]).toEqual(['w'])
    expect(got.skipped.map((t) => `${t.name}:${t.dtype}`)).toEqual(['mask:BOOL', 'pos:I64'])
  })

  it('reports the file, the tensor and both sizes on a size mismatch', () => {
    const bytes = rawFile({ 'h.0.attn.c_attn.weight': f32([64, 192], [0, 1000]) }, new Uint8Array(1000))
    const err = expectError(bytes, 'size')
    expect(err.message).toBe(
      'model.safetensors: tensor "h.0.attn.c_attn.weight": shape [64,192] × F32 needs 49152 bytes but data_offsets span 1000'
    )
    expect(err.tensor).toBe('h.0.attn.c_attn.weight')
  })

  it('rejects each malformed header with its own message', () => {
    expectError(new Uint8Array(5), 'truncated', 'model.safetensors', '5 bytes')
    const long = new Uint8Array(16)
    new DataView(long.buffer).setBigUint64(0, 9n, true)
    expectError(long, 'truncated', 'header length 9')
    const huge = new Uint8Array(16)
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true)
    expectError(huge, 'header', 'limit')
    const badUtf8 = rawFile({})
    badUtf8.set([0x7b, 0xff], 8)
    expectError(badUtf8, 'header', 'UTF-8')
    expectError(rawFile([1, 2]), 'header', 'not an object')
    const notJson = rawFile({ a: 1 })
    notJson[9] = 0x2c // ','
    expectError(notJson, 'header', 'not valid JSON')
    expectError(rawFile({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }), 'dtype', 'tensor "w"', 'F128')
    expectError(rawFile({ w: f32([2, -1], [0, 0]) }), 'shape', 'tensor "w"', '[2,-1]')
    expectError(rawFile({ w: f32([1.5], [0, 0]) }), 'shape', 'tensor "w"')
    expectError(rawFile({ w: f32([2], [8, 0]) }, new Uint8Array(8)), 'offsets', 'tensor "w"', '[8,0]')
    expectError(rawFile({ w: f32([2], [0]) }), 'offsets', 'tensor "w"')
    expectError(rawFile({ w: f32([2], [0, 8]) }, new Uint8Array(4)), 'offsets', 'tensor "w"', '4-byte data buffer')
    expectError(rawFile({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, new Uint8Array(12)), 'overlap', '"b"', '"a"')
    expectError(rawFile({ __metadata__: { step: 3 } }), 'header', '"__metadata__"."step"')
    expectError(rawFile({ w: 'F32' }), 'header', 'tensor "w"')
  })

  it('accepts empty and zero-sized tensors sharing an offset', () => {
    const bytes = rawFile({ a: f32([0], [0, 0]), b: f32([0, 3], [0, 0]), c: f32([1], [0, 4]) }, new Uint8Array(4))
    expect(parseSafetensors(bytes).tensors.size).toBe(3)
  })
})

describe('fuzz', () => {
  const base = encodeSafetensors(
    [
      { name: 'wte.weight', dtype: 'F32', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i) },
      { name: 'h.0.ln_1.weight', dtype: 'F16', shape: [5], data: Float32Array.of(1, 2, 3, 4, 5) },
      { name: 'h.0.mlp.c_fc.bias', dtype: 'F32', shape: [2], data: Float32Array.of(-1, 1) }
    ],
    { format: 'pt' }
  )
  const baseN = Number(new DataView(base.buffer).getBigUint64(0, true))
  const baseHeader = JSON.parse(new TextDecoder().decode(base.subarray(8, 8 + baseN))) as Record<string, Record<string, unknown>>
  const baseData = base.subarray(8 + baseN)

  function mutate(r: () => number): Uint8Array {
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]
    const weird = (): unknown =>
      pick([-1, 0, 1, 2, 3, 7, 12, 48, 1e3, 2 ** 53, 1e300, 1.5, '4', null, [], {}, true, Number.MAX_SAFE_INTEGER])
    switch (Math.floor(r() * 5)) {
      case 0:
        return base.slice(0, Math.floor(r() * base.length))
      case 1: {
        const out = base.slice()
        const flips = 1 + Math.floor(r() * 4)
        for (let i = 0; i < flips; i++) out[8 + Math.floor(r() * baseN)] = Math.floor(r() * 256)
        return out
      }
      case 2: {
        const out = base.slice()
        const view = new DataView(out.buffer)
        const delta = pick([-9, -1, 1, 7, 100])
        const n = pick([BigInt(baseN + delta), 0n, 2n ** 64n - 1n, BigInt(Math.floor(r() * 2 ** 32))])
        view.setBigUint64(0, n < 0n ? 0n : n, true)
        return out
      }
      case 3: {
        const header = structuredClone(baseHeader)
        const name = pick(Object.keys(header).filter((k) => k !== '__metadata__'))
        const field = pick(['shape', 'data_offsets', 'dtype'])
        const entry = header[name]
        if (field === 'dtype') entry.dtype = pick(['F32', 'F16', 'BF16', 'I64', 'BOOL', 'F128', 7, null])
        else if (r() < 0.5) entry[field] = weird()
        else {
          const arr = [...(entry[field] as number[])]
          arr[Math.floor(r() * (arr.length + 1))] = weird() as number
          entry[field] = arr
        }
        return rawFile(header, baseData)
      }
      default: {
        // A valid-looking header over data that is too short or too long.
        return rawFile(baseHeader, baseData.subarray(0, Math.floor(r() * (baseData.length + 8))))
      }
    }
  }

  it('500 mutations either parse or throw SafetensorsError', () => {
    const r = rng(20260101)
    const outcomes = { ok: 0, error: 0 }
    for (let i = 0; i < 500; i++) {
      const bytes = mutate(r)
      try {
        const got = parseSafetensors(bytes)
        for (const [name, t] of got.tensors) {
          const count = t.shape.reduce((a, b) => a * b, 1)
          if (t.data.length !== count) expect.fail(`mutation ${i}: ${name} has ${t.data.length} values for shape [${t.shape}]`)
        }
        outcomes.ok++
      } catch (e) {
        if (!(e instanceof SafetensorsError)) expect.fail(`mutation ${i} threw ${String(e)}`)
        outcomes.error++
      }
    }
    // Both branches must actually be exercised for the test to mean anything.
    expect(outcomes.ok).toBeGreaterThan(20)
    expect(outcomes.error).toBeGreaterThan(200)
  }, 10_000)

  it('50 mutated files behave the same through the file reader', () => {
    const r = rng(7)
    const file = join(tmp, 'fuzz.safetensors')
    for (let i = 0; i < 50; i++) {
      const bytes = mutate(r)
      writeFileSync(file, bytes)
      let fromMemory: string
      let fromFile: string
      try {
        fromMemory = [...parseSafetensors(bytes, {}, file).tensors.keys()].join()
      } catch (e) {
        fromMemory = e instanceof SafetensorsError ? `error ${e.message}` : `bad ${String(e)}`
      }
      try {
        readSafetensorsHeader(file)
        fromFile = [...loadSafetensors(file).tensors.keys()].join()
      } catch (e) {
        fromFile = e instanceof SafetensorsError ? `error ${e.message}` : `bad ${String(e)}`
      }
      expect(fromFile, `mutation ${i}`).toBe(fromMemory)
      expect(fromFile).not.toMatch(/^bad /)
    }
  }, 10_000)
})
