// Settings every gradient-trained baseline shares, and the parse step that names a refused field. The defaults
// are the default ELDER's training budget (config.ts), so a comparison differs in the method and not the budget.
import { z } from 'zod'
import { MethodConfigError } from './editor'

export const trainFields = {
  lr: z.number().positive().default(3e-3),
  maxSteps: z.number().int().min(1).max(10000).default(50),
  /** Stop a batch early once every target token is the argmax and the LM loss is below earlyStopLoss. */
  earlyStop: z.boolean().default(true),
  earlyStopLoss: z.number().positive().default(0.02),
  seed: z.number().int().default(0)
}

export interface TrainConfig {
  lr: number
  maxSteps: number
  earlyStop: boolean
  earlyStopLoss: number
  seed: number
}

/** Validates `input` with `schema`; the first refused field is named in a MethodConfigError. */
export function parseWith<S extends z.ZodType>(label: string, schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input ?? {})
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new MethodConfigError(`${label} config field "${issue.path.join('.') || '(root)'}": ${issue.message}`)
  }
  return r.data
}
