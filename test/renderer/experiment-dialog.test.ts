// @vitest-environment happy-dom
// The experiment dialog's target-module select: filled from the model's modules with the architecture's default
// first; the module picked is the config field `module` of the create or clone request (the default sends none).
import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import RunsTable from '../../src-renderer/components/RunsTable.vue'
import { fakeApi } from './fake-api'
import { mountWith } from './setup'

afterEach(() => {
  document.body.innerHTML = ''
})

const LLAMA = { id: 1, path: '/models/smollm', name: 'smollm', contentHash: 'def', architecture: 'llama', nLayer: 30, nEmbd: 576, vocabSize: 49152,
  targetModules: ['mlp.down_proj', 'mlp.up_proj', 'mlp.gate_proj'] }

/** The runs table (it loads experiments and models) with its create or clone dialog open. */
async function dialog(mode: 'create' | 'clone', config: Record<string, unknown> = {}) {
  const fake = fakeApi()
  fake.state.status.model = structuredClone(LLAMA)
  fake.state.experiments[0].config = config
  const w = await mountWith(RunsTable, fake)
  await w.get(mode === 'create' ? '[data-test=runs-new]' : '[data-test=run-clone]').trigger('click')
  await flushPromises()
  return { fake, w }
}

const options = (w: Awaited<ReturnType<typeof dialog>>['w']): string[] => w.findAll('[data-test=exp-module] option').map((o) => o.text())

describe('ExperimentDialog target module', () => {
  it('offers the model’s modules, the default first, and sends the one picked (create)', async () => {
    const { fake, w } = await dialog('create')
    expect(options(w)).toEqual(['architecture default (mlp.down_proj)', 'mlp.down_proj', 'mlp.up_proj', 'mlp.gate_proj'])
    await w.get('[data-test=exp-name]').setValue('up run')
    await w.get('[data-test=exp-config]').setValue('{"maxSteps": 10}')
    await w.get('[data-test=exp-module]').setValue('mlp.up_proj')
    await w.get('[data-test=experiment-dialog]').trigger('submit')
    await flushPromises()
    expect(fake.callsOf('experiments.create')[0]).toMatchObject({ name: 'up run', config: { maxSteps: 10, module: 'mlp.up_proj' } })
  })

  it('the default sends no module', async () => {
    const { fake, w } = await dialog('create')
    await w.get('[data-test=exp-name]').setValue('default run')
    await w.get('[data-test=experiment-dialog]').trigger('submit')
    await flushPromises()
    expect(fake.callsOf('experiments.create')).toEqual([expect.objectContaining({ config: {} })])
  })

  it('a clone starts on the source’s module, shown in the select rather than the JSON, and can go back to the default', async () => {
    const { fake, w } = await dialog('clone', { maxSteps: 10, module: 'mlp.gate_proj' })
    expect((w.get('[data-test=exp-module]').element as HTMLSelectElement).value).toBe('mlp.gate_proj')
    expect(JSON.parse((w.get('[data-test=exp-config]').element as HTMLTextAreaElement).value)).toEqual({ maxSteps: 10 })
    await w.get('[data-test=exp-module]').setValue('mlp.gate_proj')
    await w.get('[data-test=experiment-dialog]').trigger('submit')
    await flushPromises()
    expect(fake.callsOf('experiments.clone')).toEqual([expect.objectContaining({ config: { maxSteps: 10, module: 'mlp.gate_proj' } })])
    const select = w.get('[data-test=exp-module]').element as HTMLSelectElement
    select.selectedIndex = 0
    await w.get('[data-test=exp-module]').trigger('change')
    await w.get('[data-test=experiment-dialog]').trigger('submit')
    await flushPromises()
    expect(fake.callsOf('experiments.clone')[1]).toEqual(expect.objectContaining({ config: { maxSteps: 10 } }))
  })
})
