// Hugging Face GPT-2 checkpoint keys of one block (`h.{j}.` + key), by our field name.
import type { BlockWeights } from './gpt2'

export const BLOCK_KEYS: Record<keyof BlockWeights, string> = {
  ln1g: 'ln_1.weight',
  ln1b: 'ln_1.bias',
  attnW: 'attn.c_attn.weight',
  attnB: 'attn.c_attn.bias',
  projW: 'attn.c_proj.weight',
  projB: 'attn.c_proj.bias',
  ln2g: 'ln_2.weight',
  ln2b: 'ln_2.bias',
  fcW: 'mlp.c_fc.weight',
  fcB: 'mlp.c_fc.bias',
  fcProjW: 'mlp.c_proj.weight',
  fcProjB: 'mlp.c_proj.bias'
}

export const blockKeyEntries = (): Array<[keyof BlockWeights, string]> =>
  Object.entries(BLOCK_KEYS) as Array<[keyof BlockWeights, string]>
