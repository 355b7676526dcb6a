// LoRA baseline settings (issue 12): one rank-r LoRA on c_fc of the same blocks as ELDER, no router, no deferral.
import { z } from 'zod'
import { moduleField } from '../module-field'
import { parseWith, trainFields } from '../train-config'

export const LoraConfigSchema = z
  .object({
    method: z.literal('lora'),
    rank: z.number().int().min(1).max(256).default(8),
    /** LoRA scale = alpha / rank. */
    alpha: z.number().positive().default(8),
    /** LoRA layers: c_fc of blocks [firstBlock, firstBlock + layers), as ELDER places its MoLoRA. */
    layers: z.number().int().min(1).default(6),
    firstBlock: z.number().int().min(1).nullable().default(null),
    ...trainFields,
    ...moduleField
  })
  .strict()

export type LoraConfig = z.output<typeof LoraConfigSchema>

export const parseLoraConfig = (input: unknown): LoraConfig => parseWith('LoRA', LoraConfigSchema, input)
