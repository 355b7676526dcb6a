// `npm run elder -- <command>`: the engine, the workspace and serve mode from the command line.
//   serve [--port P] [--workspace DIR]                         (serve.ts)
//   import|queue|apply|history|rollback|eval|export …          (workspace-cli.ts)
//   inspect logits --model DIR --ids 1,2,3
//   generate --model DIR --prompt TEXT [--max-new-tokens N]
//   eval --model DIR --suite FILE [--limit N] [--json]
//   bench edit --model DIR --suite FILE --edits N [--method NAME|base] [--batch-size B] [--seed S]
//              [--retention FILE] [--zsre-target alt|answers] [--curve-every M] [--json]
//              [--protocol default|paper] [--preset elder|elder-paper] [--config JSON] [--discriminator code|code+query|key] [--eps E]
//              [--query-radius R] [--module mlp.down_proj|mlp.up_proj|mlp.gate_proj]   (LLaMA family: the edited module)
//   bench compare --model DIR --suite FILE --edits N [--methods a,b,…] [--batch-size B] [--seed S] [--retention FILE]
//                 [--protocol default|paper] [--json]                (eval/compare.ts)
// Every command prints the backend on stderr. Bad arguments or a bad model folder: one line on stderr, exit 2.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { BackendError, describeBackend, initBackend } from './engine/backend'
import { methodNames } from './engine/methods'
import { MethodConfigError, MethodUnsupportedError } from './engine/methods/editor'
import { moduleOf } from './engine/methods/module-field'
import { predict } from './engine/methods/infer'
import { RowError } from './engine/elder/rows'
import { defaultCacheDir } from './engine/eval/base-cache'
import { runEditBench } from './engine/eval/bench'
import { compareMarkdown, DEFAULT_COMPARE, runCompare } from './engine/eval/compare'
import { baseScore } from './engine/eval/metrics'
import { ModelConfigError } from './engine/model/config'
import { padBatch } from './engine/model/gpt2'
import { loadBareModel, loadModel, ModelLoadError } from './engine/model/load'
import { SafetensorsError } from './engine/model/safetensors'
import { TokenizerError } from './engine/model/tokenizer'
import { PortInUseError, runServe, ServeUsageError } from './serve'
import { runWorkspaceCommand, WORKSPACE_COMMANDS } from './workspace-cli'
import { formatIssue, importFile, ImportError, type ImportedRecord, type ZsreTarget } from './importers'

class UsageError extends Error {}

const USAGE = `usage: elder <command> [options]
  serve [--port P] [--workspace DIR] [--host H]
  import|queue|apply|history|rollback|eval|export … [--workspace DIR] [--json]   (elder <command> --help)
  inspect logits --model DIR --ids 1,2,3
  generate --model DIR --prompt TEXT [--max-new-tokens N]
  eval --model DIR --suite FILE [--limit N] [--json]
  bench edit --model DIR --suite FILE --edits N [--method NAME|base] [--batch-size B] [--seed S]
             [--retention FILE] [--zsre-target alt|answers] [--curve-every M] [--json]
             [--protocol default|paper] [--preset elder|elder-paper] [--config JSON] [--discriminator code|code+query|key] [--eps E]
             [--query-radius R] [--module mlp.down_proj|mlp.up_proj|mlp.gate_proj]
  bench compare --model DIR --suite FILE --edits N [--methods a,b,…] [--batch-size B] [--seed S] [--retention FILE]
                [--protocol default|paper] [--json]`

const OPTIONS = {
  model: { type: 'string' },
  ids: { type: 'string' },
  prompt: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  suite: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  edits: { type: 'string' },
  method: { type: 'string' },
  methods: { type: 'string' },
  'batch-size': { type: 'string' },
  seed: { type: 'string' },
  retention: { type: 'string' },
  'zsre-target': { type: 'string' },
  'curve-every': { type: 'string' },
  preset: { type: 'string' },
  protocol: { type: 'string' },
  config: { type: 'string' },
  discriminator: { type: 'string' },
  eps: { type: 'string' },
  'query-radius': { type: 'string' },
  module: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

type Opts = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']

function need(o: Opts, name: keyof Opts): string {
  const v = o[name]
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`)
  return v
}

function int(o: Opts, name: keyof Opts, fallback: number, min = 0): number {
  const v = o[name]
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${String(v)}"`)
  return n
}

const out = (line: string): void => void process.stdout.write(`${line}\n`)
const err = (line: string): void => void process.stderr.write(`${line}\n`)

