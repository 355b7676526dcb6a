// The methods the engine knows, registered once, and the entry points that pick one by a config's `method`.
// Import editors from here, never a method's class: the workspace, metrics and benchmarks work with any of them.
import type { ElderConfig } from '../elder/config'
import { ElderEditor } from '../elder/editor'
import { elderFromState } from '../elder/state'
import { CONFIG_PARSERS } from './configs'
import { methodDef, methodOf, register, type Editor, type EditorModel } from './editor'
import type { FtlConfig } from './ftl/config'
import { FtlEditor } from './ftl/ftl'
import type { GraceConfig } from './grace/config'
import { GraceEditor } from './grace/grace'
import type { LoraConfig } from './lora/config'
import { LoraEditor } from './lora/lora'
import type { MeloConfig } from './melo/config'
import { MeloEditor } from './melo/melo'
import { readState, type ParsedState } from './state'

export type { MethodConfig } from './configs'

register<ElderConfig>({
  name: 'elder',
  summary: 'ELDER: mixture-of-LoRA on c_fc with label-keyed allocations and a scope decision (presets elder, elder-paper)',
  parseConfig: CONFIG_PARSERS.elder,
  create: (base, config) => new ElderEditor(base, config),
  fromState: elderFromState
})

register<LoraConfig>({
  name: 'lora',
  summary: 'LoRA: one rank-r LoRA on c_fc of the same blocks as ELDER, no router, no deferral',
  parseConfig: CONFIG_PARSERS.lora,
  create: (base, config) => new LoraEditor(base, config),
  fromState: (base, s) => withState(new LoraEditor(base, CONFIG_PARSERS.lora(JSON.parse(s.meta.config))), s)
})

register<FtlConfig>({
  name: 'ft-l',
  summary: "FT-L: fine-tunes one FFN weight matrix (c_fc of ELDER's query block) sequentially, no adapter",
  parseConfig: CONFIG_PARSERS['ft-l'],
  create: (base, config) => new FtlEditor(base, config),
  fromState: (base, s) => withState(new FtlEditor(base, CONFIG_PARSERS['ft-l'](JSON.parse(s.meta.config))), s)
})

register<GraceConfig>({
  name: 'grace',
  summary: 'GRACE: a codebook at c_fc of one block; a key within its radius replaces the layer output with its value',
  parseConfig: CONFIG_PARSERS.grace,
  create: (base, config) => new GraceEditor(base, config),
  fromState: (base, s) => withState(new GraceEditor(base, CONFIG_PARSERS.grace(JSON.parse(s.meta.config))), s)
})

register<MeloConfig>({
  name: 'melo',
  summary: 'MELO: LoRA rank-blocks on c_fc chosen per input through a vector database of edit-key clusters',
  parseConfig: CONFIG_PARSERS.melo,
  create: (base, config) => new MeloEditor(base, config),
  fromState: (base, s) => withState(new MeloEditor(base, CONFIG_PARSERS.melo(JSON.parse(s.meta.config))), s)
})

/** A new editor loaded with a state; the editor is freed if the state does not fit it. */
function withState<E extends Editor & { loadState(s: ParsedState): void }>(e: E, s: ParsedState): E {
  try {
    e.loadState(s)
  } catch (err) {
    e.dispose()
    throw err
  }
  return e
}

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
