// ELDER hyper-parameters. Defaults: elder-spec.md §9 (paper: r 8, L 6, N 4, k 2, ε 12, λ 1e-2;
// training: per-batch Adam 1e-3, ×0.5 every 30 steps, up to 50 steps).
import { z } from 'zod'

export const ElderConfigSchema = z
  .object({
    method: z.literal('elder').default('elder'),
    /** Experts (LoRAs) per MoLoRA layer. */
    numExperts: z.number().int().min(2).max(32).default(4),
    /** Experts mixed per input (top-k of the router's softmax scores, not renormalised). */
    topK: z.number().int().min(1).default(2),
    rank: z.number().int().min(1).max(256).default(8),
    /** LoRA scale = alpha / rank; alpha = rank gives 1, as in the public code. */
    alpha: z.number().positive().default(8),
    /** MoLoRA layers: c_fc of blocks [firstBlock, firstBlock + layers). */
    layers: z.number().int().min(1).default(6),
    /** First MoLoRA block; null = the last `layers` blocks. The query block is firstBlock − 1. */
    firstBlock: z.number().int().min(1).nullable().default(null),
    /** Deferral threshold: an input is in scope iff its nearest stored code is at Hamming distance < eps. */
    eps: z.number().min(0).default(12),
    /**
     * How deferral decides "in scope": 'code' is the paper's (nearest stored code at Hamming distance < eps);
     * 'code+query' also requires the input's routing query within cosine distance < queryRadius of a stored edit
     * row's query (elder-spec.md §10: a discriminator that still separates inputs when codes saturate).
     */
    discriminator: z.enum(['code', 'code+query']).default('code'),
    queryRadius: z.number().min(0).max(2).default(0.05),
    /** Weight of the guided (pre-assignment) loss. */
    lambda: z.number().min(0).default(0.01),
    lr: z.number().positive().default(1e-3),
    lrDecayEvery: z.number().int().min(1).default(30),
    lrDecay: z.number().positive().max(1).default(0.5),
    maxSteps: z.number().int().min(1).max(10000).default(50),
    /** Stop a batch early once every target token is the argmax and the LM loss is below earlyStopLoss. */
    earlyStop: z.boolean().default(true),
    earlyStopLoss: z.number().positive().default(0.1),
    seed: z.number().int().default(0)
  })
  .strict()
  .refine((c) => c.topK < c.numExperts, { message: 'topK must be smaller than numExperts', path: ['topK'] })

export type ElderConfig = z.output<typeof ElderConfigSchema>
export type ElderConfigInput = z.input<typeof ElderConfigSchema>

export class ElderConfigError extends Error {
  override name = 'ElderConfigError'
}

/** Validates a (partial) config and fills the defaults; a bad field is named in the error. */
export function parseElderConfig(input: unknown): ElderConfig {
  const r = ElderConfigSchema.safeParse(input ?? {})
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new ElderConfigError(`ELDER config field "${issue.path.join('.') || '(root)'}": ${issue.message}`)
  }
  return r.data
}

/** Resolves the MoLoRA block range for a model with nLayer blocks (§9: fewer than L+1 blocks → L = n_layer − 1). */
export function placement(c: ElderConfig, nLayer: number): { first: number; L: number; queryBlock: number } {
  const L = Math.min(c.layers, nLayer - 1)
  const first = c.firstBlock ?? nLayer - L
  if (first < 1 || first + L > nLayer) {
    throw new ElderConfigError(
      `MoLoRA blocks [${first}, ${first + L}) do not fit a ${nLayer}-block model with a query block below them`
    )
  }
  return { first, L, queryBlock: first - 1 }
}
