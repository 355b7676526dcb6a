import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { toJsonl } from '../scripts/world/format'
import {
  buildWorldData, EDIT_COUNT, generateWorld, relationRange, renderPrompt, WORLD_SEED,
  type Fact, type RelationId
} from '../scripts/world/generate'
import { Prng } from '../src-main/engine/prng'
import { writeWorldFiles } from '../scripts/world/write'

const world = generateWorld(WORLD_SEED)
const data = buildWorldData(world)
const key = (subject: string, relation: string) => `${relation}\u0000${subject}`
const factByKey = new Map(world.facts.map((f) => [key(f.subject, f.relation), f]))
const editedKeys = new Set(data.edits.map((e) => key(e.subject, e.relation)))
/** Every rendered prompt → the fact it asks about (prompts are globally unique, checked below). */
const factByPrompt = new Map<string, Fact>()
for (const f of world.facts)
  for (let t = 0; t < 6; t++) factByPrompt.set(renderPrompt(f.relation, t, f.subject), f)
const relationsOfSubject = new Map<string, Set<RelationId>>()
for (const f of world.facts) relationsOfSubject.set(f.subject, (relationsOfSubject.get(f.subject) ?? new Set()).add(f.relation))

describe('Prng', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const draw = (seed: number) => { const r = new Prng(seed); return Array.from({ length: 5 }, () => r.next()) }
    expect(draw(7)).toEqual(draw(7))
    expect(draw(7)).not.toEqual(draw(8))
    for (const x of draw(3)) expect(x >= 0 && x < 1).toBe(true)
  })

  it('int stays in range, shuffle is a permutation that leaves its input alone, pick rejects empty', () => {
    const r = new Prng(1)
    for (let i = 0; i < 1000; i++) { const k = r.int(6); expect(k >= 0 && k < 6 && Number.isInteger(k)).toBe(true) }
    const input = Array.from({ length: 50 }, (_, i) => i)
    const out = r.shuffle(input)
    expect(input).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect([...out].sort((a, b) => a - b)).toEqual(input)
    expect(out).not.toEqual(input)
    expect(() => r.pick([])).toThrow(/non-empty/)
    expect(() => r.int(0)).toThrow(/positive integer, got 0/)
  })
})

describe('world', () => {
  it('has 3,000–3,400 facts over ≥ 8 relations, each with 3 statement and 3 question templates', () => {
    expect(world.facts.length).toBeGreaterThanOrEqual(3000)
    expect(world.facts.length).toBeLessThanOrEqual(3400)
    expect(world.relations.length).toBeGreaterThanOrEqual(8)
    for (const r of world.relations) {
      expect(r.templates.length, r.id).toBe(6)
      expect(r.templates.map((t) => t.form)).toEqual(['statement', 'statement', 'statement', 'question', 'question', 'question'])
      for (const t of r.templates) {
        expect(t.text.split('{s}').length, t.text).toBe(2)
        if (t.form === 'question') expect(t.text, r.id).toMatch(/^Q: .*\? A:$/)
        else expect(t.text.startsWith('Q:'), t.text).toBe(false)
      }
      expect(world.facts.some((f) => f.relation === r.id), r.id).toBe(true)
    }
  })

  it('has one fact per (subject, relation), subjects and objects of the declared types, ranges of ≥ 3 objects', () => {
    expect(factByKey.size).toBe(world.facts.length)
    const typeOf = new Map(world.entities.map((e) => [e.name, e.type]))
    for (const f of world.facts) {
      const spec = world.relations.find((r) => r.id === f.relation)
      expect(typeOf.get(f.subject), `${f.subject} ${f.relation}`).toBe(spec?.subjectType)
      expect(typeOf.get(f.object), `${f.object} ${f.relation}`).toBe(spec?.objectType)
    }
    for (const r of world.relations) expect(relationRange(world, r.id).length, r.id).toBeGreaterThanOrEqual(3)
  })

  it('gives unique, capitalised, prefix-free pseudo-word names of 2–4 syllables', () => {
    const names = world.entities.map((e) => e.name)
    expect(new Set(names).size).toBe(names.length)
    const pseudo = world.entities.filter((e) => !['occupation', 'instrument', 'industry'].includes(e.type)).map((e) => e.name)
    for (const n of pseudo) {
      expect(n).toMatch(/^[A-Z][a-z]+$/)
      // One vowel letter per syllable (onsets and codas are consonants only).
      const syllables = n.toLowerCase().replace(/[^aeiou]/g, '').length
      expect(syllables >= 2 && syllables <= 4, n).toBe(true)
    }
    const sorted = [...pseudo].sort()
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].startsWith(sorted[i - 1]), `${sorted[i - 1]} / ${sorted[i]}`).toBe(false)
  })

  it('keeps geography consistent: a capital lies in its own country', () => {
    for (const f of world.facts.filter((g) => g.relation === 'capital'))
      expect(factByKey.get(key(f.object, 'city_country'))?.object, f.subject).toBe(f.subject)
  })

  it('renders prompts that differ across relations for each subject, and are globally unique', () => {
    for (const [subject, relations] of relationsOfSubject) {
      const prompts = new Set([...relations].flatMap((r) => [0, 1, 2, 3, 4, 5].map((t) => renderPrompt(r, t, subject))))
      expect(prompts.size, subject).toBe(relations.size * 6)
    }
    expect(factByPrompt.size).toBe(world.facts.length * 6)
  })

  it('is a function of the seed', () => {
    expect(generateWorld(WORLD_SEED)).toEqual(world)
    expect(generateWorld(WORLD_SEED + 1).facts).not.toEqual(world.facts)
  })
})

