// The methods the engine knows, registered once, and the entry points that pick one by a config's `method`.
// Import editors from here, never a method's class: the workspace, metrics and benchmarks work with any of them.
import type { ElderConfig } from '../elder/config'
import { ElderEditor } from '../elder/editor'
import { elderFromState } from '../elder/state'
import { CONFIG_PARSERS } from './configs'
import { methodDef, methodOf, register, type Editor, type EditorModel } from './editor'
import { readState } from './state'

export type { MethodConfig } from './configs'

register<ElderConfig>({
  name: 'elder',
  summary: 'ELDER: mixture-of-LoRA on c_fc with label-keyed allocations and a scope decision (presets elder, elder-paper)',
  parseConfig: CONFIG_PARSERS.elder,
  create: (base, config) => new ElderEditor(base, config),
  fromState: elderFromState
})

/** A fresh editor of the method `config` names. */
export function createEditor(base: EditorModel, config: unknown): Editor {
  const def = methodDef(methodOf(config))
  return def.create(base, def.parseConfig(config))
}

/** The editor a state file holds, of whatever method wrote it (checksum and base model checked first). */
export function restoreEditor(base: EditorModel, bytes: Uint8Array): Editor {
  const s = readState(bytes, base)
  return methodDef(methodOf(JSON.parse(s.meta.config))).fromState(base, s)
}

/** The registered methods' names (import from here so that registration has run). */
export { methodNames } from './editor'
