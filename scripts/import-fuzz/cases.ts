// The importer fuzz benchmark (issue 11). Mutated copies of the sample files the project writes
// (scripts/fixture/import-samples.ts: invented records in the real layouts), each change placed in known records, so
// every record a change did not touch can be held to the promise "nothing is lost": it is imported exactly, or an
// error points into it (its lines, or its bytes where records share a line). Run whole by `npm run fuzz:import`
// (10,000 cases, figures in the README) and in part by test/importers/fuzz-bench.test.ts.
import { Prng } from '../../src-main/engine/prng'
import {
  importBytes, ImportError, MAX_MESSAGE_CHARS, type ImportedRecord, type ImportResult, type RecordIssue
} from '../../src-main/importers/index'
import { importSamples, jsonArrayLayout, SAMPLE_LAYOUTS, type SampleLayout } from '../fixture/import-samples'

type Obj = Record<string, unknown>

/** What a JSON seed's records are and which keys the importer reads (a wrong type there is an error) or needs. */
interface JsonShapeInfo {
  records: Obj[]
  read: string[]
  required: string[]
  layout(records: Obj[]): SampleLayout
}

export interface Seed {
  /** Given to the importer for its extension. */
  name: string
  bytes: Buffer
  spans: Array<[number, number]>
  /** The clean file's import, one record per span. */
  clean: ImportedRecord[]
  json?: JsonShapeInfo
  /** CSV: the columns a blank cell makes an error. */
  csvRequired?: Array<{ column: number; field: string }>
}

/** The same file with CRLF line ends, spans moved by the "\r"s inserted before them. */
function crlf(l: SampleLayout): SampleLayout {
  const starts = lineStarts(Buffer.from(l.text))
  const moved = (offset: number) => offset + lineOf(starts, offset) - 1
  return { text: l.text.replace(/\n/g, '\r\n'), spans: l.spans.map(([from, to]) => [moved(from), moved(to)]) }
}

export function seeds(): Seed[] {
  const s = importSamples()
  const elder = { read: ['prompt', 'target', 'ground_truth', 'rephrases', 'locality', 'subject', 'relation'], required: ['prompt', 'target'] }
  const easyEdit = {
    read: ['prompt', 'target_new', 'ground_truth', 'rephrase_prompt', 'locality_prompt', 'locality_ground_truth', 'subject'],
    required: ['prompt', 'target_new']
  }
  const mend = { read: ['src', 'alt', 'answers', 'rephrase', 'loc', 'loc_ans', 'subject'], required: ['src', 'alt'] }
  const rome = { read: ['requested_rewrite', 'paraphrase_prompts', 'neighborhood_prompts'], required: ['requested_rewrite'] }
  const csvRequired = [{ column: 0, field: 'prompt' }, { column: 1, field: 'target' }]
  // each seed's records can be laid out again with one changed (the JSON-level mutations)
  const json = <T>(records: T[], keys: { read: string[]; required: string[] }, layout: (r: T[]) => SampleLayout) =>
    ({ records: records as Obj[], ...keys, layout: layout as unknown as (r: Obj[]) => SampleLayout })
  const specs: Array<{ name: string; json?: JsonShapeInfo; csvRequired?: Seed['csvRequired']; laid: SampleLayout }> = [
    { name: 'counterfact-easyedit.json', json: json(s.counterfactEasyEdit, easyEdit, SAMPLE_LAYOUTS.counterfactEasyEdit), laid: SAMPLE_LAYOUTS.counterfactEasyEdit(s.counterfactEasyEdit) },
    { name: 'zsre-mend.json', json: json(s.zsreMend, mend, SAMPLE_LAYOUTS.zsreMend), laid: SAMPLE_LAYOUTS.zsreMend(s.zsreMend) },
    // the real MEND file is one line
    { name: 'zsre-mend-one-line.json', json: json(s.zsreMend, mend, (r) => jsonArrayLayout(r, 0)), laid: jsonArrayLayout(s.zsreMend, 0) },
    { name: 'zsre-easyedit.json', json: json(s.zsreEasyEdit, easyEdit, SAMPLE_LAYOUTS.zsreEasyEdit), laid: SAMPLE_LAYOUTS.zsreEasyEdit(s.zsreEasyEdit) },
    { name: 'counterfact-rome.json', json: json(s.counterfactRome, rome, SAMPLE_LAYOUTS.counterfactRome), laid: SAMPLE_LAYOUTS.counterfactRome(s.counterfactRome) },
    { name: 'edits.jsonl', json: json(s.jsonl, elder, SAMPLE_LAYOUTS.jsonl), laid: SAMPLE_LAYOUTS.jsonl(s.jsonl) },
    { name: 'edits-crlf.jsonl', json: json(s.jsonl, elder, (r) => crlf(SAMPLE_LAYOUTS.jsonl(r))), laid: crlf(SAMPLE_LAYOUTS.jsonl(s.jsonl)) },
    { name: 'edits.csv', csvRequired, laid: SAMPLE_LAYOUTS.csv(s.csv) },
    { name: 'edits-crlf.csv', csvRequired, laid: crlf(SAMPLE_LAYOUTS.csv(s.csv)) }
  ]
  return specs.map(({ laid, ...spec }) => ({ ...spec, bytes: Buffer.from(laid.text), spans: laid.spans, clean: [] }))
}

