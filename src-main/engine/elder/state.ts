// ELDER's editor state (methods/state.ts is the checksummed container): every adapter and router weight, and the
// config, allocation presets, stored codes and queries as JSON in the metadata.
import * as tf from '@tensorflow/tfjs'
import { readState, StateError, writeState, type ParsedState } from '../methods/state'
import { parseElderConfig } from './config'
import { DeferralTable, type DeferralTableJSON } from './deferral'
import { ElderEditor } from './editor'
import type { EditorModel } from '../methods/editor'
import { AllocationPresets, type AllocationPresetsJSON } from './presets'
import { QueryTable, type QueryTableJSON } from './query-table'

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

export function exportState(e: ElderEditor): Uint8Array {
  const names = tensorNames(e.L)
  const queries = e.queries.toJSON()
  const tensors = [
    ...editorTensors(e).map((v, i) => ({ name: names[i], shape: v.shape, data: v.dataSync() as Float32Array })),
    { name: 'edit_queries', shape: [e.queries.size, e.queries.D], data: queries.vectors }
  ]
  return writeState(e.base, tensors, {
    config: JSON.stringify(e.config),
    presets: JSON.stringify(e.presets.toJSON()),
    codes: JSON.stringify(e.table.toJSON()),
    queries: JSON.stringify(queries.json),
    next_batch_id: String(e.nextBatchId),
    enabled: String(e.enabled)
  })
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
  const s = readState(bytes, e.base)
  const saved = parseElderConfig(savedConfig(s))
  const c = e.config
  if (saved.numExperts !== c.numExperts || saved.rank !== c.rank || saved.layers !== c.layers || saved.topK !== c.topK) {
    throw new StateError('editor state has other sizes (N, k, r, L) than this editor: use editorFromState')
  }
  load(e, s)
}

/** A new editor with the saved config and state. */
export function editorFromState(base: EditorModel, bytes: Uint8Array): ElderEditor {
  return elderFromState(base, readState(bytes, base))
}

/** An ELDER editor from a checked state (the registry's fromState). */
export function elderFromState(base: EditorModel, s: ParsedState): ElderEditor {
  const e = new ElderEditor(base, savedConfig(s))
  try {
    load(e, s)
  } catch (err) {
    e.dispose()
    throw err
  }
  return e
}
