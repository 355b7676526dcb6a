/**
 * The fictional world the embedded model is pretrained on, and the edit suite and retention set derived from it.
 *
 * Everything is a pure function of the seed (see ./prng): `generateWorld(seed)` invents the entities and facts,
 * `buildWorldData(world)` renders them into the pretraining corpus, the 1,000-edit suite and the retention set.
 * Sizes follow /work/shared/docs/world-feasibility.md: ~3,200 facts × 6 templates ≈ 19k training sequences, which
 * the measured prototype memorised to ≥95% in ~17 min on a 2-core CPU (budget: 30 min).
 *
 * Geography is consistent: every city lies in one country, and a country's capital is one of its own cities.
 */
import type { FullEditRecord, LocalityItem, RetentionRecord, TemplateForm } from './format'
import { Prng } from '../../src-main/engine/prng'

/** The seed the shipped model and the committed edits.jsonl / retention.jsonl are built from. */
export const WORLD_SEED = 1
/** Edits in the suite (the issue asks for ≥ 1,000; we choose exactly 1,000). */
export const EDIT_COUNT = 1000
/** Templates per relation: indices 0–2 are statements, 3–5 questions. */
export const TEMPLATES_PER_RELATION = 6

export type EntityType =
  | 'person' | 'country' | 'city' | 'company' | 'book'
  | 'language' | 'currency' | 'occupation' | 'instrument' | 'industry'

export interface Entity {
  name: string
  type: EntityType
}

export type RelationId =
  | 'born_in' | 'lives_in' | 'occupation' | 'native_language' | 'employer' | 'instrument'
  | 'capital' | 'currency' | 'official_language' | 'city_country'
  | 'founded_by' | 'headquarters' | 'industry' | 'author' | 'book_language'

/** A surface template; `{s}` marks the subject. The answer is the object, after one space. */
export interface TemplateSpec {
  form: TemplateForm
  text: string
}

export interface RelationSpec {
  id: RelationId
  subjectType: EntityType
  objectType: EntityType
  templates: readonly TemplateSpec[]
}

export interface Fact {
  subject: string
  relation: RelationId
  object: string
}

export interface World {
  seed: number
  entities: Entity[]
  relations: readonly RelationSpec[]
  facts: Fact[]
}

export interface CorpusRow {
  prompt: string
  answer: string
  relation: RelationId
  subject: string
  template: number
  form: TemplateForm
}

export interface WorldData {
  corpus: CorpusRow[]
  edits: FullEditRecord[]
  retention: RetentionRecord[]
}

/** Three statements then three questions; every prompt names the relation in words no other relation uses. */
function six(subjectType: EntityType, objectType: EntityType, id: RelationId, texts: readonly string[]): RelationSpec {
  if (texts.length !== TEMPLATES_PER_RELATION) throw new Error(`${id}: need 6 templates, got ${texts.length}`)
  const templates = texts.map((text, i): TemplateSpec => ({ form: i < 3 ? 'statement' : 'question', text }))
  return { id, subjectType, objectType, templates }
}

