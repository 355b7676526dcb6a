// Quality gates of the committed embedded model (issue: "Quality gates"): it knows its world, and the edit
// suite asks for real counterfactuals.
// The gates score a seeded sample, not every prompt: the full sets took 66 s alone on an idle 2-core machine and
// timed out at 120 s beside another test file (issue 9), and a correctness test must not fail because the machine
// is busy. The sample is fixed by SEED, so the result is the same on every run, and it is drawn evenly from every
// relation, so one relation the model got wrong fails the gate (in the full set the rarest relations are 1.2% of it).
// The full-set figures are the eval command's, quoted in the README:
//   npm run elder -- eval --model resources/models/tiny-world --suite resources/models/tiny-world/retention.jsonl
import { existsSync, readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../src-main/engine/backend'
import { baseScore } from '../src-main/engine/eval/metrics'
import { loadModel, type LoadedModel } from '../src-main/engine/model/load'
import { Prng } from '../src-main/engine/prng'
import { importFile, type ImportedRecord } from '../src-main/importers'

const DIR = 'resources/models/tiny-world'
const SEED = 9
/** Prompts per relation and form: 15 relations × 2 forms × 40 = 1,200 of the 13,140. */
const PER_RELATION = 40
/** Edit-suite records: 250 of 1,000, each with its prompt, ground truth and 2 locality items. */
const SUITE_SAMPLE = 250

interface RetentionRow {
  prompt: string
  target: string
  relation: string
  form: string
}

let base: LoadedModel
let suite: ImportedRecord[]
let retention: RetentionRow[]

/** PER_RELATION rows of each relation in one form, the same ones on every run. */
function retentionSample(form: string): RetentionRow[] {
  const rng = new Prng(SEED)
  const relations = [...new Set(retention.map((r) => r.relation))]
  return relations.flatMap((rel) => rng.shuffle(retention.filter((r) => r.form === form && r.relation === rel)).slice(0, PER_RELATION))
}

beforeAll(async () => {
  await initBackend('wasm')
  base = await loadModel(DIR)
  suite = (await importFile(`${DIR}/edits.jsonl`)).records
  retention = readFileSync(`${DIR}/retention.jsonl`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RetentionRow)
})

describe('embedded tiny-world model', () => {
  it('ships config, weights, tokenizer, build record, edit suite and retention set', () => {
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'world.json', 'edits.jsonl', 'retention.jsonl']) {
      expect(existsSync(`${DIR}/${f}`), f).toBe(true)
    }
    expect(base.config.nLayer).toBeGreaterThanOrEqual(8)
    expect(suite.length).toBe(1000)
    expect(retention.length).toBeGreaterThan(10_000)
    expect(new Set(retention.map((r) => `${r.prompt}`)).size).toBe(retention.length)
  })

  it('answers ≥ 95% of a sample of the retention set exactly, in statement and in question form', () => {
    for (const form of ['statement', 'question']) {
      const sample = retentionSample(form)
      expect(new Set(sample.map((r) => r.relation)).size).toBe(15)
      const s = baseScore(base, sample)
      expect(s.n).toBe(15 * PER_RELATION)
      expect(s.exact_match, form).toBeGreaterThanOrEqual(0.95)
    }
  })

  it('answers the ground truth, not the new target, on a sample of the edit suite; its locality items ≥ 95%', () => {
    const sample = new Prng(SEED).shuffle(suite).slice(0, SUITE_SAMPLE)
    const prompts = baseScore(base, sample)
    expect(prompts.exact_match).toBeLessThan(0.01)
    const truth = baseScore(base, sample.map((r) => ({ prompt: r.prompt, target: r.groundTruth ?? '' })))
    expect(truth.exact_match).toBeGreaterThanOrEqual(0.95)
    const loc = baseScore(base, sample.flatMap((r) => r.locality.map((l) => ({ prompt: l.prompt, target: l.answer }))))
    expect(loc.n).toBeGreaterThanOrEqual(SUITE_SAMPLE)
    expect(loc.exact_match).toBeGreaterThanOrEqual(0.95)
  })
})
