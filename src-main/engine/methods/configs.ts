// Every method's config parser, keyed by method name — without tensors, so the workspace service can validate an
// experiment's settings in the main process. methods/index.ts registers each editor with the parser named here.
import { MethodConfigError, methodOf } from './editor'
import { parseElderConfig, type ElderConfig } from '../elder/config'
import { parseFtlConfig, type FtlConfig } from './ftl/config'
import { parseGraceConfig, type GraceConfig } from './grace/config'
import { parseLoraConfig, type LoraConfig } from './lora/config'
import { parseMeloConfig, type MeloConfig } from './melo/config'

/** Every method's config, discriminated on `method`. */
export type MethodConfig = ElderConfig | LoraConfig | FtlConfig | GraceConfig | MeloConfig

export const CONFIG_PARSERS: { readonly [M in MethodConfig['method']]: (input: unknown) => Extract<MethodConfig, { method: M }> } = {
  elder: parseElderConfig,
  lora: parseLoraConfig,
  'ft-l': parseFtlConfig,
  grace: parseGraceConfig,
  melo: parseMeloConfig
}

/** Validates a config for the method it names (ELDER when it names none); unknown methods are refused by name. */
export function parseMethodConfig(input: unknown): MethodConfig {
  const name = methodOf(input)
  const parse = (CONFIG_PARSERS as Record<string, (input: unknown) => MethodConfig>)[name]
  if (!parse) throw new MethodConfigError(`unknown method "${name}" (known: ${Object.keys(CONFIG_PARSERS).join(', ')})`)
  return parse(input)
}

/**
 * Whether a method can switch one batch off and on while keeping the others (ELDER: its codes leave the scope;
 * GRACE, MELO: its keys leave the lookup).
 * The baselines train one set of weights shared by every batch: only a rollback to a checkpoint undoes a batch.
 */
export const SWITCHES_BATCHES: { readonly [M in MethodConfig['method']]: boolean } = {
  elder: true,
  lora: false,
  'ft-l': false,
  grace: true,
  melo: true
}

export function switchesBatches(method: string): boolean {
  return (SWITCHES_BATCHES as Record<string, boolean>)[method] ?? false
}
