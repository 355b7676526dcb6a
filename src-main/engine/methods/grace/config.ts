// GRACE baseline settings (elder-spec.md §7): a codebook at c_fc of one block. Defaults are GRACE's own
// (ε_init 1.0, value lr 1.0, 100 steps), not tuned on this project's model.
import { z } from 'zod'
import { moduleField } from '../module-field'
import { parseWith, trainFields } from '../train-config'

export const GraceConfigSchema = z
  .object({
    method: z.literal('grace'),
    /** The block whose c_fc output the codebook replaces; null = ELDER's query block, so keys are ELDER's queries. */
    block: z.number().int().min(0).nullable().default(null),
    /** Radius of a new key (Euclidean distance in the layer's input space). */
    epsInit: z.number().positive().default(1),
    ...trainFields,
    ...moduleField,
    lr: z.number().positive().default(1),
    maxSteps: z.number().int().min(1).max(10000).default(100)
  })
  .strict()

export type GraceConfig = z.output<typeof GraceConfigSchema>

export const parseGraceConfig = (input: unknown): GraceConfig => parseWith('GRACE', GraceConfigSchema, input)
