// Quality gates of the committed embedded model (issue: "Quality gates"): it knows its world, and the edit
// suite asks for real counterfactuals.
import { existsSync, readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../src-main/engine/backend'
import { baseScore } from '../src-main/engine/eval/metrics'
import { loadModel, type LoadedModel } from '../src-main/engine/model/load'
import { importFile, type ImportedRecord } from '../src-main/importers'

const DIR = 'resources/models/tiny-world'
let base: LoadedModel
let suite: ImportedRecord[]
let retention: Array<{ prompt: string; target: string; form: string }>

beforeAll(async () => {
  await initBackend('wasm')
  base = await loadModel(DIR)
  suite = (await importFile(`${DIR}/edits.jsonl`)).records
  retention = readFileSync(`${DIR}/retention.jsonl`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { prompt: string; target: string; form: string })
})

describe('embedded tiny-world model', () => {
  it('ships config, weights, tokenizer, build record, edit suite and retention set', () => {
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'world.json', 'edits.jsonl', 'retention.jsonl']) {
      expect(existsSync(`${DIR}/${f}`), f).toBe(true)
    }
    expect(base.config.nLayer).toBeGreaterThanOrEqual(8)
    expect(suite.length).toBe(1000)
    expect(new Set(retention.map((r) => `${r.prompt}`)).size).toBe(retention.length)
  })

  it('answers ≥ 95% of the retention set exactly, in statement and in question form', () => {
    for (const form of ['statement', 'question']) {
      const s = baseScore(base, retention.filter((r) => r.form === form))
      expect(s.n).toBeGreaterThan(5000)
      expect(s.exact_match, form).toBeGreaterThanOrEqual(0.95)
    }
  })

  it('answers the ground truth, not the new target, on the edit suite; its locality items ≥ 95%', () => {
    const prompts = baseScore(base, suite)
    expect(prompts.exact_match).toBeLessThan(0.01)
    const truth = baseScore(base, suite.map((r) => ({ prompt: r.prompt, target: r.groundTruth ?? '' })))
    expect(truth.exact_match).toBeGreaterThanOrEqual(0.95)
    const loc = baseScore(base, suite.flatMap((r) => r.locality.map((l) => ({ prompt: l.prompt, target: l.answer }))))
    expect(loc.exact_match).toBeGreaterThanOrEqual(0.95)
  })
})
