// An editor state records the target module it was trained on and refuses a model placed on another one: gate_proj
// and up_proj take adapters of the same shapes on llama-tiny, so only the recorded module tells them apart. A config
// naming a module the model is not loaded with is refused before anything trains.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../src-main/engine/backend'
import { createEditor, restoreEditor } from '../../src-main/engine/methods'
import { readState } from '../../src-main/engine/methods/state'
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load'
import { resolveTarget, targetModules } from '../../src-main/engine/model/targets'
import { LLAMA_TINY } from '../helpers/llama-fixtures'

let gate: LoadedModel
let up: LoadedModel
beforeAll(async () => {
  await initBackend('wasm')
  gate = await loadModel(LLAMA_TINY, { target: 'mlp.gate_proj' })
  up = await loadModel(LLAMA_TINY, { target: 'mlp.up_proj' })
})
afterAll(() => [gate, up].forEach((m) => m.model.dispose()))

describe('target modules', () => {
  it('lists each architecture’s modules, default first, and names the allowed ones when refusing', () => {
    expect(targetModules('gpt2')).toEqual(['mlp.c_fc'])
    expect(targetModules('qwen2')).toEqual(['mlp.down_proj', 'mlp.up_proj', 'mlp.gate_proj'])
    expect(resolveTarget('llama', null)).toEqual({ ok: true, name: 'mlp.down_proj' })
    expect(resolveTarget('gpt2', 'mlp.up_proj')).toEqual({ ok: false, message: `target module "mlp.up_proj" is not one of gpt2's (mlp.c_fc)` })
  })

  it('a state trained on gate_proj records it and is refused by a model placed on up_proj (same shapes)', () => {
    expect([gate.model.target, up.model.target].map((t) => [t.inDim, t.outDim])).toEqual([[64, 128], [64, 128]])
    const e = createEditor(gate, { method: 'lora', maxSteps: 1 })
    const bytes = e.exportState()
    e.dispose()
    expect(readState(bytes, gate).meta.target_module).toBe('mlp.gate_proj')
    expect(() => restoreEditor(up, bytes)).toThrow(
      'editor state was trained on target module "mlp.gate_proj", but the model is placed on "mlp.up_proj" (load the model with module mlp.gate_proj)'
    )
    restoreEditor(gate, bytes).dispose()
  })

  it('a config naming another module than the loaded one is refused', () => {
    expect(() => createEditor(up, { method: 'grace', module: 'mlp.gate_proj' })).toThrow(
      'config field "module": "mlp.gate_proj", but the model is loaded with target module "mlp.up_proj"'
    )
    createEditor(up, { method: 'grace', module: 'mlp.up_proj' }).dispose()
  })
})
