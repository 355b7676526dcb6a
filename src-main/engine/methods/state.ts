// Editor state as one versioned, checksummed file, for every method: the method's tensors as F32 safetensors and
// its config and tables as JSON in the safetensors metadata, with the base model's hash and the target module.
// The checksum (sha256 over every tensor's bytes, in name order, plus the metadata JSON) is checked on import, so
// a flipped byte anywhere is refused rather than loaded as a silently different editor.
import { createHash } from 'node:crypto'
import { encodeSafetensors, parseSafetensors, SafetensorsError } from '../model/safetensors'
import { targetModules } from '../model/targets'
import type { EditorModel } from './editor'

const FORMAT = 'elder-workbench/editor-state'
const VERSION = '1'

export class StateError extends Error {
  override name = 'StateError'
}

export interface StateTensor {
  name: string
  shape: number[]
  data: Float32Array
}

export interface ParsedState {
  meta: Record<string, string>
  tensors: Map<string, { shape: number[]; data: Float32Array }>
}

function checksum(tensors: Array<{ name: string; data: Float32Array }>, meta: Record<string, string>): string {
  const h = createHash('sha256')
  for (const t of [...tensors].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    h.update(t.name)
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
  }
  h.update(JSON.stringify(Object.entries(meta).sort()))
  return h.digest('hex')
}

/** The state file of an editor on `base`: `meta` must hold the method's `config` (JSON, with its method). */
export function writeState(base: EditorModel, tensors: StateTensor[], meta: Record<string, string>): Uint8Array {
  // The module the state's tensors sit on: gate_proj and up_proj have the same shapes, so shapes alone cannot tell.
  const all = { format: FORMAT, version: VERSION, base_model_sha256: base.contentHash, target_module: base.model.target.name, ...meta }
  const list = tensors.map((t) => ({ ...t, dtype: 'F32' as const }))
  return encodeSafetensors(list, { ...all, sha256: checksum(list, all) })
}

/** Parses and checks a state file: format, version, checksum, base model and target module, or a StateError saying which. */
export function readState(bytes: Uint8Array, base: EditorModel): ParsedState {
  let contents
  try {
    contents = parseSafetensors(bytes, {}, 'editor state')
  } catch (err) {
    if (err instanceof SafetensorsError) throw new StateError(`not a valid editor state: ${err.message}`)
    throw err
  }
  const { sha256, ...meta } = contents.metadata
  if (meta.format !== FORMAT) throw new StateError(`not an editor state (format "${meta.format ?? '?'}")`)
  if (meta.version !== VERSION) throw new StateError(`editor state version ${meta.version} is not supported (${VERSION})`)
  const list = [...contents.tensors].map(([name, t]) => ({ name, data: t.data }))
  if (sha256 !== checksum(list, meta)) throw new StateError('editor state checksum mismatch: the file is corrupt')
  if (meta.base_model_sha256 !== base.contentHash) {
    throw new StateError(
      `editor state belongs to base model ${meta.base_model_sha256.slice(0, 12)}…, ` +
        `not to the loaded one (${base.contentHash.slice(0, 12)}…)`
    )
  }
  // States written before the module was recorded were all on the architecture's default module.
  const placed = meta.target_module ?? targetModules(base.model.config.modelType)[0]
  if (placed !== base.model.target.name) {
    throw new StateError(
      `editor state was trained on target module "${placed}", but the model is placed on "${base.model.target.name}" ` +
        `(load the model with module ${placed})`
    )
  }
  return { meta, tensors: contents.tensors }
}

/** A tensor of a parsed state with the expected shape, or a StateError naming it. */
export function stateTensor(s: ParsedState, name: string, shape: readonly number[]): Float32Array {
  const t = s.tensors.get(name)
  if (!t || t.shape.length !== shape.length || t.shape.some((d, j) => d !== shape[j])) {
    throw new StateError(`editor state tensor "${name}" is missing or not of shape [${shape}]`)
  }
  return t.data
}
