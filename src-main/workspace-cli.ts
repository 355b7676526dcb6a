// `npm run elder -- <command>` against a workspace, through the same service the app uses:
//   import FILE [--zsre-target alt|answers] | import --adapter FILE
//   queue [--add PROMPT --target T] [--status S] [--limit N]
//   apply [--batches N] [--batch-size B]
//   history
//   rollback --to N | --only N | --disable N | --enable N | --undo        (N = batch number, as history shows)
//   eval
//   export --edits FILE | --metrics FILE | --adapter FILE
// Common: --workspace DIR (default $XDG_DATA_HOME/elder-workbench or ~/.local/share/elder-workbench),
// --experiment ID (default: the newest), --json (one JSON document on stdout for scripts).
// Exit codes: 0 ok, 2 the user can fix it (arguments, input, state), 1 anything else; one line on stderr.
import { readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { BatchView, JobView, Result, ServiceError } from '../src-preload/contract'
import { formatIssue } from './importers'
import { openWorkspace, type Service } from './service'
import { ServiceFailure } from './service/errors'

export const WORKSPACE_COMMANDS = ['import', 'queue', 'apply', 'history', 'rollback', 'eval', 'export'] as const

export interface CliIo {
  out(line: string): void
  err(line: string): void
}

const stdio: CliIo = {
  out: (l) => void process.stdout.write(`${l}\n`),
  err: (l) => void process.stderr.write(`${l}\n`)
}

export const WORKSPACE_USAGE = `usage: elder <command> [--workspace DIR] [--experiment ID] [--json]
  import FILE [--zsre-target alt|answers]     queue edits from ZsRE, CounterFact, JSONL or CSV
  import --adapter FILE                       import an adapter exported by another workspace
  queue [--add PROMPT --target T] [--status S] [--limit N]
  apply [--batches N] [--batch-size B]        train queued edits, B per batch (default 1)
  history                                     batches and their states
  rollback --to N | --only N | --disable N | --enable N | --undo
  eval                                        reliability, generalization, locality, retention
  export --edits FILE | --metrics FILE | --adapter FILE`

const OPTIONS = {
  workspace: { type: 'string' },
  experiment: { type: 'string' },
  json: { type: 'boolean' },
  'zsre-target': { type: 'string' },
  adapter: { type: 'string' },
  add: { type: 'string' },
  target: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  batches: { type: 'string' },
  'batch-size': { type: 'string' },
  to: { type: 'string' },
  only: { type: 'string' },
  disable: { type: 'string' },
  enable: { type: 'string' },
  undo: { type: 'boolean' },
  edits: { type: 'string' },
  metrics: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

type Opts = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']

class CliError extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message)
  }
}

// 'io' is a file on this machine: a checkpoint changed or gone, a path not writable. The user restores or reverts it.
const USER_CODES: ReadonlySet<ServiceError['code']> = new Set(['invalid_request', 'not_found', 'conflict', 'busy', 'io'])

function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value
  throw new CliError(USER_CODES.has(r.error.code) ? 2 : 1, r.error.message)
}

function int(o: Opts, name: keyof Opts, min: number): number | undefined {
  const v = o[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new CliError(2, `--${name} must be an integer ≥ ${min}, got "${String(v)}"`)
  return n
}

export function defaultWorkspaceDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  return join(base, 'elder-workbench')
}

/** The embedded model a new workspace starts with. */
const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../resources/models/tiny-world', import.meta.url))

interface Run {
  svc: Service
  o: Opts
  positionals: string[]
  io: CliIo
  experimentId: () => Promise<number>
  print(human: string[], json: unknown): void
}

