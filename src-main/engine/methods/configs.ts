// Every method's config parser, keyed by method name — without tensors, so the workspace service can validate an
// experiment's settings in the main process. methods/index.ts registers each editor with the parser named here.
import { MethodConfigError, methodOf } from './editor'
import { parseElderConfig, type ElderConfig } from '../elder/config'

/** Every method's config, discriminated on `method`. */
export type MethodConfig = ElderConfig

export const CONFIG_PARSERS: { readonly [M in MethodConfig['method']]: (input: unknown) => Extract<MethodConfig, { method: M }> } = {
  elder: parseElderConfig
}

/** Validates a config for the method it names (ELDER when it names none); unknown methods are refused by name. */
export function parseMethodConfig(input: unknown): MethodConfig {
  const name = methodOf(input)
  const parse = (CONFIG_PARSERS as Record<string, (input: unknown) => MethodConfig>)[name]
  if (!parse) throw new MethodConfigError(`unknown method "${name}" (known: ${Object.keys(CONFIG_PARSERS).join(', ')})`)
  return parse(input)
}
