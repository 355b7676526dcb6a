// The embedded tiny-world model's committed edit suite, as the engine tests read it.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

export const WORLD_DIR = 'resources/models/tiny-world'

export interface WorldRec {
  prompt: string
  target: string
  ground_truth: string
  rephrases: string[]
  locality: Array<{ prompt: string; answer: string }>
  subject: string
  relation: string
}

export const WORLD_RECS: WorldRec[] = readFileSync(resolve(WORLD_DIR, 'edits.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as WorldRec)

/** A suite record as the edit an analyst would enter: prompt, target, subject and relation. */
export const worldEdit = (r: WorldRec): { prompt: string; target: string; subject: string; relation: string } => ({
  prompt: r.prompt,
  target: r.target,
  subject: r.subject,
  relation: r.relation
})