describe('corpus', () => {
  it('holds every fact in every template once, with no space at the seam', () => {
    expect(data.corpus.length).toBe(world.facts.length * 6)
    const seen = new Set(data.corpus.map((r) => `${key(r.subject, r.relation)}\u0000${r.template}`))
    expect(seen.size).toBe(data.corpus.length)
    for (const r of data.corpus) {
      expect(factByKey.get(key(r.subject, r.relation))?.object).toBe(r.answer)
      expect(r.prompt).toBe(renderPrompt(r.relation, r.template, r.subject))
      expect(r.form).toBe(r.template < 3 ? 'statement' : 'question')
      expect(r.prompt, r.prompt).toMatch(/\S$/)
      expect(r.answer, r.answer).toMatch(/^\S/)
    }
  })
})

describe('edit suite', () => {
  it(`has exactly ${EDIT_COUNT} edits with distinct (subject, relation) over every relation`, () => {
    expect(data.edits.length).toBe(1000)
    expect(editedKeys.size).toBe(1000)
    for (const r of world.relations) expect(data.edits.some((e) => e.relation === r.id), r.id).toBe(true)
  })

  it('edits a real fact to a counterfactual target from the same relation\'s range', () => {
    for (const e of data.edits) {
      const f = factByKey.get(key(e.subject, e.relation))
      expect(f, e.prompt).toBeDefined()
      expect(e.ground_truth).toBe(f?.object)
      expect(e.target).not.toBe(e.ground_truth)
      expect(relationRange(world, e.relation as RelationId)).toContain(e.target)
      expect(factByPrompt.get(e.prompt)).toBe(f)
      expect(e.prompt).toMatch(/\S$/)
      expect(e.target).toMatch(/^\S/)
    }
  })

  it('rephrases are the other five templates of the same fact, never the prompt', () => {
    for (const e of data.edits) {
      expect(e.rephrases.length).toBeGreaterThanOrEqual(2)
      expect(e.rephrases).not.toContain(e.prompt)
      expect(new Set(e.rephrases).size).toBe(e.rephrases.length)
      for (const p of e.rephrases) expect(factByPrompt.get(p)).toBe(factByKey.get(key(e.subject, e.relation)))
    }
  })

  it('locality probes are true facts that no edit touches: (a) same subject (or fallback), (b) same relation', () => {
    for (const e of data.edits) {
      expect(e.locality.length).toBeGreaterThanOrEqual(2)
      const [a, b] = e.locality.map((item) => {
        const f = factByPrompt.get(item.prompt)
        expect(f, item.prompt).toBeDefined()
        expect(item.answer).toBe(f?.object)
        expect(editedKeys.has(key(f?.subject ?? '', f?.relation ?? '')), item.prompt).toBe(false)
        return f as Fact
      })
      expect(b.relation).toBe(e.relation)
      expect(b.subject).not.toBe(e.subject)
      if ((relationsOfSubject.get(e.subject)?.size ?? 0) > 1) {
        expect(a.subject).toBe(e.subject)
        expect(a.relation).not.toBe(e.relation)
      } else {
        // Single-relation subject (a city): another subject's fact with the same object type, not the (b) probe.
        expect(a.subject).not.toBe(e.subject)
        expect(a).not.toBe(b)
        const typeOf = (r: string) => world.relations.find((s) => s.id === r)?.objectType
        expect(typeOf(a.relation)).toBe(typeOf(e.relation))
      }
    }
  })
})

