// The workspace folder: database + checkpoints, one owner process at a time, startup recovery, model
// registration and the first-open defaults (the embedded model registered, its first edits queued).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { importFile } from '../importers'
import {
  addEdits, createExperiment, listExperiments, markInterruptedBatches, openWorkspaceDb, registerModel, type Model
} from '../store'
import { CHECKPOINT_DIR, DB_FILE, type Ctx } from './context'
import { fail } from './errors'

/**
 * The workspace's owner holds an exclusive SQLite (fcntl) lock on this file for as long as it has the workspace open.
 * The operating system releases it when the process ends however it ends, so there is no stale lock to take over,
 * and two processes opening at the same instant cannot both get it. The file is never deleted: a process waiting on
 * a deleted file's lock would win a lock nobody else checks.
 */
const OWNER_FILE = 'workspace.owner'
/** The owner's pid, written once the lock is held: only to say who has the workspace. */
const PID_FILE = 'workspace.lock'
/** Edits of the embedded model's suite queued in a new workspace, so "Apply" works at once. */
export const DEFAULT_QUEUED_EDITS = 50

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM'
  }
}

/**
 * Takes the workspace for this process. Two processes training into one workspace would each take the
 * other's running batch for a crashed one.
 */
function takeLock(dir: string): () => void {
  const owner = new Database(join(dir, OWNER_FILE), { timeout: 0 })
  try {
    owner.pragma('journal_mode = MEMORY') // holding the lock writes nothing; no journal file beside it
    owner.exec('BEGIN EXCLUSIVE')
  } catch (e) {
    owner.close()
    if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e
    const pid = ownerPid(dir)
    throw fail('busy', `workspace ${dir} is open in ${pid === null ? 'another process' : `process ${pid}`}; close it there first`)
  }
  const pidFile = join(dir, PID_FILE)
  writeFileSync(pidFile, String(process.pid))
  return () => {
    if (ownerPid(dir) === process.pid) rmSync(pidFile, { force: true })
    owner.close() // ends the transaction, and with it the lock
  }
}

/** The pid the owner wrote, if that process is still there (the file may be a dead owner's, or half written). */
function ownerPid(dir: string): number | null {
  let text: string
  try {
    text = readFileSync(join(dir, PID_FILE), 'utf8').trim()
  } catch {
    return null
  }
  const pid = Number(text)
  return text !== '' && Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null
}

/** Temp files whose writer is gone were never renamed, hence never recorded: safe to delete. */
function removeStaleTemps(dir: string): void {
  const root = join(dir, CHECKPOINT_DIR)
  if (!existsSync(root)) return
  for (const sub of readdirSync(root)) {
    const folder = join(root, sub)
    if (!statSync(folder).isDirectory()) continue
    for (const f of readdirSync(folder)) {
      const m = /\.tmp-(\d+)$/.exec(f)
      if (m && !alive(Number(m[1]))) rmSync(join(folder, f), { force: true })
    }
  }
}

export interface OpenedWorkspace {
  db: Database.Database
  /** Batches found `training` (their process died) and marked `interrupted`. */
  recovered: number
  release(): void
}

export function openWorkspaceFolder(dir: string): OpenedWorkspace {
  mkdirSync(join(dir, CHECKPOINT_DIR), { recursive: true })
  const release = takeLock(dir)
  try {
    const db = openWorkspaceDb(join(dir, DB_FILE))
    const recovered = markInterruptedBatches(db)
    removeStaleTemps(dir)
    return { db, recovered, release }
  } catch (e) {
    release()
    throw e
  }
}

/** Registers a model folder (the engine reads its config, hashes its weights and checks its tokenizer). */
export async function registerModelDir(ctx: Ctx, path: string): Promise<Model> {
  const dir = resolve(path)
  if (!existsSync(join(dir, 'config.json'))) throw fail('not_found', `no model folder at ${dir} (expected config.json, model.safetensors or its shards, tokenizer.json)`)
  const info = await ctx.host.request('inspect', { modelDir: dir })
  return registerModel(ctx.db, { path: dir, architecture: info.architecture, config: info.config, contentHash: info.contentHash })
}

/**
 * A workspace with no experiment gets the default model registered, an experiment on it with the ELDER
 * defaults, and the first DEFAULT_QUEUED_EDITS edits of the model folder's edits.jsonl queued.
 * Does nothing when the folder is missing (the embedded model may not be built yet).
 */
export async function seedDefaults(ctx: Ctx, defaultModelDir: string | undefined): Promise<void> {
  if (!defaultModelDir || listExperiments(ctx.db).length > 0) return
  if (!['model.safetensors', 'model.safetensors.index.json'].some((f) => existsSync(join(defaultModelDir, f)))) return
  const model = await registerModelDir(ctx, defaultModelDir)
  const suite = join(defaultModelDir, 'edits.jsonl')
  const records = existsSync(suite) ? (await importFile(suite)).records.slice(0, DEFAULT_QUEUED_EDITS) : []
  ctx.db.transaction(() => {
    const exp = createExperiment(ctx.db, { name: basename(model.path), modelId: model.id, method: 'elder', config: {} })
    if (records.length) addEdits(ctx.db, exp.id, records, { sourceFile: 'edits.jsonl' })
  })()
}