/** Runs one workspace command; returns the process exit code. Never throws. */
export async function runWorkspaceCommand(cmd: string, args: string[], io: CliIo = stdio): Promise<number> {
  let svc: Service | null = null
  try {
    const { values: o, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true })
    if (o.help) {
      io.out(WORKSPACE_USAGE)
      return 0
    }
    const command = COMMANDS[cmd as (typeof WORKSPACE_COMMANDS)[number]]
    if (!command) throw new CliError(2, `unknown workspace command "${cmd}"\n${WORKSPACE_USAGE}`)
    svc = await openWorkspace(o.workspace ?? defaultWorkspaceDir(), { defaultModelDir: DEFAULT_MODEL_DIR })
    const service = svc
    const run: Run = {
      svc: service, o, positionals, io,
      experimentId: async () => {
        if (o.experiment !== undefined) return int(o, 'experiment', 1) as number
        const exp = unwrap(await service['app.status']({})).experiment
        if (!exp) throw new CliError(2, `workspace ${service.dir} has no experiment yet (register a model first)`)
        return exp.id
      },
      print: (human, json) => {
        if (o.json) io.out(JSON.stringify(json))
        else for (const l of human) io.out(l)
      }
    }
    await command(run)
    return 0
  } catch (e) {
    // Bad arguments, unreadable or unwritable files (ENOENT, EACCES, …) and a workspace another process has open
    // (thrown while opening it, before there is a Result) are the user's to fix.
    const sys = (e as { code?: unknown }).code
    const user = (e instanceof ServiceFailure && USER_CODES.has(e.code)) ||
      (typeof sys === 'string' && (sys.startsWith('ERR_PARSE_ARGS') || /^E[A-Z]+$/.test(sys)))
    const code = e instanceof CliError ? e.exitCode : user ? 2 : 1
    const message = e instanceof Error ? e.message : String(e)
    io.err(`elder: ${message}`)
    return code
  } finally {
    await svc?.close()
  }
}

/** Waits for a job, printing progress on stderr; Ctrl-C cancels it (the running batch goes back to the queue). */
async function follow(r: Run, job: JobView): Promise<JobView> {
  let last = 0
  const off = r.svc.onEvent((e) => {
    if (e.type !== 'job.progress' || e.job.id !== job.id || r.o.json) return
    const now = Date.now()
    if (now - last < 1000) return
    last = now
    const j = e.job
    const eta = j.etaS === null ? '' : `  ETA ${Math.ceil(j.etaS)} s`
    const loss = j.loss === null ? '' : `  loss ${j.loss.toFixed(3)}`
    r.io.err(`${j.kind}: ${j.message ?? ''}  step ${j.step}/${j.maxSteps}${loss}  edits ${j.editsDone}/${j.editsTotal}${eta}`)
  })
  const cancel = (): void => void r.svc['jobs.cancel']({ jobId: job.id })
  process.once('SIGINT', cancel)
  try {
    return await r.svc.waitForJob(job.id)
  } finally {
    off()
    process.off('SIGINT', cancel)
  }
}

function jobResult(r: Run, job: JobView): void {
  r.print([`${job.kind} ${job.state}: ${job.message ?? ''}`], job)
  // A job fails for the same reasons a request does (a corrupt checkpoint met only once the replay starts is 'io'),
  // so its error code maps to the exit code the same way.
  if (job.state === 'failed') {
    throw new CliError(job.errorCode !== null && USER_CODES.has(job.errorCode) ? 2 : 1, job.message ?? `${job.kind} failed`)
  }
  if (job.state === 'cancelled') throw new CliError(130, job.message ?? `${job.kind} cancelled`)
}

function batchLine(b: BatchView): string {
  const loss = b.finalLoss === null ? '' : `, final loss ${b.finalLoss.toFixed(4)}`
  const timing = b.wallMs === null ? '' : `  ${(b.wallMs / 1000).toFixed(1)} s, ${b.steps ?? 0} steps${loss}`
  const first = b.edits[0] ? `  "${b.edits[0].prompt} → ${b.edits[0].target}"${b.edits.length > 1 ? ` +${b.edits.length - 1}` : ''}` : ''
  return `#${String(b.seq).padEnd(4)} ${b.state.padEnd(11)} ${String(b.edits.length).padStart(4)} edit(s)${timing}${first}${b.error ? `  (${b.error})` : ''}`
}

async function batchBySeq(r: Run, seq: number): Promise<BatchView> {
  const experimentId = await r.experimentId()
  const b = unwrap(await r.svc['batches.list']({ experimentId })).find((x) => x.seq === seq)
  if (!b) throw new CliError(2, `experiment ${experimentId} has no batch #${seq} (see "elder history")`)
  return b
}

