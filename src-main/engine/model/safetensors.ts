// A small safetensors reader/writer (format: https://github.com/huggingface/safetensors#format).
// Layout: u64 little-endian header length N | N bytes of JSON header | data buffer.
// The header maps tensor names to { dtype, shape, data_offsets: [begin, end] } (offsets relative to the data
// buffer) plus an optional "__metadata__" map of strings. No maintained JS package exists, hence this file.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { writeAtomic } from '../atomic-write'

/** Every dtype the reference implementation defines with a whole number of bytes per element. */
const DTYPE_BYTES = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  F64: 8, I64: 8, U64: 8
} as const

export type Dtype = keyof typeof DTYPE_BYTES
/** The dtypes we decode to Float32Array; every other known dtype is listed in `skipped`. */
export type FloatDtype = 'F32' | 'F16' | 'BF16'

/** The reference implementation refuses headers above 100 MB (safetensors `MAX_HEADER_SIZE`). */
const MAX_HEADER_BYTES = 100_000_000
const METADATA_KEY = '__metadata__'

export type SafetensorsErrorCode = 'truncated' | 'header' | 'dtype' | 'shape' | 'offsets' | 'size' | 'overlap' | 'input'

export class SafetensorsError extends Error {
  override name = 'SafetensorsError'
  constructor(
    /** The path (or label) given by the caller; the message shows only its base name. */
    readonly file: string,
    /** The tensor at fault, or null for file-level problems. */
    readonly tensor: string | null,
    readonly code: SafetensorsErrorCode,
    detail: string
  ) {
    super(`${path.basename(file)}: ${tensor === null ? '' : `tensor "${tensor}": `}${detail}`)
  }
}

export interface TensorInfo {
  name: string
  dtype: Dtype
  shape: number[]
  /** Absolute byte offsets in the file (or buffer): 8 + headerBytes + data_offsets[i]. */
  begin: number
  end: number
}

export interface SafetensorsHeader {
  /** N, the JSON header length in bytes; the data buffer starts at byte 8 + N. */
  headerBytes: number
  /** In data-offset order. */
  tensors: TensorInfo[]
  metadata: Record<string, string>
}

export interface LoadedTensor {
  shape: number[]
  /** The dtype stored in the file; `data` is always float32. */
  dtype: FloatDtype
  data: Float32Array
}

export interface SafetensorsContents {
  tensors: Map<string, LoadedTensor>
  /** Tensors with a non-float dtype (BOOL, integers, F64, F8): tolerated, not decoded. */
  skipped: TensorInfo[]
  metadata: Record<string, string>
}

export interface LoadOptions {
  /** Decode only the tensors for which this returns true; the others are neither read nor listed as skipped. */
  include?: (name: string) => boolean
}

export interface TensorToEncode {
  name: string
  dtype: 'F32' | 'F16'
  shape: number[]
  data: Float32Array
}

// ---- header parsing (shared by the file and in-memory readers) ----

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

/** Reads the u64 header length from the first 8 bytes and checks it against the total size. */
function headerLength(prefix: Uint8Array, totalBytes: number, file: string): number {
  if (totalBytes < 8) {
    throw new SafetensorsError(file, null, 'truncated', `file is ${totalBytes} bytes, shorter than the 8-byte header length`)
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true)
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(file, null, 'header', `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`)
  }
  if (8n + n > BigInt(totalBytes)) {
    throw new SafetensorsError(file, null, 'truncated', `header length ${n} runs past the end of the ${totalBytes}-byte file`)
  }
  return Number(n)
}

