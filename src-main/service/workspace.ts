// The workspace folder: database + checkpoints, one owner process at a time, startup recovery, model
// registration and the first-open defaults (the embedded model registered, its first edits queued).
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import type Database from 'better-sqlite3'
import { importFile } from '../importers'
import {
  addEdits, createExperiment, listExperiments, markInterruptedBatches, openWorkspaceDb, registerModel, type Model
} from '../store'
import { CHECKPOINT_DIR, DB_FILE, type Ctx } from './context'
import { fail } from './errors'

const LOCK_FILE = 'workspace.lock'
const EMPTY_LOCK_STALE_MS = 10_000
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
 * other's running batch for a crashed one; a lock left by a dead process is taken over.
 */
function takeLock(dir: string): () => void {
  const file = join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(file, { force: true })
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e
      const text = readFileSync(file, 'utf8').trim()
      const pid = Number(text)
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw fail('busy', `workspace ${dir} is open in process ${pid}; close it there first`)
      }
      // An empty lock is another process between creating and writing it, unless it has been empty for long.
      if (text === '' && Date.now() - statSync(file).mtimeMs < EMPTY_LOCK_STALE_MS) throw fail('busy', `workspace ${dir} is being opened by another process`)
      rmSync(file, { force: true })
    }
  }
  throw fail('busy', `could not lock workspace ${dir}`)
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
  if (!existsSync(join(dir, 'config.json'))) throw fail('not_found', `no model folder at ${dir} (expected config.json, model.safetensors, tokenizer.json)`)
  const info = await ctx.host.request('inspect', { modelDir: dir })
  return registerModel(ctx.db, { path: dir, architecture: 'gpt2', config: info.config, contentHash: info.contentHash })
}

/**
 * A workspace with no experiment gets the default model registered, an experiment on it with the ELDER
 * defaults, and the first DEFAULT_QUEUED_EDITS edits of the model folder's edits.jsonl queued.
 * Does nothing when the folder is missing (the embedded model may not be built yet).
 */
export async function seedDefaults(ctx: Ctx, defaultModelDir: string | undefined): Promise<void> {
  if (!defaultModelDir || listExperiments(ctx.db).length > 0) return
  if (!existsSync(join(defaultModelDir, 'model.safetensors'))) return
  const model = await registerModelDir(ctx, defaultModelDir)
  const suite = join(defaultModelDir, 'edits.jsonl')
  const records = existsSync(suite) ? (await importFile(suite)).records.slice(0, DEFAULT_QUEUED_EDITS) : []
  ctx.db.transaction(() => {
    const exp = createExperiment(ctx.db, { name: basename(model.path), modelId: model.id, method: 'elder', config: {} })
    if (records.length) addEdits(ctx.db, exp.id, records, { sourceFile: 'edits.jsonl' })
  })()
}