describe('larger suites (bench only)', () => {
  it('2,000 edits: past what keeps a fact per subject, locality probes are still untouched true facts', () => {
    const big = buildWorldData(world, 2000)
    const bigKeys = new Set(big.edits.map((e) => key(e.subject, e.relation)))
    expect(bigKeys.size).toBe(2000)
    let fallbacks = 0
    for (const e of big.edits) {
      for (const item of e.locality) {
        const f = factByPrompt.get(item.prompt) as Fact
        expect(item.answer).toBe(f.object)
        expect(bigKeys.has(key(f.subject, f.relation)), item.prompt).toBe(false)
      }
      if (factByPrompt.get(e.locality[0].prompt)?.subject !== e.subject) fallbacks++
    }
    // Subjects whose every fact is edited take the fallback probe (a) — more than the cities alone.
    const cityEdits = big.edits.filter((e) => (relationsOfSubject.get(e.subject)?.size ?? 0) === 1).length
    expect(fallbacks).toBeGreaterThan(cityEdits)
  })
})

describe('retention set', () => {
  it('holds every fact no edit touches (≥ 2,000), each in all 6 templates with its true answer', () => {
    const facts = new Map<string, number>()
    for (const r of data.retention) {
      const k = key(r.subject, r.relation)
      expect(editedKeys.has(k), r.prompt).toBe(false)
      expect(factByKey.get(k)?.object).toBe(r.target)
      expect(r.prompt).toBe(renderPrompt(r.relation as RelationId, r.template, r.subject))
      expect(r.form).toBe(r.template < 3 ? 'statement' : 'question')
      facts.set(k, (facts.get(k) ?? 0) + 1)
    }
    expect(facts.size).toBeGreaterThanOrEqual(2000)
    expect(facts.size).toBe(world.facts.length - data.edits.length)
    for (const n of facts.values()) expect(n).toBe(6)
  })
})

describe('JSONL output', () => {
  it('is byte-identical for a seed, differs across seeds, and stays under 4 MB', () => {
    const again = buildWorldData(generateWorld(WORLD_SEED))
    expect(toJsonl(again.edits)).toBe(toJsonl(data.edits))
    expect(toJsonl(again.retention)).toBe(toJsonl(data.retention))
    expect(toJsonl(buildWorldData(generateWorld(2)).edits)).not.toBe(toJsonl(data.edits))
    const bytes = Buffer.byteLength(toJsonl(data.edits)) + Buffer.byteLength(toJsonl(data.retention))
    expect(bytes).toBeLessThan(4 * 1024 * 1024)
  })

  it('writeWorldFiles writes both files, returns the corpus and a summary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'elder-world-'))
    try {
      const out = writeWorldFiles(dir, WORLD_SEED)
      const edits = readFileSync(join(dir, 'edits.jsonl'), 'utf8')
      expect(edits).toBe(toJsonl(data.edits))
      expect(readFileSync(join(dir, 'retention.jsonl'), 'utf8')).toBe(toJsonl(data.retention))
      expect(edits.endsWith('\n')).toBe(true)
      expect(edits.split('\n').length - 1).toBe(1000)
      expect(out.files.edits.bytes).toBe(Buffer.byteLength(edits))
      expect(out.corpus).toEqual(data.corpus)
      expect(out.summary.facts).toBe(world.facts.length)
      expect(out.summary.edits).toBe(1000)
      expect(out.summary.retentionFacts).toBe(world.facts.length - 1000)
      expect(out.summary.corpusRowsPerForm).toEqual({ statement: world.facts.length * 3, question: world.facts.length * 3 })
      expect(Object.values(out.summary.factsPerRelation).reduce((a, b) => a + b, 0)).toBe(world.facts.length)
      expect(out.summary.editsPerForm.statement + out.summary.editsPerForm.question).toBe(1000)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