function parseHeaderJson(headerBytes: Uint8Array, dataBytes: number, file: string): Omit<SafetensorsHeader, 'headerBytes'> {
  let text: string
  let json: unknown
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes)
  } catch {
    throw new SafetensorsError(file, null, 'header', 'header is not valid UTF-8')
  }
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new SafetensorsError(file, null, 'header', `header is not valid JSON (${(e as Error).message})`)
  }
  if (!isRecord(json)) throw new SafetensorsError(file, null, 'header', 'header JSON is not an object')

  const metadata: Record<string, string> = {}
  const tensors: TensorInfo[] = []
  const dataStart = 8 + headerBytes.length
  for (const [name, entry] of Object.entries(json)) {
    if (name === METADATA_KEY) {
      if (!isRecord(entry)) throw new SafetensorsError(file, null, 'header', '"__metadata__" is not an object')
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw new SafetensorsError(file, null, 'header', `"__metadata__"."${k}" is not a string`)
        metadata[k] = v
      }
      continue
    }
    tensors.push(parseEntry(name, entry, dataBytes, dataStart, file))
  }
  // Sorted by offset so that overlaps show up between neighbours.
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end)
  for (let i = 1; i < tensors.length; i++) {
    const prev = tensors[i - 1]
    const cur = tensors[i]
    if (cur.begin < prev.end) {
      const span = (t: TensorInfo): string => `[${t.begin - dataStart},${t.end - dataStart}]`
      throw new SafetensorsError(file, cur.name, 'overlap', `data_offsets ${span(cur)} overlap "${prev.name}" ${span(prev)}`)
    }
  }
  return { tensors, metadata }
}

function parseEntry(name: string, entry: unknown, dataBytes: number, dataStart: number, file: string): TensorInfo {
  if (!isRecord(entry)) throw new SafetensorsError(file, name, 'header', 'entry is not an object')
  const { dtype, shape, data_offsets: offsets } = entry
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    throw new SafetensorsError(file, name, 'dtype', `unknown dtype ${JSON.stringify(dtype)}`)
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new SafetensorsError(file, name, 'shape', `shape ${JSON.stringify(shape)} is not an array of non-negative integers`)
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw new SafetensorsError(file, name, 'offsets', `data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`)
  }
  const [begin, end] = offsets as [number, number]
  const size = DTYPE_BYTES[dtype as Dtype]
  // A product past 2^53 loses precision but still exceeds any real span, so the check stays correct.
  const needed = (shape as number[]).reduce((a, b) => a * b, 1) * size
  if (needed !== end - begin) {
    throw new SafetensorsError(
      file,
      name,
      'size',
      `shape ${JSON.stringify(shape)} × ${dtype} needs ${needed} bytes but data_offsets span ${end - begin}`
    )
  }
  if (end > dataBytes) {
    throw new SafetensorsError(file, name, 'offsets', `data_offsets [${begin},${end}] run past the ${dataBytes}-byte data buffer`)
  }
  return { name, dtype: dtype as Dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end }
}

// ---- decoding ----

let halfTable: Float32Array | null = null

/** IEEE 754 binary16 → number, including subnormals (exponent 0), ±Inf and NaN (exponent 31). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const mant = h & 0x3ff
  if (exp === 0) return sign * mant * 2 ** -24
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN
  return sign * 2 ** (exp - 15) * (1 + mant / 1024)
}

/** All 65,536 halves decoded once (256 KB): a table lookup beats bit twiddling on multi-GB F16 checkpoints. */
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536)
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h)
  }
  return halfTable
}

const f32Scratch = new Float32Array(1)
const u32Scratch = new Uint32Array(f32Scratch.buffer)

/**
 * number → binary16 bits, rounding to nearest even; overflow gives ±Inf, NaN stays a (quiet) NaN.
 * The value is taken as float32 first, which is exact for the Float32Array data this file writes.
 */
