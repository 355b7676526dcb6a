import { FieldReader, kindOf } from './fields'
import type { ImportedRecord, ImportFormat, ImportLimits, LocalityPair, RecordIssue, ZsreTarget } from './types'

/** Record shapes found in JSON containers (CSV has its own mapping in csv.ts). */
export type JsonShape = Exclude<ImportFormat, 'csv'>

type Obj = Record<string, unknown>

/** Which convention an object follows, judged from its keys; null when none fits. */
export function detectShape(o: Obj): JsonShape | null {
  if ('requested_rewrite' in o) return 'counterfact-rome'
  if ('src' in o && ('alt' in o || 'answers' in o)) return 'zsre-mend'
  // EasyEdit uses the same fields for zsRE and CounterFact; only CounterFact records carry ROME's case_id.
  if ('target_new' in o && 'prompt' in o) return 'case_id' in o ? 'counterfact-easyedit' : 'zsre-easyedit'
  if ('prompt' in o && 'target' in o) return 'elder'
  return null
}

export interface MapContext {
  limits: ImportLimits
  zsreTarget: ZsreTarget
}

export type Mapped = { record: ImportedRecord; issues?: undefined } | { record?: undefined; issues: RecordIssue[] }

/** Maps one parsed object of a known shape to a record, or to its issues. */
export function mapObject(shape: JsonShape, o: Obj, line: number, ctx: MapContext): Mapped {
  const r = new FieldReader(line, ctx.limits)
  const rec = MAPPERS[shape](r, o, ctx)
  if (!r.ok || rec === undefined) return { issues: r.issues.length ? r.issues : [{ line, field: null, message: 'record rejected' }] }
  return { record: { ...rec, sourceLine: line } }
}

type Fields = Omit<ImportedRecord, 'sourceLine'>
type Mapper = (r: FieldReader, o: Obj, ctx: MapContext) => Fields | undefined

/** Drops undefined optionals so records compare and serialise cleanly. */
function build(f: {
  prompt?: string; target?: string; groundTruth?: string; rephrases: string[]; locality: LocalityPair[]; subject?: string; relation?: string
}): Fields | undefined {
  if (f.prompt === undefined || f.target === undefined) return undefined
  const out: Fields = { prompt: f.prompt, target: f.target, rephrases: f.rephrases, locality: f.locality }
  if (f.groundTruth !== undefined) out.groundTruth = f.groundTruth
  if (f.subject !== undefined) out.subject = f.subject
  if (f.relation !== undefined) out.relation = f.relation
  return out
}

const NQ_PREFIX = /^nq question:\s*/i

/** MEND zsRE: the locality question carries NQ's "nq question: " tag, which is not part of the question. */
function zsreMend(r: FieldReader, o: Obj, ctx: MapContext): Fields | undefined {
  const prompt = r.text(o.src, 'src')
  // answers[0] is the true object; with zsreTarget 'answers' it is also the edit target (ROME/MEND/GRACE).
  const before = r.issues.length
  const answers = r.textList(o.answers, 'answers', { allowString: true })
  if (ctx.zsreTarget === 'answers' && answers.length === 0 && r.issues.length === before) {
    r.fail('answers', o.answers === undefined || o.answers === null
      ? 'expected a non-empty array of strings, but the field is missing'
      : 'expected a non-empty array of strings, got no non-empty answer')
  }
  const target = ctx.zsreTarget === 'alt' ? r.text(o.alt, 'alt') : answers[0]
  const loc = r.optText(o.loc, 'loc')?.replace(NQ_PREFIX, '')
  const locAns = r.optText(o.loc_ans, 'loc_ans')
  const locality: LocalityPair[] = []
  if (loc && locAns) locality.push({ prompt: loc, answer: locAns })
  else if (loc && !locAns) r.fail('loc_ans', 'missing an answer for the locality question in "loc"')
  else if (!loc && locAns) r.fail('loc', 'missing the locality question that "loc_ans" answers')
  return build({
    prompt, target, groundTruth: answers[0], rephrases: r.textList(o.rephrase, 'rephrase', { allowString: true }),
    locality, subject: r.optText(o.subject, 'subject')
  })
}

