/**
 * EDIT JSONL — the project's format for edit suites (and, with a fixed field set, retention sets).
 *
 * One JSON object per line, UTF-8, `\n` line ends, a final `\n` after the last record. Fields:
 *
 *   {"prompt": string,                 required: the text the model is given
 *    "target": string,                 required: the new answer the edit must make the model produce
 *    "ground_truth"?: string,          the answer before the edit (the world's true object)
 *    "rephrases"?: string[],           other phrasings of the same fact; the edit should generalise to them
 *    "locality"?: [{"prompt": string, "answer": string}],
 *                                      unrelated facts with their TRUE answers; they must not change
 *    "subject"?: string,               the entity the fact is about ("Velmora")
 *    "relation"?: string}              the relation id ("capital")
 *
 * Text conventions (the model is trained and scored on `prompt + " " + target`):
 *   - a prompt never ends with whitespace ("The capital of Velmora is", "Q: Which city is the capital of Velmora? A:");
 *   - a target / answer never starts with whitespace ("Brelo"); the joining space belongs to neither side.
 *
 * Retention records (facts no edit touches, used to measure forgetting) reuse `prompt` + `target`, where `target`
 * is the TRUE answer, and always carry `subject`, `relation`, `form` and `template` (0..5; 0–2 statement, 3–5
 * question) so forgetting can be broken down by relation and phrasing.
 *
 * Key order in written lines is the order the producer built the object in; the world generator builds every
 * record in the field order above, so the same seed gives byte-identical files.
 */

/** Surface form of a template: a plain statement to complete, or a "Q: … A:" question. */
export type TemplateForm = 'statement' | 'question'

/** A locality probe: an unrelated fact with its true answer. */
export interface LocalityItem {
  prompt: string
  answer: string
}

/** One line of an EDIT JSONL file. Only `prompt` and `target` are required. */
export interface EditRecord {
  prompt: string
  target: string
  ground_truth?: string
  rephrases?: string[]
  locality?: LocalityItem[]
  subject?: string
  relation?: string
}

/** An edit record with every optional field filled in, as the world generator produces them. */
export type FullEditRecord = Required<EditRecord>

/** One line of a retention JSONL file: a fact no edit touches, in one of its six phrasings. */
export interface RetentionRecord {
  prompt: string
  /** The true object; after editing, the model should still answer this. */
  target: string
  subject: string
  relation: string
  form: TemplateForm
  /** Template index 0..5 within the relation (0–2 statement, 3–5 question). */
  template: number
}

/** Serialise records as JSONL: one `JSON.stringify` per line, each line (including the last) ending in `\n`. */
export function toJsonl(records: readonly object[]): string {
  let out = ''
  for (const r of records) out += JSON.stringify(r) + '\n'
  return out
}