export function floatToHalf(value: number): number {
  f32Scratch[0] = value
  const x = u32Scratch[0]
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  const mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant === 0 ? 0 : 0x200)
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    // Half subnormal: value = full × 2^(exp-150) = m × 2^-24, so m = full >> (14 - e) before rounding.
    const shift = 14 - e
    if (shift > 24) return sign
    const full = mant | 0x800000
    const m = full >>> shift
    const rem = full & ((1 << shift) - 1)
    const halfway = 1 << (shift - 1)
    // m + 1 may reach 0x400, which is exactly the smallest normal half: the carry is correct.
    return sign | (rem > halfway || (rem === halfway && m & 1) ? m + 1 : m)
  }
  const h = sign | (e << 10) | (mant >>> 13)
  const rem = mant & 0x1fff
  // A carry out of the mantissa bumps the exponent, up to 0x7c00 (Inf): also correct.
  return rem > 0x1000 || (rem === 0x1000 && h & 1) ? h + 1 : h
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/** Decodes raw little-endian bytes. `raw` must own its buffer from offset 0 (F32 is viewed, not copied). */
function decode(dtype: FloatDtype, raw: Uint8Array): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN && raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength) {
      return new Float32Array(raw.buffer as ArrayBuffer)
    }
    const out = new Float32Array(raw.byteLength / 4)
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true)
    return out
  }
  const n = raw.byteLength / 2
  if (dtype === 'F16') {
    const table = halfLookup()
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) out[i] = table[view.getUint16(i * 2, true)]
    return out
  }
  // BF16 is the top half of a float32: shift the bits up and reinterpret.
  const bits = new Uint32Array(n)
  for (let i = 0; i < n; i++) bits[i] = view.getUint16(i * 2, true) << 16
  return new Float32Array(bits.buffer)
}

function isFloat(dtype: Dtype): dtype is FloatDtype {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16'
}

function collect(
  header: Omit<SafetensorsHeader, 'headerBytes'>,
  include: (name: string) => boolean,
  read: (t: TensorInfo) => Uint8Array
): SafetensorsContents {
  const tensors = new Map<string, LoadedTensor>()
  const skipped: TensorInfo[] = []
  for (const t of header.tensors) {
    if (!include(t.name)) continue
    if (!isFloat(t.dtype)) {
      skipped.push(t)
      continue
    }
    tensors.set(t.name, { shape: t.shape, dtype: t.dtype, data: decode(t.dtype, read(t)) })
  }
  return { tensors, skipped, metadata: header.metadata }
}

// ---- readers ----

function readFully(fd: number, target: Uint8Array, position: number, file: string): void {
  let done = 0
  while (done < target.length) {
    // readSync may return fewer bytes than asked (large reads, network filesystems), so loop.
    const got = fs.readSync(fd, target, done, target.length - done, position + done)
    if (got === 0) {
      throw new SafetensorsError(file, null, 'truncated', `unexpected end of file at byte ${position + done}`)
    }
    done += got
  }
}

function readHeaderFd(fd: number, file: string): SafetensorsHeader {
  const size = fs.fstatSync(fd).size
  const prefix = new Uint8Array(8)
  if (size >= 8) readFully(fd, prefix, 0, file)
  const n = headerLength(prefix, size, file)
  const headerBytes = new Uint8Array(n)
  readFully(fd, headerBytes, 8, file)
  return { headerBytes: n, ...parseHeaderJson(headerBytes, size - 8 - n, file) }
}

