// MELO baseline settings (elder-spec.md §7). One LoRA on c_fc of ELDER's blocks, cut into rank-blocks; a vector
// database of edit keys picks the block that serves an input. The radius is GRACE's ε_init, so the two key stores
// decide scope at the same distance (MELO's own values, 0.5 and 75, are for other models' key spaces).
import { z } from 'zod'
import { moduleField } from '../module-field'
import { parseWith, trainFields } from '../train-config'

export const MeloConfigSchema = z
  .object({
    method: z.literal('melo'),
    numBlocks: z.number().int().min(1).max(1024).default(32),
    ranksPerBlock: z.number().int().min(1).max(64).default(2),
    /** Edits trained into one block before the next block is taken (after the last, the first is reused). */
    editsPerBlock: z.number().int().min(1).default(4),
    initRadius: z.number().positive().default(1),
    layers: z.number().int().min(1).default(6),
    firstBlock: z.number().int().min(1).nullable().default(null),
    ...trainFields,
    ...moduleField
  })
  .strict()

export type MeloConfig = z.output<typeof MeloConfigSchema>

export const parseMeloConfig = (input: unknown): MeloConfig => parseWith('MELO', MeloConfigSchema, input)