async function inspectLogits(o: Opts): Promise<void> {
  const ids = need(o, 'ids')
    .split(',')
    .map((s) => Number(s.trim()))
  if (ids.some((n) => !Number.isInteger(n) || n < 0)) throw new UsageError('--ids must be comma-separated token ids')
  const { model, config } = loadBareModel(need(o, 'model'), { training: false })
  const bad = ids.find((id) => id >= config.vocabSize)
  if (bad !== undefined) throw new UsageError(`token id ${bad} is outside the vocabulary (${config.vocabSize})`)
  const logits = model.logits(padBatch([ids], 0), Int32Array.from(ids, (_, t) => t))
  const rows = logits.arraySync() as number[][]
  logits.dispose()
  model.dispose()
  out(JSON.stringify({ backend: describeBackend(), logits: rows }))
}

async function generate(o: Opts): Promise<void> {
  const base = await loadModel(need(o, 'model'))
  const [p] = predict(base, null, [need(o, 'prompt')], int(o, 'max-new-tokens', 16, 1))
  out(p.answer)
}

function defaultRetention(modelDir: string): string | undefined {
  const f = join(modelDir, 'retention.jsonl')
  return existsSync(f) ? f : undefined
}

interface Suite {
  format: string
  targetField: string
  records: Array<ImportedRecord & { form?: string }>
}

/** Reads an edit suite in any importable format; bad records are reported on stderr and left out. */
async function readSuite(file: string, zsre: string | undefined): Promise<Suite> {
  if (zsre !== undefined && zsre !== 'alt' && zsre !== 'answers') {
    throw new UsageError(`--zsre-target must be alt or answers, got "${zsre}"`)
  }
  const r = await importFile(file, { zsreTarget: zsre as ZsreTarget | undefined })
  for (const e of r.errors.slice(0, 5)) err(`${file}: ${formatIssue(e)}`)
  if (r.errors.length > 0) err(`${file}: ${r.errors.length + r.omittedErrors} bad records left out`)
  if (r.records.length === 0) throw new UsageError(`${file}: no usable records`)
  // Retention sets (the project's JSONL) carry a statement/question form per record: keep it for the breakdown.
  let forms: string[] = []
  if (r.format === 'elder') forms = readFileSync(file, 'utf8').split('\n').map((l) => /"form":"(\w+)"/.exec(l)?.[1] ?? '')
  return {
    format: r.format,
    targetField: r.zsreTarget ?? 'target',
    records: r.records.map((rec) => ({ ...rec, form: forms[rec.sourceLine - 1] || undefined }))
  }
}

async function evalCommand(o: Opts): Promise<void> {
  const base = await loadModel(need(o, 'model'))
  const suite = await readSuite(need(o, 'suite'), o['zsre-target'])
  const limit = int(o, 'limit', suite.records.length, 1)
  const records = suite.records.slice(0, limit)
  const result: Record<string, unknown> = {
    backend: describeBackend(),
    suite: need(o, 'suite'),
    format: suite.format,
    n: records.length,
    prompt: baseScore(base, records),
    rephrase: baseScore(
      base,
      records.flatMap((r) => r.rephrases.map((p) => ({ prompt: p, target: r.target })))
    ),
    locality: baseScore(
      base,
      records.flatMap((r) => r.locality.map((l) => ({ prompt: l.prompt, target: l.answer })))
    )
  }
  const forms = [...new Set(records.map((r) => r.form).filter((f): f is string => typeof f === 'string'))]
  if (forms.length > 0) {
    result.by_form = Object.fromEntries(
      forms.map((f) => [f, baseScore(base, records.filter((r) => r.form === f))])
    )
  }
  if (o.json) out(JSON.stringify(result))
  else out(JSON.stringify(result, null, 2))
}

/** ELDER settings given on the command line (validated by the editor's config schema). */
function editorConfig(o: Opts): Record<string, unknown> {
  const c: Record<string, unknown> = {}
  if (o.config !== undefined) {
    try {
      Object.assign(c, JSON.parse(o.config))
    } catch {
      throw new UsageError(`--config must be a JSON object of editor settings, got "${o.config}"`)
    }
  }
  if (o.preset !== undefined) c.preset = o.preset
  if (o.discriminator !== undefined) c.discriminator = o.discriminator
  for (const [flag, key] of [['eps', 'eps'], ['query-radius', 'queryRadius']] as const) {
    const v = o[flag]
    if (v === undefined) continue
    const n = Number(v)
    if (!Number.isFinite(n)) throw new UsageError(`--${flag} must be a number, got "${v}"`)
    c[key] = n
  }
  return c
}

async function benchEdit(o: Opts): Promise<void> {
  const method = o.method ?? 'elder'
  const known = [...methodNames(), 'base']
  if (!known.includes(method)) throw new UsageError(`--method must be one of ${known.join(', ')}, got "${method}"`)
  const { modelDir, base, suite, options } = await benchInputs(o)
  const result = await runEditBench({ ...base, dir: modelDir }, suite.records, {
    method,
    ...options,
    curveEvery: int(o, 'curve-every', 0),
    config: editorConfig(o),
    cacheDir: defaultCacheDir(),
    onProgress: (p) =>
      err(`edits ${p.done}/${p.total}  ${p.sPerEdit.toFixed(2)} s/edit  ETA ${(p.etaS / 60).toFixed(1)} min`)
  })
  const row = { ...result, suite: need(o, 'suite'), suite_format: suite.format, target_field: suite.targetField }
  if (o.json) out(JSON.stringify(row))
  else {
    const { metrics, ...flat } = row
    out(JSON.stringify(flat, null, 2))
    err(`distances: ${JSON.stringify(metrics.distances)}`)
  }
}