/** Imports every seed clean: each must give one record per span and no error, or the benchmark measures nothing. */
export async function readySeeds(): Promise<Seed[]> {
  const out = seeds()
  for (const seed of out) {
    const r = await importBytes(seed.bytes, { name: seed.name })
    const lines = lineStarts(seed.bytes)
    const expected = seed.spans.map(([from]) => lineOf(lines, from))
    if (r.errors.length > 0 || r.records.length !== seed.spans.length || r.records.some((x, i) => x.sourceLine !== expected[i])) {
      throw new Error(`seed ${seed.name} does not import clean: ${r.records.length} records for ${seed.spans.length} spans, ${r.errors.length} errors`)
    }
    seed.clean = r.records
  }
  return out
}

/** One mutated file: which records it still holds, where, and which of them the change touched. */
export interface Case {
  seed: Seed
  kind: string
  bytes: Buffer
  /** Per seed record: its byte range in the mutated file, or null when the change removed it (a cut). */
  spans: Array<[number, number] | null>
  touched: Set<number>
  /** A single-field change: the error that must name it. */
  expectField?: { record: number; field: string }
}

interface Edit {
  at: number
  del: number
  ins: Buffer
}

/** Applies non-overlapping edits; spans move with them, and a record whose bytes (or edges) an edit meets is touched. */
function applyEdits(seed: Seed, kind: string, edits: Edit[]): Case {
  const sorted = [...edits].sort((a, b) => b.at - a.at)
  let bytes = seed.bytes
  const spans: Array<[number, number] | null> = seed.spans.map((s) => [...s] as [number, number])
  const touched = new Set<number>()
  for (const e of sorted) {
    bytes = Buffer.concat([bytes.subarray(0, e.at), e.ins, bytes.subarray(e.at + e.del)])
    const shift = e.ins.length - e.del
    spans.forEach((span, i) => {
      if (!span) return
      const [from, to] = span
      if (e.at <= to && e.at + e.del >= from) {
        touched.add(i)
        span[1] = Math.max(from, to + shift)
      } else if (from >= e.at + e.del) {
        span[0] += shift
        span[1] += shift
      }
    })
  }
  return { seed, kind, bytes, spans, touched }
}

const STRUCTURAL_JSON = [...'"{}[],:']
const STRUCTURAL_CSV = [...'",']
const INVALID_UTF8 = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]]
const ODD_VALUES: unknown[] = [42, true, {}, [1], -0.5, { str: 5 }]

type Mutation = (seed: Seed, rng: Prng) => Case | null

const insideRecord = (seed: Seed, rng: Prng): { k: number; from: number; to: number } => {
  const k = rng.int(seed.spans.length)
  const [from, to] = seed.spans[k]
  return { k, from, to }
}

/** One byte-level change inside a random record. */
const inRecord = (kind: string, make: (seed: Seed, rng: Prng, from: number, to: number) => Edit | null): Mutation => (seed, rng) => {
  const { from, to } = insideRecord(seed, rng)
  const e = make(seed, rng, from, to)
  return e && applyEdits(seed, kind, [e])
}

const at = (rng: Prng, from: number, to: number): number => from + rng.int(to - from + 1)

/** Positions in [from, to) holding one of `chars`. */
function positionsOf(bytes: Buffer, from: number, to: number, chars: string[]): number[] {
  const codes = new Set(chars.map((c) => c.charCodeAt(0)))
  const out: number[] = []
  for (let i = from; i < to; i++) if (codes.has(bytes[i])) out.push(i)
  return out
}

const isCsv = (seed: Seed) => seed.csvRequired !== undefined

