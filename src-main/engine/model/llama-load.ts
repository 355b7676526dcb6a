// Loads LLaMA-family weights (HF LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM keys) from one file or
// from shards, streamed shard by shard and tensor by tensor: each tensor is decoded to float32, moved into a tf
// tensor and its JS copy dropped, so at most one tensor (or one block's q/k/v) is held outside the backend.
import { basename } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { checkpointTensors } from './checkpoint'
import type { LlamaConfig } from './llama-config'
import type { LlamaBlockWeights, LlamaWeights } from './llama'
import { ModelLoadError } from './load'
import { loadSafetensors } from './safetensors'

/** Expected HF shape of every weight (Linear stores [out, in]), keyed without the "model." prefix. */
export function llamaShapes(c: LlamaConfig, withLmHead: boolean): Map<string, number[]> {
  const D = c.nEmbd
  const F = c.nInner
  const q = c.nHead * c.headDim
  const kv = c.nKvHead * c.headDim
  const m = new Map<string, number[]>([
    ['embed_tokens.weight', [c.vocabSize, D]],
    ['norm.weight', [D]]
  ])
  if (withLmHead) m.set('lm_head.weight', [c.vocabSize, D])
  for (let j = 0; j < c.nLayer; j++) {
    const p = `layers.${j}.`
    m.set(`${p}input_layernorm.weight`, [D])
    m.set(`${p}post_attention_layernorm.weight`, [D])
    m.set(`${p}self_attn.q_proj.weight`, [q, D])
    m.set(`${p}self_attn.k_proj.weight`, [kv, D])
    m.set(`${p}self_attn.v_proj.weight`, [kv, D])
    m.set(`${p}self_attn.o_proj.weight`, [D, q])
    if (c.qkvBias) {
      m.set(`${p}self_attn.q_proj.bias`, [q])
      m.set(`${p}self_attn.k_proj.bias`, [kv])
      m.set(`${p}self_attn.v_proj.bias`, [kv])
    }
    if (c.oBias) m.set(`${p}self_attn.o_proj.bias`, [D])
    m.set(`${p}mlp.gate_proj.weight`, [F, D])
    m.set(`${p}mlp.up_proj.weight`, [F, D])
    m.set(`${p}mlp.down_proj.weight`, [D, F])
  }
  return m
}

// Old Llama checkpoints save RoPE's inv_freq buffer; it is recomputed from the config.
const IGNORED = /^layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/

const canonical = (name: string): string => (name.startsWith('model.') ? name.slice('model.'.length) : name)

/** HF [out, in] data → tf [in, out], so that y = x·W is a plain matMul. */
function transposed(data: Float32Array, out: number, inn: number): tf.Tensor2D {
  return tf.tidy(() => tf.transpose(tf.tensor2d(data, [out, inn])))
}

function concat(parts: Float32Array[]): Float32Array {
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0))
  let o = 0
  for (const p of parts) {
    all.set(p, o)
    o += p.length
  }
  return all
}

export function loadLlamaWeights(files: string[], c: LlamaConfig): LlamaWeights {
  const where = files.length === 1 ? basename(files[0]) : `${files.length} shards`
  const found = checkpointTensors(files)
  const byKey = new Map<string, { file: string; name: string; shape: number[]; dtype: string }>()
  for (const [name, { file, info }] of found) byKey.set(canonical(name), { file, name, shape: info.shape, dtype: info.dtype })
  const untied = !c.tieWordEmbeddings
  const shapes = llamaShapes(c, untied)
  for (const [key, shape] of shapes) {
    const t = byKey.get(key)
    if (!t) throw new ModelLoadError(`${where}: missing weight "${key}" (expected shape [${shape}])`)
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelLoadError(`${basename(t.file)}: weight "${t.name}" has shape [${t.shape}], expected [${shape}]`)
    }
  }
  for (const [key, t] of byKey) {
    // A tied checkpoint may still carry a copy of lm_head; it is the embedding and is not read.
    if (!shapes.has(key) && !IGNORED.test(key) && key !== 'lm_head.weight') {
      throw new ModelLoadError(`${basename(t.file)}: unexpected tensor "${t.name}" for a ${c.modelType} with ${c.nLayer} layers`)
    }
  }

  // Stream file by file; q/k/v of a block may sit in different shards, so their parts wait until all three came.
  const parts = new Map<string, Float32Array>()
  const ready = new Map<string, tf.Tensor>()
  const q = c.nHead * c.headDim
  const kv = c.nKvHead * c.headDim
  const qkvWidth = q + 2 * kv
  for (const file of files) {
    const keys = [...shapes.keys()].filter((k) => byKey.get(k)?.file === file)
    for (const key of keys) {
      const t = byKey.get(key) as { name: string; dtype: string }
      const loaded = loadSafetensors(file, { include: (n) => n === t.name }).tensors.get(t.name)
      if (!loaded) throw new ModelLoadError(`${basename(file)}: weight "${t.name}" has dtype ${t.dtype}, expected F32, F16 or BF16`)
      const [j, rest] = key.startsWith('layers.') ? [key.split('.')[1], key.split('.').slice(2).join('.')] : ['', key]
      if (/^self_attn\.[qkv]_proj\./.test(rest)) {
        parts.set(key, loaded.data)
        const kind = rest.endsWith('.bias') ? 'bias' : 'weight'
        const names = ['q', 'k', 'v'].map((x) => `layers.${j}.self_attn.${x}_proj.${kind}`)
        if (names.every((n) => parts.has(n))) {
          const all = concat(names.map((n) => parts.get(n) as Float32Array))
          names.forEach((n) => parts.delete(n))
          ready.set(`layers.${j}.qkv.${kind}`, kind === 'bias' ? tf.tensor1d(all) : transposed(all, qkvWidth, c.nEmbd))
        }
      } else if (loaded.shape.length === 2 && key !== 'embed_tokens.weight' && key !== 'lm_head.weight') {
        ready.set(key, transposed(loaded.data, loaded.shape[0], loaded.shape[1]))
      } else {
        ready.set(key, tf.tensor(loaded.data, loaded.shape))
      }
    }
  }
  const take = (key: string): tf.Tensor => ready.get(key) as tf.Tensor
  const blocks: LlamaBlockWeights[] = []
  for (let j = 0; j < c.nLayer; j++) {
    const p = `layers.${j}.`
    blocks.push({
      inNorm: take(`${p}input_layernorm.weight`),
      qkvW: take(`${p}qkv.weight`),
      qkvB: c.qkvBias ? take(`${p}qkv.bias`) : null,
      oW: take(`${p}self_attn.o_proj.weight`),
      oB: c.oBias ? take(`${p}self_attn.o_proj.bias`) : null,
      postNorm: take(`${p}post_attention_layernorm.weight`),
      gateW: take(`${p}mlp.gate_proj.weight`),
      upW: take(`${p}mlp.up_proj.weight`),
      downW: take(`${p}mlp.down_proj.weight`)
    })
  }
  return { embed: take('embed_tokens.weight'), norm: take('norm.weight'), blocks, ...(untied ? { lmHead: take('lm_head.weight') } : {}) }
}