async function benchCompare(o: Opts): Promise<void> {
  const names = o.methods ? o.methods.split(',').map((m) => m.trim()) : DEFAULT_COMPARE
  const unknown = names.filter((n) => !DEFAULT_COMPARE.includes(n))
  if (unknown.length) throw new UsageError(`--methods: unknown ${unknown.join(', ')} (known: ${DEFAULT_COMPARE.join(', ')})`)
  const { modelDir, base, suite, options } = await benchInputs(o)
  const result = await runCompare({ ...base, dir: modelDir }, suite.records, names, {
    ...options,
    cacheDir: defaultCacheDir(),
    onProgress: (p) => err(`  edits ${p.done}/${p.total}  ${p.sPerEdit.toFixed(2)} s/edit  ETA ${(p.etaS / 60).toFixed(1)} min`)
  }, (name) => err(`${name}:`))
  out(o.json ? JSON.stringify(result) : compareMarkdown(result))
}

/** What `bench edit` and `bench compare` share: the model, the suite, retention and the protocol's settings. */
async function benchInputs(o: Opts) {
  const modelDir = need(o, 'model')
  // --module, else the module a --config names: the model is placed where the editor's config says it edits.
  const target = o.module ?? moduleOf(editorConfig(o)) ?? undefined
  const base = await loadModel(modelDir, target === undefined ? {} : { target })
  const suite = await readSuite(need(o, 'suite'), o['zsre-target'])
  const retentionFile = o.retention ?? defaultRetention(modelDir)
  const retention = retentionFile ? (await readSuite(retentionFile, undefined)).records : undefined
  const protocol = o.protocol ?? 'default'
  if (protocol !== 'default' && protocol !== 'paper') throw new UsageError(`--protocol must be default or paper, got "${protocol}"`)
  const options = {
    edits: int(o, 'edits', Math.min(100, suite.records.length), 1),
    // The paper's protocol: batches of 4 edits, half of each fact's rephrases trained (its appendix).
    batchSize: int(o, 'batch-size', protocol === 'paper' ? 4 : 1, 1),
    trainHalfRephrases: protocol === 'paper',
    seed: int(o, 'seed', 0),
    retention
  }
  return { modelDir, base, suite, options }
}

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv
  if (first === 'serve') return runServe(rest)
  // Workspace commands run the engine in its own process; `eval --model … --suite …` is the engine's model eval.
  const engineEval = first === 'eval' && rest.some((a) => /^--(model|suite)(=|$)/.test(a))
  if ((WORKSPACE_COMMANDS as readonly string[]).includes(first) && !engineEval) {
    process.exitCode = await runWorkspaceCommand(first, rest) // not exit(): see below
    return
  }
  const { values: o, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  if (o.help || positionals.length === 0) {
    out(USAGE)
    return
  }
  const cmd = positionals.join(' ')
  const run: Record<string, (o: Opts) => Promise<void>> = {
    'inspect logits': inspectLogits,
    generate,
    eval: evalCommand,
    'bench edit': benchEdit,
    'bench compare': benchCompare
  }
  const fn = run[cmd]
  if (!fn) throw new UsageError(`unknown command "${cmd}"\n${USAGE}`)
  const info = await initBackend()
  err(describeBackend(info))
  await fn(o)
}

// Errors a user can fix (arguments, files, models) exit 2; anything else exits 1. Both print one line; set
// ELDER_DEBUG=1 for the stack.
const USER_ERRORS = [
  UsageError,
  BackendError,
  ModelLoadError,
  ModelConfigError,
  SafetensorsError,
  TokenizerError,
  MethodConfigError,
  MethodUnsupportedError,
  RowError,
  ImportError,
  ServeUsageError,
  PortInUseError
]
// No process.exit(): stdout into a pipe is written asynchronously once the pipe's buffer is full, and exit() drops
// what is still queued (a piped `inspect logits` arrived cut off at 80 KB). With exitCode set, Node ends the process
// once the writes are done; nothing else keeps it alive (the wasm and cpu backends hold no handles, and workspace
// commands and serve close their engine process before they return).
main(process.argv.slice(2)).catch((e: unknown) => {
  const user = USER_ERRORS.some((C) => e instanceof C) || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  err(`elder: ${e instanceof Error ? e.message : String(e)}`)
  if (process.env.ELDER_DEBUG) err(String((e as Error).stack))
  process.exitCode = user ? 2 : 1
})