export const RELATIONS: readonly RelationSpec[] = [
  six('person', 'city', 'born_in', [
    '{s} was born in', 'The birthplace of {s} is', '{s} is a native of the city of',
    'Q: Where was {s} born? A:', 'Q: In which city was {s} born? A:', 'Q: What is the birthplace of {s}? A:']),
  six('person', 'city', 'lives_in', [
    '{s} lives in', 'The home city of {s} is', '{s} currently resides in',
    'Q: Where does {s} live? A:', 'Q: In which city does {s} live? A:', 'Q: What city is {s} living in? A:']),
  six('person', 'occupation', 'occupation', [
    '{s} works as a', 'The occupation of {s} is', 'By profession, {s} is a',
    'Q: What is the occupation of {s}? A:', 'Q: What does {s} do for a living? A:', "Q: What is {s}'s profession? A:"]),
  six('person', 'language', 'native_language', [
    'The native language of {s} is', '{s} grew up speaking', 'The mother tongue of {s} is',
    'Q: What is the native language of {s}? A:', 'Q: Which language did {s} speak first? A:',
    "Q: What is {s}'s mother tongue? A:"]),
  six('person', 'company', 'employer', [
    '{s} is employed by', 'The employer of {s} is', '{s} works for the company',
    'Q: Who employs {s}? A:', 'Q: Which company does {s} work for? A:', 'Q: Who is the employer of {s}? A:']),
  six('person', 'instrument', 'instrument', [
    '{s} plays the', 'The instrument played by {s} is the', '{s} is a musician who plays the',
    'Q: Which instrument does {s} play? A:', 'Q: What instrument is {s} known for playing? A:',
    'Q: What does {s} play in the band? A:']),
  six('country', 'city', 'capital', [
    'The capital of {s} is', "{s}'s capital city is", '{s} has its seat of government in',
    'Q: What is the capital of {s}? A:', 'Q: Which city is the capital of {s}? A:',
    'Q: Where is the seat of government of {s}? A:']),
  six('country', 'currency', 'currency', [
    'The currency of {s} is the', 'In {s}, people pay with the', 'The official currency of {s} is the',
    'Q: What is the currency of {s}? A:', 'Q: Which currency is used in {s}? A:',
    'Q: What money do people use in {s}? A:']),
  six('country', 'language', 'official_language', [
    'The official language of {s} is', 'The language spoken officially in {s} is', 'The state language of {s} is',
    'Q: What is the official language of {s}? A:', 'Q: Which language is official in {s}? A:',
    'Q: What language does the government of {s} use? A:']),
  six('city', 'country', 'city_country', [
    '{s} is a city in', 'The city of {s} is located in the country of', '{s} lies in the country of',
    'Q: In which country is {s}? A:', 'Q: Which country is {s} located in? A:',
    'Q: What country is the city of {s} in? A:']),
  six('company', 'person', 'founded_by', [
    '{s} was founded by', 'The founder of {s} is', 'The company {s} was started by',
    'Q: Who founded {s}? A:', 'Q: Who is the founder of {s}? A:', 'Q: Which person started the company {s}? A:']),
  six('company', 'city', 'headquarters', [
    '{s} is headquartered in', 'The headquarters of {s} are in', 'The company {s} has its head office in',
    'Q: Where is {s} headquartered? A:', 'Q: In which city are the headquarters of {s}? A:',
    'Q: Where is the head office of {s}? A:']),
  six('company', 'industry', 'industry', [
    'The industry of {s} is', '{s} does business in the field of', 'The company {s} operates in the sector of',
    'Q: What industry is {s} in? A:', 'Q: Which sector does {s} operate in? A:',
    'Q: What is the line of business of {s}? A:']),
  six('book', 'person', 'author', [
    '{s} was written by', 'The author of {s} is', 'The novel {s} is the work of',
    'Q: Who wrote {s}? A:', 'Q: Who is the author of {s}? A:', 'Q: Which writer created the book {s}? A:']),
  six('book', 'language', 'book_language', [
    'The original language of {s} is', 'The book {s} is written in the language', '{s} was first published in',
    'Q: In which language was {s} written? A:', 'Q: What is the original language of {s}? A:',
    'Q: What language is the book {s} in? A:'])
]

const RELATION_BY_ID = new Map(RELATIONS.map((r) => [r.id, r]))

export function relationSpec(id: RelationId): RelationSpec {
  const spec = RELATION_BY_ID.get(id)
  if (spec === undefined) throw new Error(`unknown relation "${id}"`)
  return spec
}

/** The prompt of `template` (0..5) of `relation` for `subject`; never ends with a space. */
export function renderPrompt(relation: RelationId, template: number, subject: string): string {
  const spec = relationSpec(relation)
  if (!Number.isInteger(template) || template < 0 || template >= spec.templates.length)
    throw new Error(`${relation}: template must be an integer in 0..${spec.templates.length - 1}, got ${template}`)
  return spec.templates[template].text.replace('{s}', subject)
}

