/**
 * Writes the world's edit suite and retention set as EDIT JSONL (see ./format) and hands back the corpus,
 * which is regenerated from the seed at model-build time instead of being committed.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { toJsonl, type TemplateForm } from './format'
import { buildWorldData, generateWorld, WORLD_SEED, type CorpusRow, type World, type WorldData } from './generate'

export interface WorldSummary {
  seed: number
  entities: number
  relations: number
  facts: number
  factsPerRelation: Record<string, number>
  corpusRows: number
  corpusRowsPerForm: Record<TemplateForm, number>
  /** Mean prompt length over corpus rows, in UTF-16 code units (= characters; names are ASCII). */
  meanPromptChars: number
  edits: number
  editsPerRelation: Record<string, number>
  /** Form of each edit's own prompt. */
  editsPerForm: Record<TemplateForm, number>
  retentionFacts: number
  retentionRecords: number
  retentionRecordsPerForm: Record<TemplateForm, number>
}

function countBy<T>(items: readonly T[], key: (t: T) => string, keys: readonly string[] = []): Record<string, number> {
  const out: Record<string, number> = {}
  for (const k of keys) out[k] = 0
  for (const it of items) out[key(it)] = (out[key(it)] ?? 0) + 1
  return out
}

function perForm<T>(items: readonly T[], form: (t: T) => TemplateForm): Record<TemplateForm, number> {
  let statement = 0
  for (const it of items) if (form(it) === 'statement') statement++
  return { statement, question: items.length - statement }
}

const QUESTION_PREFIX = 'Q: '

export function summarizeWorld(world: World, data: WorldData): WorldSummary {
  const relationIds = world.relations.map((r) => r.id)
  const promptChars = data.corpus.reduce((n, r) => n + r.prompt.length, 0)
  return {
    seed: world.seed,
    entities: world.entities.length,
    relations: world.relations.length,
    facts: world.facts.length,
    factsPerRelation: countBy(world.facts, (f) => f.relation, relationIds),
    corpusRows: data.corpus.length,
    corpusRowsPerForm: perForm(data.corpus, (r) => r.form),
    meanPromptChars: data.corpus.length === 0 ? 0 : promptChars / data.corpus.length,
    edits: data.edits.length,
    editsPerRelation: countBy(data.edits, (e) => e.relation, relationIds),
    // Every question template, and no statement template, starts with "Q: ".
    editsPerForm: perForm(data.edits, (e) => (e.prompt.startsWith(QUESTION_PREFIX) ? 'question' : 'statement')),
    retentionFacts: new Set(data.retention.map((r) => `${r.relation}\u0000${r.subject}`)).size,
    retentionRecords: data.retention.length,
    retentionRecordsPerForm: perForm(data.retention, (r) => r.form)
  }
}

export interface WrittenWorld {
  corpus: CorpusRow[]
  summary: WorldSummary
  /** Absolute-or-relative paths as joined from `outDir`, with their sizes in bytes. */
  files: { edits: { path: string; bytes: number }; retention: { path: string; bytes: number } }
}

/** Generates the world for `seed` and writes `edits.jsonl` and `retention.jsonl` into `outDir` (created if needed). */
export function writeWorldFiles(outDir: string, seed: number = WORLD_SEED, editCount?: number): WrittenWorld {
  const world = generateWorld(seed)
  const data = buildWorldData(world, editCount)
  mkdirSync(outDir, { recursive: true })
  const write = (name: string, text: string) => {
    const path = join(outDir, name)
    writeFileSync(path, text, 'utf8')
    return { path, bytes: Buffer.byteLength(text, 'utf8') }
  }
  return {
    corpus: data.corpus,
    summary: summarizeWorld(world, data),
    files: { edits: write('edits.jsonl', toJsonl(data.edits)), retention: write('retention.jsonl', toJsonl(data.retention)) }
  }
}
