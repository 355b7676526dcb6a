// End to end, issue 16: the target module per experiment in Chromium against `elder serve`. With llama-tiny
// registered beside the embedded GPT-2, the create dialog's Target module select follows the model picked (GPT-2:
// only its default; llama-tiny: down_proj default, up_proj, gate_proj); the module picked is the new experiment's
// config field, shown in the runs table's key config and the compare view's config diff. Screenshots go to test/artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LLAMA_TINY } from '../helpers/llama-fixtures'
import { serveInChromium, type Served } from './harness'

let s: Served
beforeAll(async () => {
  s = await serveInChromium()
})
afterAll(() => s?.close())

const moduleOptions = (): Promise<string[]> => s.page.locator('[data-test=exp-module] option').allInnerTexts()

describe('the target module in the create dialog', () => {
  it('lists the picked model’s modules and creates the experiment on the one chosen', async () => {
    const llama = await s.call('models.register', { path: LLAMA_TINY })
    const { page } = s
    await page.goto(s.url)
    await page.click('[data-test=tab-runs]')
    await page.click('[data-test=runs-new]')
    expect(await moduleOptions()).toEqual(['architecture default (mlp.c_fc)', 'mlp.c_fc'])
    await page.selectOption('[data-test=exp-model]', { label: `${llama.name} (${llama.path})` })
    expect(await moduleOptions()).toEqual(['architecture default (mlp.down_proj)', 'mlp.down_proj', 'mlp.up_proj', 'mlp.gate_proj'])
    await s.shot('m00-create-dialog-default-module')
    await page.fill('[data-test=exp-name]', 'llama on up_proj')
    await page.selectOption('[data-test=exp-module]', 'mlp.up_proj')
    await s.shot('m01-create-dialog-module')
    await page.click('[data-test=exp-save]')
    await expect.poll(() => page.locator('[data-test=experiment-dialog]').count()).toBe(0)
    const row = page.locator('[data-test=run-row][data-run-name="llama on up_proj"]')
    await expect.poll(() => row.locator('td.config').innerText()).toBe('module=mlp.up_proj')
    await s.shot('m02-runs-module')
    const created = (await s.call('experiments.list', {})).find((e) => e.name === 'llama on up_proj')
    expect([created?.modelId, created?.settings.module]).toEqual([llama.id, 'mlp.up_proj'])
    // The compare view's config diff shows the module each run edits (the GPT-2 run's default by name).
    await row.locator('[data-test=run-pick]').check()
    await page.locator('[data-test=run-row][data-run-name="tiny-world"] [data-test=run-pick]').check()
    await page.click('[data-test=runs-compare]')
    const moduleRow = page.locator('[data-test=diff-row]', { hasText: 'module' })
    await expect.poll(() => moduleRow.locator('td').allInnerTexts()).toEqual(['module', '"mlp.up_proj"', '"mlp.c_fc"'])
    await s.shot('m03-config-diff-module')
    expect(s.pageErrors).toEqual([])
  })
})