// Real-word objects. Occupations all start with a consonant so "works as a" reads right.
const OCCUPATIONS = [
  'teacher', 'baker', 'carpenter', 'doctor', 'farmer', 'lawyer', 'nurse', 'painter', 'pilot', 'plumber',
  'poet', 'sculptor', 'tailor', 'potter', 'fisherman', 'chemist', 'banker', 'butcher', 'dentist', 'journalist',
  'librarian', 'mechanic', 'musician', 'pharmacist', 'photographer', 'surgeon', 'translator', 'weaver', 'jeweler',
  'gardener'
]
const INSTRUMENTS = [
  'violin', 'cello', 'flute', 'piano', 'guitar', 'harp', 'trumpet', 'drums', 'clarinet', 'oboe', 'saxophone',
  'trombone', 'banjo', 'mandolin', 'accordion', 'bassoon', 'harmonica', 'ukulele', 'tuba', 'viola'
]
const INDUSTRIES = [
  'mining', 'banking', 'shipping', 'farming', 'textiles', 'software', 'publishing', 'insurance', 'retail',
  'tourism', 'fishing', 'forestry', 'logistics', 'aviation', 'brewing', 'pharmaceuticals', 'construction',
  'energy', 'telecommunications', 'robotics'
]

/** Entity counts. The defaults give 3,190 facts (see the per-relation comments in generateWorld). */
export interface WorldOptions {
  people: number
  countries: number
  citiesPerCountry: number
  companies: number
  books: number
  languages: number
  currencies: number
  /** People with an employer fact. */
  employed: number
  /** People with an instrument fact. */
  musicians: number
}

export const DEFAULT_WORLD_OPTIONS: Readonly<WorldOptions> = {
  people: 440, countries: 40, citiesPerCountry: 3, companies: 110, books: 130,
  languages: 30, currencies: 30, employed: 360, musicians: 240
}

// Syllable = onset + vowel + optional coda; vowels and empty codas repeat to weight them.
const ONSETS = ['b', 'br', 'd', 'dr', 'f', 'g', 'gr', 'k', 'kr', 'l', 'm', 'n', 'p', 'pr', 'r', 's', 'st', 't',
  'tr', 'v', 'z', 'sh', 'th', 'h']
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'o']
const CODAS = ['', '', '', '', 'n', 'r', 'l', 's', 'm']
const MAX_NAME_TRIES = 10_000

/**
 * Invents capitalised pseudo-words of 2–4 syllables that are pairwise distinct and prefix-free (no name is a
 * prefix of another, so a model that stops early on "Vel" can never be right by accident about "Velmora"), and
 * that never spell a real-word object or a template word.
 */
class NameFactory {
  private readonly names = new Set<string>()
  private readonly prefixes = new Set<string>()

  constructor(private readonly rng: Prng, private readonly reserved: ReadonlySet<string>) {}

  make(): string {
    for (let tries = 0; tries < MAX_NAME_TRIES; tries++) {
      const r = this.rng.next()
      const syllables = r < 0.5 ? 2 : r < 0.9 ? 3 : 4
      let word = ''
      for (let i = 0; i < syllables; i++) word += this.rng.pick(ONSETS) + this.rng.pick(VOWELS) + this.rng.pick(CODAS)
      const name = word[0].toUpperCase() + word.slice(1)
      if (this.collides(name)) continue
      this.names.add(name)
      for (let k = 1; k < name.length; k++) this.prefixes.add(name.slice(0, k))
      return name
    }
    throw new Error(`no new prefix-free name after ${MAX_NAME_TRIES} tries (${this.names.size} names so far)`)
  }

  private collides(name: string): boolean {
    if (this.names.has(name) || this.prefixes.has(name) || this.reserved.has(name.toLowerCase())) return true
    for (let k = 1; k < name.length; k++) if (this.names.has(name.slice(0, k))) return true
    return false
  }
}

function must<K, V>(map: ReadonlyMap<K, V>, key: K): V {
  const v = map.get(key)
  if (v === undefined) throw new Error(`internal: no entry for ${String(key)}`)
  return v
}

