// The target module per experiment (issue 16): two experiments on llama-tiny, one on mlp.down_proj and one on
// mlp.up_proj, each get one edit through the engine process; each checkpoint's adapters have its module's shapes
// and record it, and the engine places the model again when the other experiment becomes active. A module the
// model does not have is refused at create and clone, naming the allowed ones.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readSafetensorsHeader } from '../../src-main/engine/model/safetensors'
import { listCheckpoints } from '../../src-main/store'
import { LLAMA_TINY } from '../helpers/llama-fixtures'
import { applyAndWait, ok, testWorkspace, type TestWorkspace } from './helpers'

// A few steps are enough: the test is about where the adapters sit, not whether the edit holds.
const QUICK = { maxSteps: 3 }
const EDIT = { prompt: 'The capital of Velmora is', target: 'Tarsk' }

let ws: TestWorkspace
beforeAll(async () => {
  ws = await testWorkspace({ ...QUICK, module: 'mlp.down_proj' }, { modelDir: LLAMA_TINY })
})
afterAll(() => ws.close())

/** Shapes of the first MoLoRA layer's A and B and the module recorded in the experiment's newest checkpoint. */
function checkpointOf(experimentId: number): { A: number[]; B: number[]; module: string | undefined } {
  const cp = listCheckpoints(ws.db(), experimentId).at(-1)
  if (!cp) throw new Error(`experiment ${experimentId} has no checkpoint`)
  const h = readSafetensorsHeader(join(ws.dir, cp.file))
  const shape = (name: string): number[] => h.tensors.find((t) => t.name === name)?.shape ?? []
  return { A: shape('molora.0.A'), B: shape('molora.0.B'), module: h.metadata.target_module }
}

describe('the target module of an experiment', () => {
  it('lists the model’s modules, default first, and shows the module each experiment runs with', async () => {
    expect(ws.model.targetModules).toEqual(['mlp.down_proj', 'mlp.up_proj', 'mlp.gate_proj'])
    expect(ws.exp.settings.module).toBe('mlp.down_proj')
    const plain = ok(await ws.svc['experiments.create']({ name: 'default module', modelId: ws.model.id, config: QUICK }))
    // null in the config: the architecture's default, shown by name so that runs compare by it.
    expect([plain.config.module, plain.settings.module]).toEqual([undefined, 'mlp.down_proj'])
  })

  it('trains each experiment’s adapters on its own module: the checkpoints have that module’s shapes', async () => {
    const upExp = ok(await ws.svc['experiments.create']({ name: 'up', modelId: ws.model.id, config: { ...QUICK, module: 'mlp.up_proj' } }))
    expect(upExp.settings.module).toBe('mlp.up_proj')
    for (const id of [ws.exp.id, upExp.id]) {
      ok(await ws.svc['edits.add']({ experimentId: id, edits: [EDIT] }))
      expect((await applyAndWait(ws.svc, id)).state).toBe('done')
    }
    // llama-tiny: hidden 64, intermediate 128; A is [module input, N·r], B is [N·r, module output] (8 experts × rank 4).
    expect(checkpointOf(ws.exp.id)).toEqual({ A: [128, 32], B: [32, 64], module: 'mlp.down_proj' })
    expect(checkpointOf(upExp.id)).toEqual({ A: [64, 32], B: [32, 128], module: 'mlp.up_proj' })
    // Back to the down_proj experiment: the engine must place the model on down_proj again to load its checkpoint.
    const [down] = ok(await ws.svc.probe({ experimentId: ws.exp.id, prompts: [EDIT.prompt] }))
    const [up] = ok(await ws.svc.probe({ experimentId: upExp.id, prompts: [EDIT.prompt] }))
    expect(down.base).toEqual(up.base)
  })

  it('refuses a module the model does not have, at create and at clone, naming the allowed ones', async () => {
    const message = `config field "module": target module "mlp.c_fc" is not one of llama's (mlp.down_proj, mlp.up_proj, mlp.gate_proj)`
    expect(await ws.svc['experiments.create']({ name: 'bad', modelId: ws.model.id, config: { module: 'mlp.c_fc' } })).toEqual({
      ok: false, error: { code: 'invalid_request', message }
    })
    expect(await ws.svc['experiments.clone']({ id: ws.exp.id, config: { module: 'mlp.c_fc' } })).toEqual({
      ok: false, error: { code: 'invalid_request', message }
    })
    const clone = ok(await ws.svc['experiments.clone']({ id: ws.exp.id, config: { module: 'mlp.gate_proj' } }))
    expect(clone.settings.module).toBe('mlp.gate_proj')
  })
})