export const MUTATIONS: Record<string, Mutation> = {
  truncate: (seed, rng) => {
    const cut = 1 + rng.int(seed.bytes.length - 1)
    // records wholly after the cut are gone, not lost; the one it crosses is touched; those before it are whole
    return {
      seed, kind: 'truncate', bytes: seed.bytes.subarray(0, cut), spans: seed.spans.map((s) => (s[0] >= cut ? null : s)),
      touched: new Set(seed.spans.flatMap(([from, to], i) => (from < cut && to > cut ? [i] : [])))
    }
  },
  flipBits: (seed, rng) => {
    const { from, to } = insideRecord(seed, rng)
    const edits: Edit[] = []
    const used = new Set<number>()
    for (let n = 1 + rng.int(3); n > 0; n--) {
      const i = from + rng.int(Math.max(1, to - from))
      if (used.has(i)) continue
      used.add(i)
      edits.push({ at: i, del: 1, ins: Buffer.from([seed.bytes[i] ^ (1 << rng.int(8))]) })
    }
    return applyEdits(seed, 'flipBits', edits)
  },
  dropStructural: inRecord('dropStructural', (seed, rng, from, to) => {
    const spots = positionsOf(seed.bytes, from, to, isCsv(seed) ? STRUCTURAL_CSV : STRUCTURAL_JSON)
    return spots.length ? { at: rng.pick(spots), del: 1, ins: Buffer.alloc(0) } : null
  }),
  insertStructural: inRecord('insertStructural', (seed, rng, from, to) =>
    ({ at: at(rng, from, to), del: 0, ins: Buffer.from(rng.pick(isCsv(seed) ? [...STRUCTURAL_CSV, '\n', '""'] : [...STRUCTURAL_JSON, '\\', '\n'])) })),
  deleteRange: inRecord('deleteRange', (_seed, rng, from, to) => {
    const start = at(rng, from, to - 1)
    return { at: start, del: 1 + rng.int(Math.min(20, to - start)), ins: Buffer.alloc(0) }
  }),
  invalidUtf8: inRecord('invalidUtf8', (_seed, rng, from, to) => ({ at: at(rng, from, to), del: 0, ins: Buffer.from(rng.pick(INVALID_UTF8)) })),
  nul: inRecord('nul', (_seed, rng, from, to) => ({ at: at(rng, from, to), del: 0, ins: Buffer.from([0]) })),
  bom: (seed, rng) => {
    // at the very start a BOM is the file's own, which every reader skips; anywhere else it is a stray character
    if (rng.int(3) === 0) return applyEdits(seed, 'bom', [{ at: 0, del: 0, ins: Buffer.from([0xef, 0xbb, 0xbf]) }])
    const { from, to } = insideRecord(seed, rng)
    return applyEdits(seed, 'bom', [{ at: at(rng, from, to), del: 0, ins: Buffer.from([0xef, 0xbb, 0xbf]) }])
  },
  strayLineEnd: inRecord('strayLineEnd', (_seed, rng, from, to) => ({ at: at(rng, from, to), del: 0, ins: Buffer.from(rng.pick(['\r', '\n', '\r\n'])) })),
  hugeString: inRecord('hugeString', (seed, rng, from, to) => {
    // inside a string (after a quote) or a CSV cell (after a comma): a 1 MiB value
    const spots = positionsOf(seed.bytes, from, to, isCsv(seed) ? [','] : ['"'])
    const where = spots.length ? rng.pick(spots) + 1 : at(rng, from, to)
    return { at: where, del: 0, ins: Buffer.alloc((1 << 20) + rng.int(1000), 'Z') }
  }),
  deepNesting: inRecord('deepNesting', (_seed, rng, from, to) => {
    const depth = 1000 + rng.int(100_000)
    const open = rng.pick(['[', '{"a":'])
    const closed = rng.int(2) === 0
    const body = open.repeat(depth) + (closed ? `1${(open === '[' ? ']' : '}').repeat(depth)}` : '')
    return { at: at(rng, from, to), del: 0, ins: Buffer.from(body) }
  }),
  wrongType: (seed, rng) => {
    if (!seed.json) return null
    const { records, read, layout } = seed.json
    const k = rng.int(records.length)
    const keys = read.filter((key) => key in records[k])
    const key = rng.pick(keys)
    const changed = records.map((r, i) => (i === k ? { ...r, [key]: rng.pick(ODD_VALUES) } : r))
    return rebuilt(seed, 'wrongType', layout(changed), k, key)
  },
  missingField: (seed, rng) => {
    if (!seed.json) return null
    const { records, required, layout } = seed.json
    const k = rng.int(records.length)
    const key = rng.pick(required)
    const changed = records.map((r, i) => (i === k ? Object.fromEntries(Object.entries(r).filter(([name]) => name !== key)) : r))
    return rebuilt(seed, 'missingField', layout(changed), k, key)
  },
  blankCell: (seed, rng) => {
    if (!seed.csvRequired) return null
    const { k, from, to } = insideRecord(seed, rng)
    const { column, field } = rng.pick(seed.csvRequired)
    // the row's cells, as the CSV reader splits them (quoted cells may hold commas)
    const cells = splitCsvRow(seed.bytes.subarray(from, to).toString('utf8'))
    cells[column] = ''
    const c = applyEdits(seed, 'blankCell', [{ at: from, del: to - from, ins: Buffer.from(cells.join(',')) }])
    c.expectField = { record: k, field }
    return c
  },
  several: (seed, rng) => {
    // two or three byte-level changes in different records, applied together
    const simple = ['flipBits', 'dropStructural', 'insertStructural', 'deleteRange', 'invalidUtf8', 'nul', 'strayLineEnd']
    const edits: Edit[] = []
    const used = new Set<number>()
    for (let n = 2 + rng.int(2); n > 0; n--) {
      const one = MUTATIONS[rng.pick(simple)](seed, rng)
      if (!one) continue
      const k = [...one.touched][0]
      if (k === undefined || used.has(k) || used.has(k - 1) || used.has(k + 1)) continue
      used.add(k)
      edits.push(diffEdit(seed.bytes, one.bytes))
    }
    return edits.length ? applyEdits(seed, 'several', edits) : null
  }
}

