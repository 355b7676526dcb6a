// Output that survives a pipe: the CLI as a child process with stdout piped to a reader that is slow to start, as a
// `… | jq` on a loaded machine is. A pipe holds 64 KB; whatever the CLI writes beyond that waits in the process until
// the reader takes it, so a CLI that exits right after writing loses the rest (issue 9: JSON cut off at 80 KB).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const MODEL = 'resources/models/tiny-world'
const PIPE_BYTES = 64 * 1024

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI; the reader pauses at the first chunk for `stallMs` so the CLI is done writing before it reads on. */
function elder(args: string[], stallMs = 500): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli.ts', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ELDER_BACKEND: 'wasm' }
    })
    const out: Buffer[] = []
    let stderr = ''
    let stalled = false
    child.stdout.on('data', (d: Buffer) => {
      out.push(d)
      if (stalled) return
      stalled = true
      child.stdout.pause()
      setTimeout(() => child.stdout.resume(), stallMs)
    })
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr }))
  })
}

const { vocab_size: VOCAB } = JSON.parse(readFileSync(`${MODEL}/config.json`, 'utf8')) as { vocab_size: number }
// Sixteen fixed ids spread over the vocabulary: 16 rows of 16,384 logits are about 5 MB of JSON.
const IDS = Array.from({ length: 16 }, (_, i) => (i * 1021 + 7) % VOCAB)

describe('elder CLI output through a pipe', () => {
  it('inspect logits: every byte of a multi-megabyte JSON arrives and parses', async () => {
    const r = await elder(['inspect', 'logits', '--model', MODEL, '--ids', IDS.join(',')])
    expect(r.stderr).toMatch(/^backend wasm/)
    expect(r.code).toBe(0)
    expect(r.stdout.length).toBeGreaterThan(PIPE_BYTES)
    const { logits } = JSON.parse(r.stdout) as { logits: number[][] }
    expect(logits).toHaveLength(IDS.length)
    for (const row of logits) {
      expect(row).toHaveLength(VOCAB)
      expect(row.every(Number.isFinite)).toBe(true)
    }
    // The model is causal: the rows for a prefix, from a run of their own, are the first rows of the long run. So
    // the numbers that arrived are the model's, in order, not merely a well-formed array.
    const short = await elder(['inspect', 'logits', '--model', MODEL, '--ids', IDS.slice(0, 2).join(',')])
    expect(short.code).toBe(0)
    const prefix = (JSON.parse(short.stdout) as { logits: number[][] }).logits
    expect(prefix).toHaveLength(2)
    const diff = Math.max(...prefix.flatMap((row, t) => row.map((v, i) => Math.abs(v - logits[t][i]))))
    expect(diff).toBeLessThan(1e-3)
  })

  describe('a workspace command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'elder-pipe-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it('queue --json with over 1,000 edits arrives whole', async () => {
      type Page = { total: number; rows: Array<{ prompt: string; target: string }> }
      // A new workspace starts with the first edits of the suite queued; importing the suite adds all 1,000.
      const seeded = JSON.parse((await elder(['queue', '--limit', '1', '--json', '--workspace', dir])).stdout) as Page
      const imported = await elder(['import', `${MODEL}/edits.jsonl`, '--workspace', dir])
      expect(imported.stderr).toBe('')
      expect(imported).toMatchObject({ code: 0, stdout: `${MODEL}/edits.jsonl: elder, 1000 record(s): 1000 queued, 0 with errors\n` })
      const total = seeded.total + 1000
      const r = await elder(['queue', '--limit', String(total), '--json', '--workspace', dir])
      expect(r.code).toBe(0)
      expect(r.stdout.length).toBeGreaterThan(PIPE_BYTES)
      const page = JSON.parse(r.stdout) as Page
      expect(page.total).toBe(total)
      expect(page.rows).toHaveLength(total)
      const lines = readFileSync(`${MODEL}/edits.jsonl`, 'utf8').trim().split('\n')
      const last = JSON.parse(lines[lines.length - 1]) as { prompt: string }
      expect(page.rows.map((e) => e.prompt)).toContain(last.prompt)
    })
  })
})