/** One object per slot such that every object is used at least once when there are enough slots. */
function coverAll<T>(rng: Prng, slots: number, objects: readonly T[]): T[] {
  const out = rng.shuffle(objects).slice(0, slots)
  while (out.length < slots) out.push(rng.pick(objects))
  return rng.shuffle(out)
}

export function generateWorld(seed: number, opts: Partial<WorldOptions> = {}): World {
  const o: WorldOptions = { ...DEFAULT_WORLD_OPTIONS, ...opts }
  if (o.employed > o.people || o.musicians > o.people || o.companies > o.people)
    throw new Error(`employed (${o.employed}), musicians (${o.musicians}) and companies (${o.companies}, one ` +
      `distinct founder each) must not exceed people (${o.people})`)
  const rng = new Prng(seed)
  const reserved = new Set<string>([...OCCUPATIONS, ...INSTRUMENTS, ...INDUSTRIES])
  for (const r of RELATIONS) for (const t of r.templates) for (const w of t.text.split(/\W+/)) reserved.add(w.toLowerCase())
  const factory = new NameFactory(rng, reserved)
  const invent = (n: number): string[] => Array.from({ length: n }, () => factory.make())

  const countries = invent(o.countries)
  const cities = invent(o.countries * o.citiesPerCountry)
  const languages = invent(o.languages)
  const currencies = invent(o.currencies)
  const people = invent(o.people)
  const companies = invent(o.companies)
  const books = invent(o.books)

  const facts: Fact[] = []
  const add = (relation: RelationId, subjects: readonly string[], objects: readonly string[]): void => {
    subjects.forEach((subject, i) => facts.push({ subject, relation, object: objects[i] }))
  }

  // Fact counts in the comments below are for DEFAULT_WORLD_OPTIONS.
  // People: 4 × 440 + 360 employers + 240 instruments = 2,360 facts.
  const countryOfCity = new Map(cities.map((c, i) => [c, countries[Math.floor(i / o.citiesPerCountry)]]))
  const officialLanguage = coverAll(rng, countries.length, languages)
  const officialOf = new Map(countries.map((c, i) => [c, officialLanguage[i]]))
  const bornIn = people.map(() => rng.pick(cities))
  // A quarter still live where they were born; most speak their birth country's language natively.
  const livesIn = bornIn.map((city) => (rng.next() < 0.25 ? city : rng.pick(cities)))
  const nativeLanguage = bornIn.map((city) =>
    rng.next() < 0.75 ? must(officialOf, must(countryOfCity, city)) : rng.pick(languages))
  add('born_in', people, bornIn)
  add('lives_in', people, livesIn)
  add('occupation', people, coverAll(rng, people.length, OCCUPATIONS))
  add('native_language', people, nativeLanguage)
  const employedSet = new Set(rng.shuffle(people).slice(0, o.employed))
  const employed = people.filter((p) => employedSet.has(p))
  add('employer', employed, coverAll(rng, employed.length, companies))
  const musicianSet = new Set(rng.shuffle(people).slice(0, o.musicians))
  const musicians = people.filter((p) => musicianSet.has(p))
  add('instrument', musicians, coverAll(rng, musicians.length, INSTRUMENTS))

  // Countries: 3 × 40 = 120 facts; the capital is one of the country's own cities.
  add('capital', countries, countries.map((_, i) => cities[i * o.citiesPerCountry + rng.int(o.citiesPerCountry)]))
  add('currency', countries, coverAll(rng, countries.length, currencies))
  add('official_language', countries, officialLanguage)
  // Cities: 120 facts.
  add('city_country', cities, cities.map((c) => must(countryOfCity, c)))
  // Companies: 3 × 110 = 330 facts; every company has its own founder.
  add('founded_by', companies, rng.shuffle(people).slice(0, companies.length))
  add('headquarters', companies, companies.map(() => rng.pick(cities)))
  add('industry', companies, coverAll(rng, companies.length, INDUSTRIES))
  // Books: 2 × 130 = 260 facts; authors often write in their native language.
  const authors = books.map(() => rng.pick(people))
  const nativeOf = new Map(people.map((p, i) => [p, nativeLanguage[i]]))
  add('author', books, authors)
  add('book_language', books, authors.map((a) => (rng.next() < 0.6 ? must(nativeOf, a) : rng.pick(languages))))

  const typed = (type: EntityType, names: readonly string[]): Entity[] => names.map((name) => ({ name, type }))
  const entities = [
    ...typed('person', people), ...typed('country', countries), ...typed('city', cities),
    ...typed('company', companies), ...typed('book', books), ...typed('language', languages),
    ...typed('currency', currencies), ...typed('occupation', OCCUPATIONS), ...typed('instrument', INSTRUMENTS),
    ...typed('industry', INDUSTRIES)
  ]
  const world: World = { seed, entities, relations: RELATIONS, facts }
  for (const r of RELATIONS) {
    const n = relationRange(world, r.id).length
    if (n < 3) throw new Error(`relation ${r.id} uses ${n} distinct objects; counterfactual targets need ≥ 3`)
  }
  return world
}