/** A JSON seed rebuilt with record k changed: every other record is laid out as before, only moved. */
function rebuilt(seed: Seed, kind: string, laid: SampleLayout, k: number, field: string): Case {
  return {
    seed, kind, bytes: Buffer.from(laid.text), spans: laid.spans.map((s) => [...s] as [number, number]),
    touched: new Set([k]), expectField: { record: k, field }
  }
}

/** The single splice that turns `a` into `b`. */
function diffEdit(a: Buffer, b: Buffer): Edit {
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB-- }
  return { at: start, del: endA - start, ins: Buffer.from(b.subarray(start, endB)) }
}

function splitCsvRow(row: string): string[] {
  const cells: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < row.length; i++) {
    const c = row[i]
    if (quoted) {
      cur += c
      if (c === '"' && row[i + 1] === '"') { cur += '"'; i++ } else if (c === '"') quoted = false
    } else if (c === ',') { cells.push(cur); cur = '' } else {
      if (c === '"') quoted = true
      cur += c
    }
  }
  cells.push(cur)
  return cells
}

export function lineStarts(bytes: Uint8Array): number[] {
  const starts = [0]
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) starts.push(i + 1)
  return starts
}

/** 1-based line of a byte offset. */
export function lineOf(starts: number[], offset: number): number {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid] <= offset) lo = mid
    else hi = mid - 1
  }
  return lo + 1
}

export interface CaseOutcome {
  kind: string
  seed: string
  ms: number
  crash?: string
  refused?: string
  /** Untouched records still in the file. */
  good: number
  imported: number
  reported: number
  /** Untouched records neither imported exactly nor named by an error (or in a file refused whole). */
  lost: number
  /** Errors that name no line, or whose message is longer than MAX_MESSAGE_CHARS. */
  badErrors: number
  longestMessage: number
  /** A single-field change whose field no error named in its record. */
  fieldMissed: boolean
  fieldChanged: boolean
}

/** Does the error point into the byte range (by line and column where given, else by line)? */
function pointsInto(e: RecordIssue, span: [number, number], starts: number[]): boolean {
  const [from, to] = span
  if (e.column !== undefined) {
    const offset = starts[e.line - 1] + e.column - 1
    return offset >= from && offset <= to
  }
  return e.line >= lineOf(starts, from) && e.line <= lineOf(starts, Math.max(from, to - 1))
}

const sameRecord = (a: ImportedRecord, b: ImportedRecord) => JSON.stringify(a) === JSON.stringify(b)

