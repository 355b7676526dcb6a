// The target modules each architecture offers the editing methods (model.ts), without tensors: the workspace
// service checks an experiment's `module` setting in the main process against the same lists the loader uses.
// The first module of each list is the architecture's default (GPT-2: the paper's mlp.c_fc for GPT2-XL; the
// LLaMA family: mlp.down_proj, the paper's choice for LLaMA2-7B).

const GPT2_TARGETS = ['mlp.c_fc'] as const
const LLAMA_TARGETS = ['mlp.down_proj', 'mlp.up_proj', 'mlp.gate_proj'] as const
export type LlamaTarget = (typeof LLAMA_TARGETS)[number]

const BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  gpt2: GPT2_TARGETS,
  llama: LLAMA_TARGETS,
  mistral: LLAMA_TARGETS,
  qwen2: LLAMA_TARGETS
}

/** The modules an architecture (config.json's model_type) can be edited on, its default first; [] if unknown. */
export function targetModules(modelType: string): readonly string[] {
  return BY_TYPE[modelType] ?? []
}

/** The module a `module` setting means on an architecture (null: its default), or the one-line reason it is refused. */
export function resolveTarget(modelType: string, module: string | null): { ok: true; name: string } | { ok: false; message: string } {
  const allowed = targetModules(modelType)
  const name = module ?? allowed[0]
  if (name !== undefined && allowed.includes(name)) return { ok: true, name }
  return {
    ok: false,
    message: allowed.length === 0
      ? `architecture "${modelType}" has no target modules to edit`
      : `target module "${name}" is not one of ${modelType}'s (${allowed.join(', ')})`
  }
}
