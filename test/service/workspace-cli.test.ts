// The workspace commands of the CLI, run in-process against a real workspace with a real engine process.
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { createService } from '../../src-main/service'
import { latestActiveCheckpoint, listCheckpoints } from '../../src-main/store'
import { defaultWorkspaceDir, runWorkspaceCommand } from '../../src-main/workspace-cli'
import { tinyModelDir } from '../helpers/tiny-model'
import { engineSpawn, FAST, ok } from './helpers'

let dir: string

beforeAll(async () => {
  process.env.ELDER_BACKEND = 'wasm' // the CLI forks its engine with this environment
  dir = mkdtempSync(join(tmpdir(), 'elder-cli-'))
  const svc = await createService({ workspaceDir: dir, spawn: engineSpawn(), onLog: () => undefined })
  const model = ok(await svc['models.register']({ path: tinyModelDir() }))
  ok(await svc['experiments.create']({ name: 'cli', modelId: model.id, config: FAST }))
  await svc.close()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function elder(cmd: string, ...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  return elderIn(dir, cmd, ...args)
}

async function elderIn(workspace: string, cmd: string, ...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const code = await runWorkspaceCommand(cmd, [...args, '--workspace', workspace], { out: (l) => out.push(l), err: (l) => err.push(l) })
  return { code, out, err }
}

describe('elder workspace commands', () => {
  it('import reports the bad line and field and queues the good records', async () => {
    const file = join(dir, 'in.jsonl')
    writeFileSync(file, '{"prompt":"The capital of France is","target":"Lyon"}\n{"prompt":"x"}\n{"prompt":"Water boils at","target":"ninety"}\n')
    const r = await elder('import', file)
    expect(r).toMatchObject({ code: 0, err: [] })
    expect(r.out).toEqual([`${file}: elder, 3 record(s): 2 queued, 1 with errors`, '  line 2, field "target": expected a non-empty string, but the field is missing'])
    const q = await elder('queue', '--add', 'Zebras are', '--target', 'purple')
    expect(q.out).toEqual(['queued edit 3: "Zebras are" → "purple"'])
    const list = await elder('queue', '--json')
    expect((JSON.parse(list.out[0]) as { total: number }).total).toBe(3)
  })

  it('apply, history, rollback and undo; eval; export', async () => {
    const a = await elder('apply', '--batches', '2')
    expect(a.code).toBe(0)
    expect(a.out).toEqual(['apply done: 2 batch(es) applied, 2 edit(s)'])
    const h = await elder('history', '--json')
    expect((JSON.parse(h.out[0]) as Array<{ seq: number; state: string }>).map((b) => [b.seq, b.state])).toEqual([[1, 'applied'], [2, 'applied']])
    expect((await elder('rollback', '--to', '2')).out.map((l) => l.slice(0, 17))).toEqual(['#1    applied    ', '#2    rolled_back'])
    expect((await elder('rollback', '--undo')).out[0]).toBe('undone; history now:')
    expect((await elder('rollback', '--disable', '1')).out[0]).toMatch(/^#1 +disabled/)
    expect((await elder('rollback', '--enable', '1')).out[0]).toMatch(/^#1 +applied/)
    const only = await elder('rollback', '--only', '1')
    expect(only.code).toBe(0)
    expect(only.out).toEqual(['replay done: 1 batch(es) applied, 1 edit(s)'])
    expect((await elder('history')).out.map((l) => l.slice(0, 17))).toEqual(['#1    rolled_back', '#2    applied    '])

    const e = await elder('eval', '--json')
    expect(e.code).toBe(0)
    expect(JSON.parse(e.out[0])).toMatchObject({ kind: 'evaluate', state: 'done', message: expect.stringMatching(/^at 1 edit\(s\): reliability /) })

    const files = { edits: join(dir, 'e.jsonl'), metrics: join(dir, 'm.csv'), adapter: join(dir, 'a.elder-adapter') }
    const x = await elder('export', '--edits', files.edits, '--metrics', files.metrics, '--adapter', files.adapter)
    expect(x.out).toEqual([`wrote edits to ${files.edits}`, `wrote metrics to ${files.metrics}`, `wrote adapter to ${files.adapter}`])
    expect(readFileSync(files.edits, 'utf8').trim().split('\n')).toHaveLength(3)
    expect(readFileSync(files.metrics, 'utf8')).toMatch(/,1,reliability,/)
    expect(readFileSync(files.adapter).subarray(0, 8).toString()).toBe('ELDERADP')
    const imp = await elder('import', '--adapter', files.adapter)
    expect(imp.out).toEqual([`imported ${files.adapter} as experiment 2 "cli (imported)" (1 applied edits)`])
  })

  it.each([
    [['rollback', '--to', '9'], /^elder: experiment 2 has no batch #9/],
    [['rollback', '--to', '1', '--undo'], /^elder: rollback needs exactly one of/],
    [['apply', '--batches', 'x'], /^elder: --batches must be an integer ≥ 1, got "x"/],
    [['export'], /^elder: export needs --edits FILE/],
    [['import', '/no/such/file.jsonl'], /^elder: \/no\/such\/file\.jsonl does not exist$/],
    [['frobnicate'], /^elder: unknown workspace command "frobnicate"/],
    [['history', '--bogus'], /Unknown option '--bogus'/]
  ])('%j → one line on stderr, exit 2', async (args, message) => {
    const [cmd, ...rest] = args
    const r = await elder(cmd, ...rest)
    expect(r.code, r.err.join('\n')).toBe(2)
    expect(r.err[0]).toMatch(message)
    expect(r.out).toEqual([])
  })

  it('defaults to $XDG_DATA_HOME/elder-workbench, else ~/.local/share/elder-workbench', () => {
    expect(defaultWorkspaceDir({ XDG_DATA_HOME: '/data' })).toBe('/data/elder-workbench')
    expect(defaultWorkspaceDir({})).toBe(join(homedir(), '.local', 'share', 'elder-workbench'))
    expect(existsSync(join(dir, 'workspace.lock'))).toBe(false)
  })

  it('import gives the importer the bytes: invalid UTF-8 is reported, not stored as U+FFFD', async () => {
    // issue 11: the CLI read the file as a utf8 string, so "b\xffc" was queued as "b\ufffdc"
    const file = join(dir, 'bytes.jsonl')
    writeFileSync(file, Buffer.concat([Buffer.from('{"prompt":"Glass is made of","target":"b'), Buffer.from([0xff]), Buffer.from('c"}\n{"prompt":"Ice is","target":"warm"}\n')]))
    const r = await elder('import', file, '--json')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.out[0])).toMatchObject({ total: 2, good: 1, imported: 1, errors: [{ line: 1, field: null, message: 'invalid UTF-8 byte sequence' }] })
    const queued = JSON.parse((await elder('queue', '--json', '--limit', '100')).out[0]) as { rows: Array<{ prompt: string; target: string; sourceFile: string; sourceLine: number }> }
    expect(queued.rows.filter((e) => e.sourceFile === 'bytes.jsonl').map((e) => [e.prompt, e.target, e.sourceLine])).toEqual([['Ice is', 'warm', 2]])
    expect(queued.rows.some((e) => e.target.includes('\ufffd'))).toBe(false)
  })

  it('import checks the size limit before reading: a 1 TiB file is refused at once, exit 2', async () => {
    const file = join(dir, 'huge.jsonl')
    writeFileSync(file, '')
    truncateSync(file, 2 ** 40) // sparse: it takes no disk, and reading it would never end
    const r = await elder('import', file)
    expect(r).toEqual({ code: 2, out: [], err: [`elder: ${file} is 1048576.0 MiB; the limit is 256.0 MiB (split it into smaller files)`] })
  })

  it('a workspace open in another process, and a corrupt checkpoint, exit 2 with plain messages (issue 11)', async () => {
    const holder = await createService({ workspaceDir: dir, spawn: engineSpawn(), onLog: () => undefined })
    try {
      expect(await elder('history')).toEqual({ code: 2, out: [], err: [`elder: workspace ${dir} is open in process ${process.pid}; close it there first`] })
    } finally {
      await holder.close()
    }
    const db = new Database(join(dir, 'workspace.sqlite'), { readonly: true })
    const cp = latestActiveCheckpoint(db, 1)
    db.close()
    const file = join(dir, cp!.file)
    const good = readFileSync(file)
    writeFileSync(file, Buffer.concat([good, Buffer.from('x')]))
    try {
      const corrupt = new RegExp(`^elder: checkpoint ${file.replace(/[.]/g, '\\.')} is corrupt: its sha256 is [0-9a-f]{12}…`)
      const x = await elder('export', '--experiment', '1', '--adapter', join(dir, 'x.elder-adapter'))
      expect(x).toEqual({ code: 2, out: [], err: [expect.stringMatching(corrupt)] })
      const before = (await elder('history', '--experiment', '1')).out
      for (const cmd of ['apply', 'eval']) {
        expect(await elder(cmd, '--experiment', '1'), cmd).toEqual({ code: 2, out: [], err: [expect.stringMatching(corrupt)] })
      }
      expect((await elder('history', '--experiment', '1')).out).toEqual(before)
    } finally {
      writeFileSync(file, good)
    }
  })

  it('a replay whose starting checkpoint is corrupt fails with exit 2, as the same checkpoint does for apply (issue 11)', async () => {
    // The checkpoint is only met once the replay job runs, so the failure comes back as the job's errorCode ('io').
    const ws = mkdtempSync(join(tmpdir(), 'elder-cli-replay-'))
    try {
      const svc = await createService({ workspaceDir: ws, spawn: engineSpawn(), onLog: () => undefined })
      const model = ok(await svc['models.register']({ path: tinyModelDir() }))
      const exp = ok(await svc['experiments.create']({ name: 'replay', modelId: model.id, config: FAST }))
      ok(await svc['edits.add']({ experimentId: exp.id, edits: [
        { prompt: 'The capital of France is', target: 'Lyon' }, { prompt: 'Water boils at', target: 'ninety' }, { prompt: 'Zebras are', target: 'purple' }
      ] }))
      await svc.close()
      expect((await elderIn(ws, 'apply', '--batches', '3')).code).toBe(0)
      const batches = JSON.parse((await elderIn(ws, 'history', '--json')).out[0]) as Array<{ id: number; seq: number }>
      const db = new Database(join(ws, 'workspace.sqlite'), { readonly: true })
      const cp = listCheckpoints(db, exp.id).find((c) => c.afterBatchId === batches[0].id)
      db.close()
      const file = join(ws, cp!.file)
      writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from('x')]))
      // --only 2 replays batch 3 on the checkpoint after batch 1, the corrupt one.
      const r = await elderIn(ws, 'rollback', '--only', '2')
      const corrupt = `checkpoint ${file.replace(/[.]/g, '\\.')} is corrupt: its sha256 is [0-9a-f]{12}…`
      expect(r).toEqual({
        code: 2, out: [expect.stringMatching(new RegExp(`^replay failed: .*${corrupt}`))], err: [expect.stringMatching(new RegExp(`^elder: .*${corrupt}`))]
      })
    } finally {
      rmSync(ws, { recursive: true, force: true })
    }
  })
})
