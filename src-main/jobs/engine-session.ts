// The engine side of the protocol: one loaded base model and one editor of any registered method, driven by typed
// requests. A thin dispatcher (requests, replies, progress): what an editor shows or stores is the method's own.
// Runs inside the engine process (engine-worker.ts); it holds every tensor, so a crash here costs one job.
import { describeBackend, initBackend } from '../engine/backend'
import { RowError } from '../engine/elder/rows'
import { createEditor, restoreEditor } from '../engine/methods'
import { EditCancelledError, MethodConfigError, MethodUnsupportedError, type Editor, type RowScore } from '../engine/methods/editor'
import { predict, scoreRows } from '../engine/methods/infer'
import { moduleOf } from '../engine/methods/module-field'
import { StateError } from '../engine/methods/state'
import { evaluateEdits, localityReference, type Score } from '../engine/eval/metrics'
import { ModelConfigError } from '../engine/model/config'
import { checkMemory, contentHashOf, loadModel, ModelLoadError, readConfig, type LoadedModel } from '../engine/model/load'
import { SafetensorsError } from '../engine/model/safetensors'
import { resolveTarget } from '../engine/model/targets'
import { loadTokenizer, TokenizerError } from '../engine/model/tokenizer'
import { CheckpointFileError, readVerified, writeFileAtomic } from './checkpoint-file'
import {
  parseHostMessage, type EngineErrorData, type EngineMessage, type EngineRequest, type EditedPredictionRow,
  type Replies, type RequestKind, type RequestOf, type ScoreMsg
} from './protocol'

/** A failure with its protocol code. */
export class EngineFault extends Error {
  constructor(readonly code: EngineErrorData['code'], message: string) {
    super(message)
  }
}

interface Ctx {
  signal: AbortSignal
  progress(step: number, maxSteps: number, loss: number | null): void
}

type Handlers = { [K in RequestKind]: (req: RequestOf<K>, ctx: Ctx) => Promise<Replies[K]> }

/** Records scored per evaluation chunk: one progress message and one cancel check per chunk. */
const EVAL_CHUNK = 50
/** Prompts per forward pass when computing scope distances or map vectors. */
const SCOPE_CHUNK = 128

export class EngineSession {
  private base: LoadedModel | null = null
  private editor: Editor | null = null
  private readonly running = new Map<number, AbortController>()
  private readonly ready: Promise<void>

  constructor(private readonly post: (m: EngineMessage) => void) {
    this.ready = initBackend().then((info) => post({ type: 'ready', backend: describeBackend(info), pid: process.pid }))
    // A backend that cannot start fails every request with the reason, instead of an unhandled rejection.
    this.ready.catch(() => undefined)
  }

  /** Entry point for every message from the host. Never throws: problems become `error` or `log` messages. */
  handle(raw: unknown): void {
    const parsed = parseHostMessage(raw)
    if (!parsed.ok) {
      this.post({ type: 'log', level: 'error', message: `engine: ignored a malformed message (${parsed.reason})` })
      return
    }
    const msg = parsed.msg
    if (msg.type === 'cancel') {
      this.running.get(msg.id)?.abort()
      return
    }
    void this.run(msg)
  }

  private async run(req: EngineRequest): Promise<void> {
    const ctl = new AbortController()
    this.running.set(req.id, ctl)
    const ctx: Ctx = {
      signal: ctl.signal,
      progress: (step, maxSteps, loss) => this.post({ type: 'progress', id: req.id, step, maxSteps, loss })
    }
    try {
      await this.ready
      const value = await this.dispatch(req, ctx)
      this.post({ type: 'result', id: req.id, kind: req.type, value } as EngineMessage)
    } catch (e) {
      this.post({ type: 'error', id: req.id, error: toErrorData(e) })
    } finally {
      this.running.delete(req.id)
    }
  }

  private dispatch<K extends RequestKind>(req: RequestOf<K>, ctx: Ctx): Promise<Replies[K]> {
    const handler = this.handlers[req.type] as (r: RequestOf<K>, c: Ctx) => Promise<Replies[K]>
    return handler(req, ctx)
  }

