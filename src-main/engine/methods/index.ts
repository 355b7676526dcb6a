// The methods the engine knows, registered once, and the entry points that pick one by a config's `method`.
// Import editors from here, never a method's class: the workspace, metrics and benchmarks work with any of them.
import type { ElderConfig } from '../elder/config'
import { ElderEditor } from '../elder/editor'
import { elderFromState } from '../elder/state'
import { CONFIG_PARSERS, type MethodConfig } from './configs'
import { MethodConfigError, methodDef, methodOf, register, type Editor, type EditorModel } from './editor'
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

// ELDER: mixture-of-LoRA on c_fc with label-keyed allocations and a scope decision (presets elder, elder-paper).
register<ElderConfig>({
  name: 'elder',
  parseConfig: CONFIG_PARSERS.elder,
  create: (base, config) => new ElderEditor(base, config),
  fromState: elderFromState
})

// LoRA: one rank-r LoRA on c_fc of the same blocks as ELDER, no router, no deferral.
registerLoadable<LoraConfig>('lora', (b, c) => new LoraEditor(b, c))
// FT-L: fine-tunes one FFN weight matrix (c_fc of ELDER's query block) sequentially, no adapter.
registerLoadable<FtlConfig>('ft-l', (b, c) => new FtlEditor(b, c))
// GRACE: a codebook at c_fc of one block; a key within its radius replaces the layer output with its value.
registerLoadable<GraceConfig>('grace', (b, c) => new GraceEditor(b, c))
// MELO: LoRA rank-blocks on c_fc chosen per input through a vector database of edit-key clusters.
registerLoadable<MeloConfig>('melo', (b, c) => new MeloEditor(b, c))

/** Registers a method whose fresh editor loads a checked state (loadState) — every method but ELDER. */
function registerLoadable<C extends MethodConfig>(
  name: C['method'],
  make: (base: EditorModel, config: C) => Editor & { loadState(s: ParsedState): void }
): void {
  const parse = CONFIG_PARSERS[name] as unknown as (input: unknown) => C
  register<C>({ name, parseConfig: parse, create: make, fromState: (base, s) => withState(make(base, parse(JSON.parse(s.meta.config))), s) })
}

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
  const parsed = def.parseConfig(config)
  // The module is where the model placed its hooks at load: a config asking for another would train elsewhere.
  if (parsed.module !== null && parsed.module !== base.model.target.name) {
    throw new MethodConfigError(
      `config field "module": "${parsed.module}", but the model is loaded with target module "${base.model.target.name}"`
    )
  }
  return def.create(base, parsed)
}

/** The editor a state file holds, of whatever method wrote it (checksum and base model checked first). */
export function restoreEditor(base: EditorModel, bytes: Uint8Array): Editor {
  const s = readState(bytes, base)
  return methodDef(methodOf(JSON.parse(s.meta.config))).fromState(base, s)
}

/** The registered methods' names (import from here so that registration has run). */
export { methodNames } from './editor'
