// The editor registry: every method the contract offers is registered, configs are checked by the method they
// name, and an editor made through the registry behaves as its method's class.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EDIT_METHODS } from '../../src-preload/contract'
import { initBackend } from '../../src-main/engine/backend'
import { createEditor, methodNames, restoreEditor } from '../../src-main/engine/methods'
import { parseMethodConfig } from '../../src-main/engine/methods/configs'
import { MethodConfigError } from '../../src-main/engine/methods/editor'
import { promptLogits } from '../../src-main/engine/methods/infer'
import { loadModel, type LoadedModel } from '../../src-main/engine/model/load'
import { tinyModelDir } from '../helpers/tiny-model'

let base: LoadedModel
beforeAll(async () => {
  await initBackend('wasm')
  base = await loadModel(tinyModelDir())
})
afterAll(() => base.model.dispose())

describe('method registry', () => {
  it('registers exactly the methods the contract lets an experiment choose', () => {
    expect([...methodNames()].sort()).toEqual([...EDIT_METHODS].sort())
  })

  it('a config without a method is ELDER; an unknown method is refused by name', () => {
    expect(parseMethodConfig({}).method).toBe('elder')
    expect(() => parseMethodConfig({ method: 'no-such-method' })).toThrow(MethodConfigError)
    expect(() => parseMethodConfig({ method: 'no-such-method' })).toThrow(/no-such-method/)
  })

  it('an editor made and restored through the registry keeps its method and outputs', async () => {
    const prompts = ['The capital of France is']
    const e = createEditor(base, { method: 'elder', maxSteps: 3 })
    await e.applyBatch([{ prompt: 'The capital of France is', target: 'Lyon' }])
    const copy = restoreEditor(base, e.exportState())
    expect(copy.method).toBe('elder')
    expect(copy.owners()).toEqual(e.owners())
    expect(promptLogits(base, copy, prompts)).toEqual(promptLogits(base, e, prompts))
    e.dispose()
    copy.dispose()
  })
})
