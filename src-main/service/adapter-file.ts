// The adapter file: one file another workspace can import. It carries the editor state (the checkpoint bytes,
// checksummed by the engine's own format) together with the batches and edits that made it, so the importing
// workspace gets a real history (applied batches whose codes own the state's deferral rows), not an opaque blob.
//
//   bytes 0..7   "ELDERADP"
//   bytes 8..11  header length H, uint32 little-endian
//   12..12+H     header, UTF-8 JSON (AdapterHeader)
//   rest         editor state (engine/elder/state.ts format); its sha256 is in the header
import { sha256Hex } from '../jobs/checkpoint-file'
import { fail } from './errors'

const MAGIC = Buffer.from('ELDERADP', 'latin1')
export const ADAPTER_FORMAT = 'elder-workbench/adapter'
const VERSION = 1

export interface AdapterEdit {
  prompt: string
  target: string
  ground_truth?: string
  rephrases: string[]
  locality: Array<{ prompt: string; answer: string }>
  subject?: string
  relation?: string
}

export interface AdapterBatch {
  /** The batch id in the exporting workspace: the owner of its rows in the state's deferral table. */
  owner: number
  seq: number
  state: 'applied' | 'disabled'
  edits: AdapterEdit[]
  /** Per edit, in row order: allocation code and preset as Uint32 words. */
  codes: Array<{ code: number[]; preset: number[] }>
}

export interface AdapterHeader {
  format: typeof ADAPTER_FORMAT
  version: number
  exportedAt: number
  model: { contentHash: string; name: string }
  experiment: { name: string; method: string; config: Record<string, unknown> }
  batches: AdapterBatch[]
  state: { sha256: string; bytes: number }
}

export function packAdapter(header: Omit<AdapterHeader, 'format' | 'version' | 'state'>, state: Uint8Array): Buffer {
  const full: AdapterHeader = { format: ADAPTER_FORMAT, version: VERSION, ...header, state: { sha256: sha256Hex(state), bytes: state.length } }
  const json = Buffer.from(JSON.stringify(full), 'utf8')
  const len = Buffer.alloc(4)
  len.writeUInt32LE(json.length, 0)
  return Buffer.concat([MAGIC, len, json, state])
}

/** Parses and checks an adapter file; every problem is an invalid_request naming what was wrong. */
export function unpackAdapter(bytes: Uint8Array, name: string): { header: AdapterHeader; state: Uint8Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const bad = (why: string) => fail('invalid_request', `${name} is not an ELDER adapter file: ${why}`)
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) throw bad('it does not start with "ELDERADP"')
  const h = buf.readUInt32LE(8)
  if (12 + h > buf.length) throw bad(`its header says ${h} bytes but the file has ${buf.length - 12} after the length`)
  let header: AdapterHeader
  try {
    header = JSON.parse(buf.subarray(12, 12 + h).toString('utf8')) as AdapterHeader
  } catch (e) {
    throw bad(`the header is not JSON (${(e as Error).message})`)
  }
  if (header?.format !== ADAPTER_FORMAT) throw bad(`the header format is ${JSON.stringify(header?.format)}`)
  if (header.version !== VERSION) throw bad(`version ${header.version} is not supported (this build reads ${VERSION})`)
  if (!Array.isArray(header.batches) || header.batches.some((b) => !Array.isArray(b?.edits) || !Array.isArray(b?.codes) || b.codes.length !== b.edits.length)) {
    throw bad('its batches are malformed (each needs edits and one code per edit)')
  }
  const state = buf.subarray(12 + h)
  if (sha256Hex(state) !== header.state?.sha256) throw bad('the editor state does not match its sha256 (the file is corrupt or truncated)')
  return { header, state }
}