/** EasyEdit zsRE and CounterFact: same field names. */
function easyEdit(r: FieldReader, o: Obj): Fields | undefined {
  const prompts = r.textList(o.locality_prompt, 'locality_prompt', { allowString: true })
  const answers = r.textList(o.locality_ground_truth, 'locality_ground_truth', { allowString: true })
  return build({
    prompt: r.text(o.prompt, 'prompt'),
    target: r.firstText(o.target_new, 'target_new', true),
    groundTruth: r.firstText(o.ground_truth, 'ground_truth', false),
    rephrases: r.textList(o.rephrase_prompt, 'rephrase_prompt', { allowString: true }),
    locality: r.pairs(prompts, answers, 'locality_prompt', 'locality_ground_truth'),
    subject: r.optText(o.subject, 'subject'),
    relation: r.optText(o.relation_id, 'relation_id')
  })
}

function objectField(r: FieldReader, v: unknown, field: string): Obj | undefined {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Obj
  return r.fail(field, v === undefined ? 'expected an object, but the field is missing' : `expected an object, got ${kindOf(v)}`)
}

/** ROME counterfact.json: prompt is a template with "{}" for the subject; neighbours keep the true answer. */
function counterfactRome(r: FieldReader, o: Obj): Fields | undefined {
  const rr = objectField(r, o.requested_rewrite, 'requested_rewrite')
  if (!rr) return undefined
  const template = r.text(rr.prompt, 'requested_rewrite.prompt')
  const subject = r.text(rr.subject, 'requested_rewrite.subject')
  const tNew = objectField(r, rr.target_new, 'requested_rewrite.target_new')
  const tTrue = rr.target_true === undefined ? undefined : objectField(r, rr.target_true, 'requested_rewrite.target_true')
  const target = tNew ? r.text(tNew.str, 'requested_rewrite.target_new.str') : undefined
  const groundTruth = tTrue ? r.optText(tTrue.str, 'requested_rewrite.target_true.str') : undefined
  let prompt: string | undefined
  if (template !== undefined && subject !== undefined) {
    if (!template.includes('{}')) r.fail('requested_rewrite.prompt', 'expected a "{}" placeholder for the subject')
    // a replacer function, so "$&" or "$1" inside a subject stays literal
    else prompt = template.replace('{}', () => subject).trim()
  }
  const neighbours = r.textList(o.neighborhood_prompts, 'neighborhood_prompts')
  if (neighbours.length > 0 && groundTruth === undefined) {
    r.fail('requested_rewrite.target_true.str', 'neighborhood_prompts need the true answer, but it is missing')
  }
  return build({
    prompt, target, groundTruth, rephrases: r.textList(o.paraphrase_prompts, 'paraphrase_prompts'),
    locality: groundTruth === undefined ? [] : neighbours.map((p) => ({ prompt: p, answer: groundTruth })),
    subject, relation: r.optText(rr.relation_id, 'requested_rewrite.relation_id')
  })
}

/** The project's own records (scripts/world/format.ts); extra keys (retention's form/template) are ignored. */
function elder(r: FieldReader, o: Obj): Fields | undefined {
  return build({
    prompt: r.text(o.prompt, 'prompt'), target: r.text(o.target, 'target'),
    groundTruth: r.optText(o.ground_truth, 'ground_truth'),
    rephrases: r.textList(o.rephrases, 'rephrases'), locality: r.localityList(o.locality, 'locality'),
    subject: r.optText(o.subject, 'subject'), relation: r.optText(o.relation, 'relation')
  })
}

const MAPPERS: Record<JsonShape, Mapper> = {
  'zsre-mend': zsreMend,
  'zsre-easyedit': easyEdit,
  'counterfact-easyedit': easyEdit,
  'counterfact-rome': counterfactRome,
  elder
}