/** Reads and validates only the header (through a file descriptor; the data buffer is not touched). */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = fs.openSync(file, 'r')
  try {
    return readHeaderFd(fd, file)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Loads the float tensors of a file. Each tensor is read into its own buffer with readSync, so a 6 GB
 * GPT2-XL checkpoint is never held twice (F32 data is viewed in place, F16/BF16 decoded from a per-tensor buffer).
 * Format problems throw SafetensorsError; file-system errors (ENOENT, EACCES) stay Node's own errors.
 */
export function loadSafetensors(file: string, opts: LoadOptions = {}): SafetensorsContents {
  const fd = fs.openSync(file, 'r')
  try {
    const header = readHeaderFd(fd, file)
    return collect(header, opts.include ?? (() => true), (t) => {
      const raw = new Uint8Array(t.end - t.begin)
      readFully(fd, raw, t.begin, file)
      return raw
    })
  } finally {
    fs.closeSync(fd)
  }
}

/** Same as loadSafetensors for bytes already in memory; the returned arrays never alias `bytes`. */
export function parseSafetensors(bytes: Uint8Array, opts: LoadOptions = {}, label = '<memory>'): SafetensorsContents {
  const n = headerLength(bytes, bytes.length, label)
  const header = parseHeaderJson(bytes.subarray(8, 8 + n), bytes.length - 8 - n, label)
  return collect(header, opts.include ?? (() => true), (t) => bytes.slice(t.begin, t.end))
}

// ---- writers ----

interface Layout {
  header: Uint8Array
  /** In the order their bytes follow the header. */
  ordered: TensorToEncode[]
  dataBytes: number
}

/**
 * Like the reference writer: F32 before F16 (so every tensor is naturally aligned with no gaps, which the
 * reference reader requires), and the header padded with spaces to a multiple of 8 so the data buffer is 8-aligned.
 */
function layout(tensors: TensorToEncode[], metadata: Record<string, string> | undefined, file: string): Layout {
  const ordered = [...tensors].sort((a, b) => DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype])
  // Null prototype: a tensor named "__proto__" must become a key, not a prototype.
  const json: Record<string, unknown> = Object.create(null)
  if (metadata && Object.keys(metadata).length > 0) json[METADATA_KEY] = metadata
  let offset = 0
  for (const t of ordered) {
    if (t.name === METADATA_KEY || Object.hasOwn(json, t.name)) {
      throw new SafetensorsError(file, t.name, 'input', 'duplicate or reserved tensor name')
    }
    if (!t.shape.every(isCount)) {
      throw new SafetensorsError(file, t.name, 'shape', `shape ${JSON.stringify(t.shape)} is not an array of non-negative integers`)
    }
    const count = t.shape.reduce((a, b) => a * b, 1)
    if (count !== t.data.length) {
      throw new SafetensorsError(file, t.name, 'size', `shape ${JSON.stringify(t.shape)} needs ${count} values but data has ${t.data.length}`)
    }
    const bytes = count * DTYPE_BYTES[t.dtype]
    json[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] }
    offset += bytes
  }
  let text = JSON.stringify(json)
  const raw = new TextEncoder().encode(text)
  text += ' '.repeat((8 - (raw.length % 8)) % 8)
  return { header: new TextEncoder().encode(text), ordered, dataBytes: offset }
}

function tensorBytes(t: TensorToEncode): Uint8Array {
  if (t.dtype === 'F32') {
    if (LITTLE_ENDIAN) return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)
    const out = new Uint8Array(t.data.length * 4)
    const view = new DataView(out.buffer)
    for (let i = 0; i < t.data.length; i++) view.setFloat32(i * 4, t.data[i], true)
    return out
  }
  const out = new Uint8Array(t.data.length * 2)
  const view = new DataView(out.buffer)
  for (let i = 0; i < t.data.length; i++) view.setUint16(i * 2, floatToHalf(t.data[i]), true)
  return out
}

function prefix(headerLength: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true)
  return out
}

export function encodeSafetensors(tensors: TensorToEncode[], metadata?: Record<string, string>): Uint8Array {
  const { header, ordered, dataBytes } = layout(tensors, metadata, '<memory>')
  const out = new Uint8Array(8 + header.length + dataBytes)
  out.set(prefix(header.length), 0)
  out.set(header, 8)
  let pos = 8 + header.length
  for (const t of ordered) {
    const bytes = tensorBytes(t)
    out.set(bytes, pos)
    pos += bytes.length
  }
  return out
}

/**
 * Writes a file crash-safely through the one atomic write (engine/atomic-write.ts: temp file, fsync, rename, folder
 * fsync). Tensors are written one by one, so the file is never assembled in memory.
 */
export function writeSafetensors(file: string, tensors: TensorToEncode[], metadata?: Record<string, string>): void {
  const { header, ordered } = layout(tensors, metadata, file)
  writeAtomic(file, (put) => {
    put(prefix(header.length))
    put(header)
    for (const t of ordered) put(tensorBytes(t))
  })
}