export async function runCase(c: Case): Promise<CaseOutcome> {
  const out: CaseOutcome = {
    kind: c.kind, seed: c.seed.name, ms: 0, good: 0, imported: 0, reported: 0, lost: 0, badErrors: 0, longestMessage: 0,
    fieldMissed: false, fieldChanged: c.expectField !== undefined
  }
  const good = c.spans.flatMap((s, i) => (s && !c.touched.has(i) ? [i] : []))
  out.good = good.length
  const t0 = performance.now()
  let r: ImportResult
  try {
    r = await importBytes(c.bytes, { name: c.seed.name })
  } catch (e) {
    out.ms = performance.now() - t0
    if (!(e instanceof ImportError)) {
      out.crash = e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 300) : String(e)
      out.lost = good.length
      return out
    }
    out.refused = e.message
    out.longestMessage = e.message.length
    if (e.message.length > MAX_MESSAGE_CHARS) out.badErrors++
    out.lost = good.length
    out.fieldMissed = c.expectField !== undefined
    return out
  }
  out.ms = performance.now() - t0
  const starts = lineStarts(c.bytes)
  for (const e of r.errors) {
    out.longestMessage = Math.max(out.longestMessage, e.message.length)
    if (!(e.line >= 1 && e.line <= starts.length) || e.message.length > MAX_MESSAGE_CHARS) out.badErrors++
  }
  const imported = new Set(r.records.map((x) => JSON.stringify(x)))
  for (const i of good) {
    const span = c.spans[i] as [number, number]
    const expected = { ...c.seed.clean[i], sourceLine: lineOf(starts, span[0]) }
    if (imported.has(JSON.stringify(expected))) out.imported++
    else if (r.errors.some((e) => pointsInto(e, span, starts))) out.reported++
    else out.lost++
  }
  if (c.expectField) {
    const { record, field } = c.expectField
    const span = c.spans[record] as [number, number]
    const named = r.errors.some((e) => pointsInto(e, span, starts) && e.field !== null &&
      (e.field === field || e.field.startsWith(`${field}.`) || e.field.startsWith(`${field}[`)))
    out.fieldMissed = !named
  }
  return out
}

/** The n-th case of a run: seed and mutation drawn from `rng`; null when the mutation does not apply to the seed. */
export function drawCase(all: Seed[], rng: Prng): Case {
  for (;;) {
    const seed = rng.pick(all)
    const kind = rng.pick(Object.keys(MUTATIONS))
    const c = MUTATIONS[kind](seed, rng)
    if (c) return c
  }
}

export interface Summary {
  cases: number
  crashes: number
  /** Cases slower than HANG_MS. */
  hangs: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  goodRecords: number
  imported: number
  reported: number
  lost: number
  filesRefused: number
  filesRefusedWithGoodRecords: number
  fieldChanges: number
  fieldChangesNamed: number
  badErrors: number
  longestMessage: number
  lostByKind: Record<string, number>
  examples: string[]
}

export const HANG_MS = 10_000

export async function runFuzz(cases: number, seed = 11, onProgress?: (done: number) => void): Promise<Summary> {
  const all = await readySeeds()
  const rng = new Prng(seed)
  const outcomes: CaseOutcome[] = []
  for (let n = 0; n < cases; n++) {
    outcomes.push(await runCase(drawCase(all, rng)))
    if (onProgress && (n + 1) % 500 === 0) onProgress(n + 1)
  }
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b)
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]
  const sum = (f: (o: CaseOutcome) => number) => outcomes.reduce((a, o) => a + f(o), 0)
  const lostByKind: Record<string, number> = {}
  const examples: string[] = []
  for (const o of outcomes) {
    if (o.lost > 0) lostByKind[`${o.kind} ${o.seed}`] = (lostByKind[`${o.kind} ${o.seed}`] ?? 0) + o.lost
    if ((o.crash || o.lost > 0 || o.fieldMissed) && examples.length < 10) {
      examples.push(`${o.kind} on ${o.seed}: ${o.crash ?? o.refused ?? `${o.lost} lost`}${o.fieldMissed ? ', field not named' : ''}`)
    }
  }
  return {
    cases, crashes: sum((o) => (o.crash ? 1 : 0)), hangs: sum((o) => (o.ms > HANG_MS ? 1 : 0)),
    p50Ms: q(0.5), p99Ms: q(0.99), maxMs: ms[ms.length - 1],
    goodRecords: sum((o) => o.good), imported: sum((o) => o.imported), reported: sum((o) => o.reported), lost: sum((o) => o.lost),
    filesRefused: sum((o) => (o.refused ? 1 : 0)), filesRefusedWithGoodRecords: sum((o) => (o.refused && o.good > 0 ? 1 : 0)),
    fieldChanges: sum((o) => (o.fieldChanged ? 1 : 0)), fieldChangesNamed: sum((o) => (o.fieldChanged && !o.fieldMissed ? 1 : 0)),
    badErrors: sum((o) => o.badErrors), longestMessage: Math.max(...outcomes.map((o) => o.longestMessage)), lostByKind, examples
  }
}