  private readonly handlers: Handlers = {
    inspect: async ({ modelDir }) => {
      const config = readConfig(modelDir)
      // Loads and checks the tokenizer too: a folder that cannot be used should fail at registration.
      loadTokenizer(modelDir, { eosId: config.eosTokenId })
      // A model this backend cannot hold is refused at registration, before its weights are hashed.
      checkMemory(modelDir, config, true)
      return {
        dir: modelDir, contentHash: contentHashOf(modelDir), architecture: config.modelType, nLayer: config.nLayer,
        nEmbd: config.nEmbd, nHead: config.nHead, nPositions: config.nPositions, vocabSize: config.vocabSize,
        config: { ...config }
      }
    },

    load: async ({ modelDir, config, state, disabled, renumber }) => {
      this.editor?.dispose()
      this.editor = null
      // The experiment's module decides where the model's hooks sit: a different one needs the model loaded again.
      const module = moduleOf(config)
      const placed = this.base?.dir === modelDir ? resolveTarget(this.base.config.modelType, module) : null
      if (placed && !placed.ok) throw new ModelLoadError(placed.message)
      if (!placed || placed.name !== this.base?.model.target.name) {
        this.base?.model.dispose()
        this.base = null
        this.base = await loadModel(modelDir, { target: module ?? undefined })
      }
      const editor = state ? restoreEditor(this.base, readVerified(state.file, state.sha256)) : createEditor(this.base, config)
      if (renumber.length > 0) editor.renumber(new Map(renumber))
      this.editor = editor
      syncDisabled(editor, disabled)
      return { owners: editor.owners(), rows: editor.rowCount }
    },

    apply: async ({ batchId, edits, checkpointFile }, ctx) => {
      const editor = this.mustEditor()
      let last: number | null = null
      const r = await editor.applyBatch(edits, {
        batchId,
        signal: ctx.signal,
        onProgress: (p) => {
          last = p.loss
          ctx.progress(p.step, p.maxSteps, p.loss)
        }
      })
      const bytes = editor.exportState()
      let sha256: string
      try {
        sha256 = writeFileAtomic(checkpointFile, bytes)
      } catch (e) {
        // The editor holds the batch but no file does: drop the editor so nothing builds on an unrecorded state.
        editor.dispose()
        this.editor = null
        throw new EngineFault('io', `cannot write checkpoint ${checkpointFile}: ${(e as Error).message}`)
      }
      return {
        batchId, steps: r.steps, earlyStopped: r.earlyStopped, wallMs: Math.round(r.wallMs), finalLoss: last,
        codes: r.codes.map((c) => Array.from(c)), presets: r.presets.map((c) => Array.from(c)),
        checkpoint: { file: checkpointFile, sha256, bytes: bytes.length }
      }
    },

    setDisabled: async ({ disabled }) => {
      syncDisabled(this.mustEditor(), disabled)
      return { disabled }
    },

    predict: async ({ prompts, maxNewTokens }) => {
      const editor = this.mustEditor()
      const base = this.mustBase()
      const plain = predict(base, null, prompts, maxNewTokens)
      const edited = predict(base, editor, prompts, maxNewTokens)
      const scope = editor.explain(prompts)
      const row = (p: { answer: string; top5: Array<{ token: string; prob: number }> }) =>
        ({ answer: p.answer, top5: p.top5.map((t) => ({ token: t.token, prob: t.prob })) })
      return {
        base: plain.map(row),
        edited: edited.map((p, i): EditedPredictionRow => ({ ...row(p), ...editor.details(p), deferred: p.deferred, scope: scope[i] }))
      }
    },

    evaluate: async ({ records, retention, health }, ctx) => {
      const editor = this.mustEditor()
      const base = this.mustBase()
      const chunks = Math.ceil(records.length / EVAL_CHUNK) + Math.ceil(retention.length / EVAL_CHUNK) + Math.ceil(health.length / EVAL_CHUNK)
      let done = 0
      const step = async (): Promise<void> => {
        ctx.progress(++done, chunks, null)
        await new Promise((r) => setImmediate(r)) // let a cancel through
        if (ctx.signal.aborted) throw new EditCancelledError('evaluation cancelled')
      }
      const rel = new Agg(false)
      const gen = new Agg(false)
      const loc = new Agg(false)
      for (let i = 0; i < records.length; i += EVAL_CHUNK) {
        const chunk = records.slice(i, i + EVAL_CHUNK)
        const m = evaluateEdits(base, editor, chunk, { localityRef: localityReference(base, chunk) })
        rel.addScore(m.reliability)
        gen.addScore(m.generalization)
        loc.addScore(m.locality)
        await step()
      }
      let ret: Replies['evaluate']['retention'] = null
      if (retention.length > 0) {
        const edited = new Agg(false)
        const plain = new Agg(true)
        for (let i = 0; i < retention.length; i += EVAL_CHUNK) {
          const chunk = retention.slice(i, i + EVAL_CHUNK)
          edited.addRows(scoreRows(base, editor, chunk))
          plain.addRows(scoreRows(base, null, chunk))
          await step()
        }
        ret = { edited: edited.result(), base: plain.result() }
      }
      const holds: boolean[] = []
      for (let i = 0; i < health.length; i += EVAL_CHUNK) {
        for (const r of scoreRows(base, editor, health.slice(i, i + EVAL_CHUNK))) holds.push(r.exact)
        await step()
      }
      return { reliability: rel.result(), generalization: gen.result(), locality: loc.result(), retention: ret, health: holds }
    },

    saveState: async ({ file }) => {
      const bytes = this.mustEditor().exportState()
      return { file, sha256: writeFileAtomic(file, bytes), bytes: bytes.length }
    },

    tuneScope: async ({ config }) => {
      const editor = this.mustEditor()
      const { field } = editor.scopeThreshold()
      const value = field === null ? undefined : config[field]
      if (typeof value === 'number') editor.setScopeThreshold(value)
      return editor.scopeThreshold()
    },

    scopeSet: async ({ prompts, threshold }, ctx) => {
      const editor = this.mustEditor()
      const points: Replies['scopeSet']['points'] = []
      for (let i = 0; i < prompts.length; i += SCOPE_CHUNK) {
        const chunk = editor.explain(prompts.slice(i, i + SCOPE_CHUNK), threshold ?? undefined)
        // Scaled so that "distance < tuned threshold" is the decision for every input, whatever its scale.
        points.push(...chunk.map((e) => ({ distance: e.distance === null ? null : e.distance / (e.scale ?? 1), inScope: e.inScope })))
        ctx.progress(Math.min(i + SCOPE_CHUNK, prompts.length), prompts.length, null)
        await new Promise((r) => setImmediate(r)) // let a cancel or another message through between chunks
      }
      return { threshold: editor.scopeThreshold(), points }
    },

    scopeMap: async ({ prompts }, ctx) => {
      const editor = this.mustEditor()
      let feature: string | null = null
      const vectors: number[][] = []
      for (let i = 0; i < prompts.length; i += SCOPE_CHUNK) {
        const m = editor.mapVectors(prompts.slice(i, i + SCOPE_CHUNK))
        if (!m) break
        feature = m.feature
        vectors.push(...m.vectors.map((v) => Array.from(v)))
        ctx.progress(Math.min(i + SCOPE_CHUNK, prompts.length), prompts.length, null)
        await new Promise((r) => setImmediate(r))
      }
      return { feature, vectors, usage: editor.usage() }
    }
  }

