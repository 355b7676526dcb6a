// Editor state as one versioned, checksummed file: every adapter and router weight as F32 safetensors, and the
// config, allocation presets, stored codes and base-model hash as JSON in the safetensors metadata.
// The checksum (sha256 over every tensor's bytes, in name order, plus the metadata JSON) is checked on import, so
// a flipped byte anywhere is refused rather than loaded as a silently different editor.
import { createHash } from 'node:crypto'
import * as tf from '@tensorflow/tfjs'
import { encodeSafetensors, parseSafetensors, SafetensorsError } from '../model/safetensors'
import { parseElderConfig } from './config'
import { DeferralTable, type DeferralTableJSON } from './deferral'
import { ElderEditor, type EditorModel } from './editor'
import { AllocationPresets, type AllocationPresetsJSON } from './presets'
import { QueryTable, type QueryTableJSON } from './query-table'

const FORMAT = 'elder-workbench/editor-state'
const VERSION = '1'

export class StateError extends Error {
  override name = 'StateError'
}

function tensorNames(L: number): string[] {
  const names: string[] = []
  for (let l = 0; l < L; l++) names.push(`molora.${l}.A`, `molora.${l}.B`)
  return [...names, 'router.weight', 'router.bias']
}

function editorTensors(e: ElderEditor): tf.Variable[] {
  const t: tf.Variable[] = []
  for (let l = 0; l < e.L; l++) t.push(e.molora.A[l], e.molora.B[l])
  return [...t, e.molora.routerW, e.molora.routerB]
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

export function exportState(e: ElderEditor): Uint8Array {
  const names = tensorNames(e.L)
  const queries = e.queries.toJSON()
  const tensors = [
    ...editorTensors(e).map((v, i) => ({
      name: names[i],
      dtype: 'F32' as const,
      shape: v.shape,
      data: v.dataSync() as Float32Array
    })),
    { name: 'edit_queries', dtype: 'F32' as const, shape: [e.queries.size, e.queries.D], data: queries.vectors }
  ]
  const meta: Record<string, string> = {
    format: FORMAT,
    version: VERSION,
    base_model_sha256: e.base.contentHash,
    config: JSON.stringify(e.config),
    presets: JSON.stringify(e.presets.toJSON()),
    codes: JSON.stringify(e.table.toJSON()),
    queries: JSON.stringify(queries.json),
    next_batch_id: String(e.nextBatchId),
    enabled: String(e.enabled)
  }
  return encodeSafetensors(tensors, { ...meta, sha256: checksum(tensors, meta) })
}

interface ParsedState {
  meta: Record<string, string>
  tensors: Map<string, { shape: number[]; data: Float32Array }>
}

function parse(bytes: Uint8Array, base: EditorModel): ParsedState {
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
  return { meta, tensors: contents.tensors }
}

/** A state's config; states written before presets existed ran the paper's method. */
function savedConfig(s: ParsedState): Record<string, unknown> {
  const c = JSON.parse(s.meta.config) as Record<string, unknown>
  return 'preset' in c ? c : { ...c, preset: 'elder-paper' }
}

function load(e: ElderEditor, s: ParsedState): void {
  const names = tensorNames(e.L)
  const vars = editorTensors(e)
  names.forEach((name, i) => {
    const t = s.tensors.get(name)
    const want = vars[i].shape
    if (!t || t.shape.length !== want.length || t.shape.some((d, j) => d !== want[j])) {
      throw new StateError(`editor state tensor "${name}" is missing or not of shape [${want}]`)
    }
  })
  const presets = AllocationPresets.fromJSON(JSON.parse(s.meta.presets) as AllocationPresetsJSON)
  const table = DeferralTable.fromJSON(JSON.parse(s.meta.codes) as DeferralTableJSON)
  const stored = s.tensors.get('edit_queries')
  if (!stored) throw new StateError('editor state has no "edit_queries" tensor')
  const queries = QueryTable.fromJSON(JSON.parse(s.meta.queries) as QueryTableJSON, stored.data)
  names.forEach((name, i) => {
    const t = s.tensors.get(name) as { shape: number[]; data: Float32Array }
    tf.tidy(() => vars[i].assign(tf.tensor(t.data, t.shape)))
  })
  e.presets = presets
  e.table = table
  e.queries = queries
  e.nextBatchId = Number(s.meta.next_batch_id)
  e.enabled = s.meta.enabled === 'true'
}

/** Replaces an editor's state with a saved one (same base model and same sizes, or a clear error). */
export function importState(e: ElderEditor, bytes: Uint8Array): void {
  const s = parse(bytes, e.base)
  const saved = parseElderConfig(savedConfig(s))
  const c = e.config
  if (saved.numExperts !== c.numExperts || saved.rank !== c.rank || saved.layers !== c.layers || saved.topK !== c.topK) {
    throw new StateError('editor state has other sizes (N, k, r, L) than this editor: use editorFromState')
  }
  load(e, s)
}

/** A new editor with the saved config and state. */
export function editorFromState(base: EditorModel, bytes: Uint8Array): ElderEditor {
  const s = parse(bytes, base)
  const e = new ElderEditor(base, savedConfig(s))
  try {
    load(e, s)
  } catch (err) {
    e.dispose()
    throw err
  }
  return e
}
