// ELDER hyper-parameters. Two named presets (docs/elder-method.md says what each change from the paper buys):
//   'elder-paper' — elder-spec.md §9 as published: r 8, L 6, N 4, k 2, ε 12, λ 1e-2, learned routers, code deferral,
//                   per-batch Adam 1e-3 ×0.5 every 30 steps, ≤ 50 steps, early stop at CE < 0.1, no rehearsal;
//   'elder'       — the default: the same MoLoRA, but each edit is trained and served through its fixed preset
//                   allocation, the scope is decided on the frozen routing query (nearest stored edit, cosine radius,
//                   gated on the base model's answer token, the subject and the relation the input reads as), a
//                   bounded rehearsal of earlier edits (first those whose loss rose above 0.05), training to CE < 0.02.
import { z } from 'zod'
import { MethodConfigError } from '../methods/editor'
import { moduleField } from '../methods/module-field'

export const ElderConfigSchema = z
  .object({
    method: z.literal('elder').default('elder'),
    /** Which named preset the other defaults came from (informational; every field below can still be set). */
    preset: z.enum(['elder', 'elder-paper']).default('elder'),
    /** Experts (LoRAs) per MoLoRA layer. */
    numExperts: z.number().int().min(2).max(32).default(8),
    /** Experts mixed per input (top-k of the router's softmax scores, not renormalised). */
    topK: z.number().int().min(1).default(2),
    rank: z.number().int().min(1).max(256).default(4),
    /** LoRA scale = alpha / rank; alpha = rank gives 1, as in the public code. */
    alpha: z.number().positive().default(4),
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
    // 'key' decides on the frozen routing query alone: the nearest stored edit query (among edits whose base-model
    // answer token equals the input's, when answerGate) within cosine distance < queryRadius; the input is then
    // served through that edit's allocation (routing 'preset').
    discriminator: z.enum(['code', 'code+query', 'key']).default('key'),
    queryRadius: z.number().min(0).max(2).default(0.08),
    /** Only compare an input with stored edits whose base-model answer (next token after the prompt) is the same. */
    answerGate: z.boolean().default(true),
    /** Only compare an input with stored edits whose subject (when the edit names one) the input mentions. */
    subjectGate: z.boolean().default(true),
    /**
     * Only compare an input with stored edits of the relation a classifier fitted on the stored edits predicts for it
     * (edits that name no relation are always compared); an edit of that relation matches within queryRadius ×
     * relationScale. relations.ts says why; docs/elder-method.md what it buys and where it can hurt.
     */
    relationGate: z.boolean().default(true),
    relationScale: z.number().min(1).max(25).default(4),
    /**
     * 'router': the routers' own top-k, mixed by their softmax scores (the paper). 'preset': every edit is trained
     * and served through its label's fixed preset allocation, each chosen expert weighted 1/k — nothing can drift.
     */
    routing: z.enum(['router', 'preset']).default('preset'),
    /** Earlier, still-active edits replayed with every training step, per edit in the batch (cost does not grow with history). */
    rehearsal: z.number().int().min(0).max(256).default(8),
    /**
     * Earlier edits checked (forward only) after each batch, per edit in it; those that slipped are rehearsed first.
     * 128, not 32: at 1,000 edits a slip is found within ~8 edits instead of ~31 (reliability 98.0% → 99.4%,
     * docs/elder-method.md), for one 128-row forward pass per edit.
     */
    rehearsalCheck: z.number().int().min(0).max(4096).default(128),
    /**
     * A checked or rehearsed edit also counts as slipped when its mean cross-entropy on its target rose above this,
     * though its answer is still right (0: slipped only once a target token is wrong). Rehearsing edits when their
     * margin erodes, not when they flip, is what keeps their rephrases: an edit trained once is right on 91% of its
     * rephrases, and later edits erode the margin those rely on first (docs/elder-method.md, "Rehearsing to a margin").
     */
    slipLoss: z.number().min(0).default(0.05),
    /** Weight of the router loss (routing 'router'). */
    lambda: z.number().min(0).default(0.01),
    /**
     * The router loss: 'guided' is the paper's (towards label-keyed presets); 'balance' is the Switch Transformer's
     * load-balancing loss, N · Σᵢ fᵢ·Pᵢ per layer (fᵢ: share of rows routed to expert i, Pᵢ: mean score of i) —
     * the paper's Table 4 ablation.
     */
    routerLoss: z.enum(['guided', 'balance']).default('guided'),
    lr: z.number().positive().default(3e-3),
    lrDecayEvery: z.number().int().min(1).default(30),
    lrDecay: z.number().positive().max(1).default(0.5),
    maxSteps: z.number().int().min(1).max(10000).default(50),
    /** Stop a batch early once every target token is the argmax and the LM loss is below earlyStopLoss. */
    earlyStop: z.boolean().default(true),
    earlyStopLoss: z.number().positive().default(0.02),
    seed: z.number().int().default(0),
    ...moduleField
  })
  .strict()
  .refine((c) => c.topK < c.numExperts, { message: 'topK must be smaller than numExperts', path: ['topK'] })

export type ElderConfig = z.output<typeof ElderConfigSchema>
export type PresetName = ElderConfig['preset']

/** The paper's method exactly as the engine ran it before the default changed (elder-spec.md §9). */
export const ELDER_PAPER = {
  preset: 'elder-paper',
  numExperts: 4,
  rank: 8,
  alpha: 8,
  discriminator: 'code',
  queryRadius: 0.05,
  answerGate: false,
  subjectGate: false,
  relationGate: false,
  routing: 'router',
  rehearsal: 0,
  rehearsalCheck: 0,
  slipLoss: 0,
  lr: 1e-3,
  earlyStopLoss: 0.1
} as const

export type ElderConfigInput = z.input<typeof ElderConfigSchema>

export class ElderConfigError extends MethodConfigError {
  override name = 'ElderConfigError'
}

/** Validates a (partial) config and fills the defaults; a bad field is named in the error. */
export function parseElderConfig(input: unknown): ElderConfig {
  // A named preset fills the fields the caller left out: { preset: 'elder-paper', eps: 6 } is the paper with ε 6.
  const given = (input ?? {}) as Record<string, unknown>
  const withPreset = typeof given === 'object' && given.preset === 'elder-paper' ? { ...ELDER_PAPER, ...given } : given
  const r = ElderConfigSchema.safeParse(withPreset)
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new ElderConfigError(`ELDER config field "${issue.path.join('.') || '(root)'}": ${issue.message}`)
  }
  return r.data
}

/** Resolves the MoLoRA block range for a model with nLayer blocks (§9: fewer than L+1 blocks → L = n_layer − 1). */
export function placement(c: Pick<ElderConfig, 'layers' | 'firstBlock'>, nLayer: number): { first: number; L: number; queryBlock: number } {
  const L = Math.min(c.layers, nLayer - 1)
  const first = c.firstBlock ?? nLayer - L
  if (first < 1 || first + L > nLayer) {
    throw new ElderConfigError(
      `MoLoRA blocks [${first}, ${first + L}) do not fit a ${nLayer}-block model with a query block below them`
    )
  }
  return { first, L, queryBlock: first - 1 }
}
