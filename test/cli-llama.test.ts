// The CLI on LLaMA-family folders (test/fixtures/llama-tiny, qwen2-tiny), as a user runs it: a child process each.
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { expectedOf, LLAMA_TINY, QWEN2_TINY } from './helpers/llama-fixtures'

function elder(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ELDER_BACKEND: 'wasm', XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'elder-cache-')) }
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function copyWith(src: string, change: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'elder-llama-cli-'))
  cpSync(src, dir, { recursive: true })
  change(dir)
  return dir
}

describe('elder CLI on LLaMA-family folders', () => {
  it.each([
    ['llama-tiny', LLAMA_TINY],
    ['qwen2-tiny', QWEN2_TINY]
  ])('inspect logits on %s matches the NumPy reference', (_, dir) => {
    const c = expectedOf(dir).cases[0]
    const r = elder('inspect', 'logits', '--model', dir, '--ids', c.ids.join(','))
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { logits: number[][] }
    const diff = Math.max(...out.logits.flatMap((row, t) => row.map((v, i) => Math.abs(v - c.logits[t][i]))))
    expect(diff).toBeLessThan(1e-4)
  })

  it('generate continues a prompt on the sharded BF16 llama-tiny', () => {
    const r = elder('generate', '--model', LLAMA_TINY, '--prompt', 'The capital of Velmora is', '--max-new-tokens', '3')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.length).toBeGreaterThan(1)
  })

  it('eval scores a suite on qwen2-tiny', () => {
    const r = elder('eval', '--model', QWEN2_TINY, '--suite', `${QWEN2_TINY}/edits.jsonl`, '--json')
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { n: number; prompt: { n: number } }
    expect([out.n, out.prompt.n]).toEqual([6, 6])
  })

  it('bench edit edits llama-tiny on up_proj: every edit reliable, trainable sizes of up_proj', () => {
    const r = elder('bench', 'edit', '--model', LLAMA_TINY, '--suite', `${LLAMA_TINY}/edits.jsonl`, '--edits', '2', '--module', 'mlp.up_proj', '--json')
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { reliability_em: number; trainable_params: number; edits: number }
    expect(out.edits).toBe(2)
    expect(out.reliability_em).toBe(1)
    // 3 MoLoRA blocks × 8 experts × rank 4 × (A in 64 + B out 128); the default routes by preset, no router trains.
    expect(out.trainable_params).toBe(3 * 8 * 4 * (64 + 128))
  })

  it('bench edit takes the module from --config too, and refuses a --config module other than --module', () => {
    const args = ['bench', 'edit', '--model', LLAMA_TINY, '--suite', `${LLAMA_TINY}/edits.jsonl`, '--edits', '1', '--method', 'lora', '--json']
    const r = elder(...args, '--config', '{"module":"mlp.gate_proj","maxSteps":2}')
    expect(r.code, r.stderr).toBe(0)
    // Exit 0 shows the config's module reached the loader: on the default down_proj the editor refuses that config.
    // LoRA rank 8 on gate_proj (in 64, out 128) of the last 3 blocks.
    expect((JSON.parse(r.stdout) as { trainable_params: number }).trainable_params).toBe(3 * 8 * (64 + 128))
    const clash = elder(...args, '--module', 'mlp.up_proj', '--config', '{"module":"mlp.gate_proj"}')
    expect(clash.code).toBe(2)
    expect(clash.stderr).toContain('config field "module": "mlp.gate_proj", but the model is loaded with target module "mlp.up_proj"')
  })

  it.each([
    ['an unsupported model_type', (d: string) => {
      const c = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')) as Record<string, unknown>
      writeFileSync(join(d, 'config.json'), JSON.stringify({ ...c, model_type: 'phi3' }))
    }, /^elder: unsupported model_type "phi3" in .*config\.json; supported: gpt2, llama, mistral, qwen2$/],
    ['a missing shard', (d: string) => rmSync(join(d, 'model-00001-of-00002.safetensors')),
      /^elder: .*: missing shard model-00001-of-00002\.safetensors \(listed in model\.safetensors\.index\.json\)$/]
  ])('%s → exit 2 with one line naming the field or file', (_, change, message) => {
    const dir = copyWith(LLAMA_TINY, change)
    try {
      for (const args of [['inspect', 'logits', '--model', dir, '--ids', '1,2'], ['generate', '--model', dir, '--prompt', 'x']]) {
        const r = elder(...args)
        expect(r.code).toBe(2)
        const lines = r.stderr.split('\n').filter((l) => l.startsWith('elder: '))
        expect(lines).toHaveLength(1)
        expect(lines[0]).toMatch(message)
        expect(r.stderr).not.toMatch(/\n\s+at /)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