/** The objects `relation` actually uses, in first-use order: the pool counterfactual targets are drawn from. */
export function relationRange(world: World, relation: RelationId): string[] {
  return [...new Set(world.facts.filter((f) => f.relation === relation).map((f) => f.object))]
}

/** Split `total` over `counts` proportionally (largest remainder; ties go to the earlier entry). */
function apportion(counts: readonly number[], total: number): number[] {
  const sum = counts.reduce((a, b) => a + b, 0)
  const exact = counts.map((c) => (c * total) / sum)
  const out = exact.map(Math.floor)
  const byRemainder = counts.map((_, i) => i).sort((a, b) => exact[b] - out[b] - (exact[a] - out[a]) || a - b)
  const missing = total - out.reduce((a, b) => a + b, 0)
  for (let k = 0; k < missing; k++) out[byRemainder[k]]++
  return out
}

function groupIndices<K>(facts: readonly Fact[], key: (f: Fact) => K): Map<K, number[]> {
  const out = new Map<K, number[]>()
  facts.forEach((f, i) => {
    const list = out.get(key(f))
    if (list === undefined) out.set(key(f), [i])
    else list.push(i)
  })
  return out
}

/**
 * Picks which facts the suite edits: per relation a quota proportional to its fact count, drawn with the PRNG.
 * A subject with several relations always keeps at least one unedited fact (its locality probe (a)), and every
 * relation keeps at least two unedited facts (probe (b), and the single-relation fallback of (a)).
 */
function chooseEdited(world: World, rng: Prng, editCount: number): Set<number> {
  const byRelation = groupIndices(world.facts, (f) => f.relation)
  const bySubject = groupIndices(world.facts, (f) => f.subject)
  const lists = world.relations.map((r) => byRelation.get(r.id) ?? [])
  const quotas = apportion(lists.map((l) => l.length), editCount)
  const uneditedLeft = new Map([...bySubject].map(([s, l]) => [s, l.length]))
  const edited = new Set<number>()
  world.relations.forEach((r, k) => {
    if (quotas[k] > lists[k].length - 2)
      throw new Error(`${r.id}: quota ${quotas[k]} leaves fewer than 2 of its ${lists[k].length} facts unedited`)
    let need = quotas[k]
    const order = rng.shuffle(lists[k])
    for (const i of order) {
      if (need === 0) break
      const s = world.facts[i].subject
      const left = must(uneditedLeft, s)
      if (must(bySubject, s).length > 1 && left <= 1) continue
      edited.add(i)
      uneditedLeft.set(s, left - 1)
      need--
    }
    // Past ~1,600 edits some relations run out of subjects that keep another fact unedited. Only then, edit a
    // subject's last fact too (its locality probe (a) falls back to another subject's fact, as for cities). No random
    // draw happens here, so every suite the first pass can fill — the committed 1,000 among them — is unchanged.
    for (const i of order) {
      if (need === 0) break
      if (edited.has(i)) continue
      edited.add(i)
      const s = world.facts[i].subject
      uneditedLeft.set(s, must(uneditedLeft, s) - 1)
      need--
    }
    if (need > 0) throw new Error(`${r.id}: could only edit ${quotas[k] - need} of the ${quotas[k]} facts asked`)
  })
  return edited
}

