// FT-L baseline settings (issue 12): fine-tune one FFN weight matrix, c_fc of one block, sequentially, no adapter.
import { z } from 'zod'
import { moduleField } from '../module-field'
import { parseWith, trainFields } from '../train-config'

export const FtlConfigSchema = z
  .object({
    method: z.literal('ft-l'),
    /** The block whose c_fc is tuned; null = ELDER's query block (the one below its six MoLoRA blocks). */
    block: z.number().int().min(0).nullable().default(null),
    ...trainFields,
    ...moduleField,
    // A dense matrix moves far per Adam step at the adapters' rate: ROME's FT-L baseline uses 5e-4.
    lr: z.number().positive().default(5e-4)
  })
  .strict()

export type FtlConfig = z.output<typeof FtlConfigSchema>

export const parseFtlConfig = (input: unknown): FtlConfig => parseWith('FT-L', FtlConfigSchema, input)
