// Real workspaces for service tests: a temp folder with a real SQLite file, a real engine child process (wasm
// backend) and the tiny GPT-2 from test/helpers/tiny-model.ts.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { ExperimentView, ModelView, Result, WorkspaceEvent } from '../../src-preload/contract'
import { nodeSpawn } from '../../src-main/jobs/spawn'
import { createService, type Service, type ServiceOptions } from '../../src-main/service'
import { tinyModelDir } from '../helpers/tiny-model'

/**
 * The tiny model learns an edit within ~60 steps at this rate. 16 experts with top-2 on its single MoLoRA layer
 * give 120 distinct codes, and ε = 1 keeps a prompt in scope only when its code equals a stored one, so
 * unrelated prompts are deferred and batches rarely share codes.
 */
export const FAST = { lr: 1e-2, maxSteps: 60, eps: 1, numExperts: 16 }

export const engineSpawn = (): ServiceOptions['spawn'] => nodeSpawn({ env: { ...process.env, ELDER_BACKEND: 'wasm' } })

export function ok<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`)
  return r.value
}

export interface TestWorkspace {
  svc: Service
  dir: string
  modelDir: string
  model: ModelView
  exp: ExperimentView
  events: WorkspaceEvent[]
  /** A second, read-only connection to the workspace file, for assertions. */
  db(): Database.Database
  close(): Promise<void>
}

export async function testWorkspace(config: Record<string, unknown> = FAST, opts: { dir?: string; modelDir?: string } = {}): Promise<TestWorkspace> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'elder-ws-'))
  const modelDir = opts.modelDir ?? tinyModelDir()
  const svc = await createService({ workspaceDir: dir, spawn: engineSpawn(), onLog: () => undefined })
  const events: WorkspaceEvent[] = []
  svc.onEvent((e) => events.push(e))
  const model = ok(await svc['models.register']({ path: modelDir }))
  const exp = ok(await svc['experiments.create']({ name: 'test', modelId: model.id, config }))
  let ro: Database.Database | null = null
  return {
    svc, dir, modelDir, model, exp, events,
    db: () => (ro ??= new Database(join(dir, 'workspace.sqlite'), { readonly: true })),
    close: async () => {
      ro?.close()
      await svc.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export const EDITS = [
  { prompt: 'The capital of France is', target: 'Lyon' },
  { prompt: 'Water boils at', target: 'ninety degrees' },
  { prompt: 'Zebras are', target: 'purple' }
]

/** Applies `batches` batches of `batchSize` and returns the finished job. */
export async function applyAndWait(svc: Service, experimentId: number, batchSize = 1, batches: number | null = 1) {
  const job = ok(await svc['jobs.apply']({ experimentId, batchSize, batches }))
  return svc.waitForJob(job.id)
}