  private mustEditor(): Editor {
    if (!this.editor) throw new EngineFault('no_editor', 'no editor is loaded in the engine (send a load request first)')
    return this.editor
  }

  private mustBase(): LoadedModel {
    if (!this.base) throw new EngineFault('no_editor', 'no model is loaded in the engine (send a load request first)')
    return this.base
  }
}

/** The database's disabled set is the truth; the state file's flags may be older. */
function syncDisabled(editor: Editor, disabled: number[]): void {
  const off = new Set(disabled)
  for (const owner of editor.owners()) {
    if (off.has(owner)) editor.disableBatch(owner)
    else editor.enableBatch(owner)
  }
}

/** Weighted means over chunks. */
class Agg {
  private n = 0
  private exact = 0
  private tok = 0
  private deferred = 0

  constructor(private readonly onBase: boolean) {}

  addScore(s: Score): void {
    this.n += s.n
    this.exact += s.exact_match * s.n
    this.tok += s.token_accuracy * s.n
    this.deferred += (s.deferred_rate ?? 0) * s.n
  }

  addRows(rows: RowScore[]): void {
    for (const r of rows) {
      this.n++
      if (r.exact) this.exact++
      this.tok += r.tokenAccuracy
      if (r.deferred) this.deferred++
    }
  }

  result(): ScoreMsg {
    const n = this.n
    return {
      n,
      exactMatch: n ? this.exact / n : 0,
      tokenAccuracy: n ? this.tok / n : 0,
      deferredRate: this.onBase ? null : n ? this.deferred / n : 0
    }
  }
}

function toErrorData(e: unknown): EngineErrorData {
  const message = e instanceof Error ? e.message : String(e)
  if (e instanceof EngineFault) return { code: e.code, message }
  if (e instanceof EditCancelledError) return { code: 'cancelled', message }
  if (e instanceof CheckpointFileError) return { code: 'checkpoint', message }
  if (e instanceof StateError) return { code: 'state', message }
  if (e instanceof MethodConfigError || e instanceof MethodUnsupportedError) return { code: 'config', message }
  if (e instanceof RowError) return { code: 'rows', message }
  if ([ModelLoadError, ModelConfigError, SafetensorsError, TokenizerError].some((C) => e instanceof C)) return { code: 'model', message }
  if (typeof (e as { code?: unknown })?.code === 'string') return { code: 'io', message }
  return { code: 'internal', message: e instanceof Error ? `${e.name}: ${message}` : message }
}