const COMMANDS: Record<(typeof WORKSPACE_COMMANDS)[number], (r: Run) => Promise<void>> = {
  async import(r) {
    const experimentId = await r.experimentId()
    if (r.o.adapter !== undefined) {
      const base64 = readFileSync(r.o.adapter).toString('base64')
      const exp = unwrap(await r.svc['import.adapter']({ experimentId, name: basename(r.o.adapter), base64 }))
      r.print([`imported ${r.o.adapter} as experiment ${exp.id} "${exp.name}" (${exp.counts.applied} applied edits)`], exp)
      return
    }
    const file = r.positionals[0]
    if (!file) throw new CliError(2, 'import needs a FILE (or --adapter FILE)')
    const zsreTarget = r.o['zsre-target']
    if (zsreTarget !== undefined && zsreTarget !== 'alt' && zsreTarget !== 'answers') {
      throw new CliError(2, `--zsre-target must be alt or answers, got "${zsreTarget}"`)
    }
    const rep = unwrap(await r.svc.importEditsFile(experimentId, file, zsreTarget))
    r.print([
      `${file}: ${rep.format}, ${rep.total} record(s): ${rep.imported ?? 0} queued, ${rep.total - rep.good} with errors`,
      ...rep.errors.map((e) => `  ${formatIssue(e)}`),
      ...(rep.omittedErrors ? [`  … and ${rep.omittedErrors} more`] : [])
    ], rep)
  },

  async queue(r) {
    const experimentId = await r.experimentId()
    if (r.o.add !== undefined) {
      if (r.o.target === undefined) throw new CliError(2, 'queue --add PROMPT needs --target T')
      const { ids } = unwrap(await r.svc['edits.add']({ experimentId, edits: [{ prompt: r.o.add, target: r.o.target }] }))
      r.print([`queued edit ${ids[0]}: "${r.o.add}" → "${r.o.target}"`], { ids })
      return
    }
    const status = (r.o.status ?? 'queued') as 'queued'
    const page = unwrap(await r.svc['edits.list']({ experimentId, status, limit: int(r.o, 'limit', 1) ?? 50 }))
    r.print([
      `${page.total} ${status} edit(s) in experiment ${experimentId}${page.rows.length < page.total ? ` (first ${page.rows.length})` : ''}`,
      ...page.rows.map((e) => `${String(e.id).padStart(6)}  "${e.prompt}" → "${e.target}"`)
    ], page)
  },

  async apply(r) {
    const experimentId = await r.experimentId()
    const job = unwrap(await r.svc['jobs.apply']({
      experimentId, batchSize: int(r.o, 'batch-size', 1) ?? 1, batches: int(r.o, 'batches', 1) ?? null
    }))
    jobResult(r, await follow(r, job))
  },

  async history(r) {
    const experimentId = await r.experimentId()
    const batches = unwrap(await r.svc['batches.list']({ experimentId }))
    r.print(batches.length ? batches.map(batchLine) : [`experiment ${experimentId} has no batches yet`], batches)
  },

  async rollback(r) {
    const chosen = (['to', 'only', 'disable', 'enable'] as const).filter((k) => r.o[k] !== undefined)
    if (chosen.length + (r.o.undo ? 1 : 0) !== 1) throw new CliError(2, 'rollback needs exactly one of --to N, --only N, --disable N, --enable N, --undo')
    if (r.o.undo) {
      const batches = unwrap(await r.svc['rollback.undo']({ experimentId: await r.experimentId() }))
      r.print(['undone; history now:', ...batches.map(batchLine)], batches)
      return
    }
    const kind = chosen[0]
    const b = await batchBySeq(r, int(r.o, kind, 1) as number)
    if (kind === 'only') {
      jobResult(r, await follow(r, unwrap(await r.svc['rollback.revertOnly']({ batchId: b.id }))))
      return
    }
    const method = ({ to: 'rollback.revertTo', disable: 'rollback.disable', enable: 'rollback.enable' } as const)[kind]
    const batches = unwrap(await r.svc[method]({ batchId: b.id }))
    r.print(batches.map(batchLine), batches)
  },

  async eval(r) {
    const experimentId = await r.experimentId()
    jobResult(r, await follow(r, unwrap(await r.svc['jobs.evaluate']({ experimentId }))))
  },

  async export(r) {
    const experimentId = await r.experimentId()
    const targets = (['edits', 'metrics', 'adapter'] as const).filter((k) => r.o[k] !== undefined)
    if (targets.length === 0) throw new CliError(2, 'export needs --edits FILE, --metrics FILE or --adapter FILE')
    const written: Record<string, string> = {}
    for (const t of targets) {
      const file = r.o[t] as string
      if (t === 'adapter') writeFileSync(file, Buffer.from(unwrap(await r.svc['export.adapter']({ experimentId })).base64, 'base64'))
      else writeFileSync(file, unwrap(await r.svc[t === 'edits' ? 'export.edits' : 'export.metrics']({ experimentId })).content)
      written[t] = file
    }
    r.print(Object.entries(written).map(([t, f]) => `wrote ${t} to ${f}`), written)
  }
}