function allPrompts(f: Fact): string[] {
  return relationSpec(f.relation).templates.map((_, t) => renderPrompt(f.relation, t, f.subject))
}

/**
 * Renders the world: the shuffled pretraining corpus (every fact in all 6 templates), `editCount` edits with
 * distinct (subject, relation), and the retention set (every fact no edit touches, in all 6 templates).
 *
 * Each edit's locality holds two facts that no edit in the suite touches, so their answers stay true after the
 * whole suite has been applied:
 *   (a) the same subject under another relation; for a subject with a single relation (only cities, whose one
 *       relation is city_country), or one whose every fact is edited (only in suites past ~1,600 edits), instead
 *       another subject's fact whose object has the same type as the edited fact's, preferring one with the same
 *       true object (another city of the same country), and never the fact used for (b);
 *   (b) the same relation for another subject.
 */
export function buildWorldData(world: World, editCount: number = EDIT_COUNT): WorldData {
  // A stream of its own, so the suite does not shift if generateWorld draws one more number.
  const rng = new Prng((world.seed ^ 0x5eed5eed) >>> 0)
  const facts = world.facts
  const formOf = (f: Fact, t: number): TemplateForm => relationSpec(f.relation).templates[t].form

  const corpus = rng.shuffle(facts.flatMap((f) => allPrompts(f).map((prompt, template): CorpusRow => ({
    prompt, answer: f.object, relation: f.relation, subject: f.subject, template, form: formOf(f, template)
  }))))

  const edited = chooseEdited(world, rng, editCount)
  const bySubject = groupIndices(facts, (f) => f.subject)
  const uneditedByRelation = groupIndices(facts, (f) => f.relation)
  for (const [r, list] of uneditedByRelation) uneditedByRelation.set(r, list.filter((i) => !edited.has(i)))
  const objectType = (i: number) => relationSpec(facts[i].relation).objectType
  const ranges = new Map(world.relations.map((r) => [r.id, relationRange(world, r.id)]))
  const probe = (i: number): LocalityItem => ({
    prompt: renderPrompt(facts[i].relation, rng.int(TEMPLATES_PER_RELATION), facts[i].subject),
    answer: facts[i].object
  })

  const edits = rng.shuffle([...edited]).map((i): FullEditRecord => {
    const f = facts[i]
    const prompts = allPrompts(f)
    const t = rng.int(prompts.length)
    const target = rng.pick(must(ranges, f.relation).filter((o) => o !== f.object))
    const b = rng.pick(must(uneditedByRelation, f.relation))
    const sameSubject = must(bySubject, f.subject).filter((j) => j !== i && !edited.has(j))
    let a: number
    if (sameSubject.length > 0) a = rng.pick(sameSubject)
    else {
      const pool = facts.flatMap((g, j) => (!edited.has(j) && j !== b && g.subject !== f.subject &&
        objectType(j) === objectType(i) ? [j] : []))
      const sharing = pool.filter((j) => facts[j].object === f.object)
      a = rng.pick(sharing.length > 0 ? sharing : pool)
    }
    return {
      prompt: prompts[t],
      target,
      ground_truth: f.object,
      rephrases: prompts.filter((_, k) => k !== t),
      locality: [probe(a), probe(b)],
      subject: f.subject,
      relation: f.relation
    }
  })

  const retention = facts.flatMap((f, i) => (edited.has(i) ? [] : allPrompts(f).map((prompt, template) => ({
    prompt, target: f.object, subject: f.subject, relation: f.relation, form: formOf(f, template), template
  }))))

  return { corpus, edits, retention }
}
