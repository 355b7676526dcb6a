// The setting every method shares: which target module of each block its adapters, keys or tuned weights sit on
// (model/targets.ts lists each architecture's). The model is loaded with it (model/load.ts), so an experiment's
// module decides where its engine places the hooks; null keeps the architecture's default, as every experiment
// made before the setting existed.
import { z } from 'zod'
import { MethodConfigError } from './editor'

export const moduleField = {
  /** Target module inside a block, e.g. 'mlp.up_proj'; null = the architecture's default (mlp.c_fc, mlp.down_proj). */
  module: z.string().min(1).max(200).nullable().default(null)
}

/** The module an unparsed config asks for (null: the default), or a MethodConfigError naming the field. */
export function moduleOf(config: Record<string, unknown>): string | null {
  const r = moduleField.module.safeParse(config.module)
  if (!r.success) throw new MethodConfigError(`config field "module": ${r.error.issues[0].message}`)
  return r.data
}
