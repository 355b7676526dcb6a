// The CLI as a user runs it: a real child process through tsx, checking stdout, stderr and exit codes.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { FIXTURE, tinyModelDir } from './helpers/tiny-model'

const WORLD = 'resources/models/tiny-world'
const BENCH = ['bench', 'edit', '--model', WORLD, '--suite', `${WORLD}/edits.jsonl`, '--edits', '1']

function elder(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ELDER_BACKEND: 'wasm' }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('elder CLI', () => {
  it('inspect logits prints one JSON object matching the reference logits', () => {
    const expected = JSON.parse(readFileSync(`${FIXTURE}/expected.json`, 'utf8')).cases[1]
    const r = elder('inspect', 'logits', '--model', FIXTURE, '--ids', expected.input_ids.join(','))
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout) as { backend: string; logits: number[][] }
    expect(out.backend).toMatch(/^backend wasm/)
    expect(out.logits).toHaveLength(expected.input_ids.length)
    const diff = Math.max(...out.logits.flatMap((row, t) => row.map((v, i) => Math.abs(v - expected.logits[t][i]))))
    expect(diff).toBeLessThan(1e-4)
  })

  it('generate prints a greedy continuation', () => {
    const r = elder('generate', '--model', tinyModelDir(), '--prompt', 'Hello', '--max-new-tokens', '3')
    expect(r.code).toBe(0)
    expect(r.stdout.trim().length).toBeGreaterThan(0)
  })

  it.each([
    [['inspect', 'logits', '--model', '/no/such/folder', '--ids', '1'], /model folder not found: \/no\/such\/folder/],
    [['inspect', 'logits', '--model', FIXTURE, '--ids', 'a,b'], /--ids must be comma-separated token ids/],
    [['inspect', 'logits', '--model', FIXTURE, '--ids', '9999'], /token id 9999 is outside the vocabulary \(512\)/],
    [['generate', '--model', FIXTURE, '--prompt', 'x'], /no tokenizer in/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['generate', '--bogus-flag'], /Unknown option '--bogus-flag'/],
    [[...BENCH, '--config', '{lr: 1'], /--config must be a JSON object of editor settings/],
    [[...BENCH, '--config', '{"rehearsal": -1}'], /ELDER config field "rehearsal"/],
    [[...BENCH, '--preset', 'grace'], /ELDER config field "preset"/],
    [[...BENCH, '--protocol', 'mine'], /--protocol must be default or paper, got "mine"/]
  ])('%j → exit 2 with a one-line error and no stack trace', (args, message) => {
    const r = elder(...args)
    expect(r.code).toBe(2)
    const errLine = r.stderr.split('\n').find((l) => l.startsWith('elder: '))
    expect(errLine).toMatch(message)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
