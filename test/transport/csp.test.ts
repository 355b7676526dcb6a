// The renderer's <meta> CSP is the same policy that serve mode and Electron send as a header.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CSP, CSP_HEADER } from '../../src-main/transport/csp'

describe('CSP', () => {
  it('index.html carries the transport CSP, which allows no inline or eval script', () => {
    const html = readFileSync(resolve(import.meta.dirname, '../../src-renderer/index.html'), 'utf8')
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)
    expect(meta?.[1]).toBe(CSP)
    expect(CSP).toContain("script-src 'self';")
    expect(CSP).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval)/)
    expect(CSP).toContain("object-src 'none'")
    expect(CSP_HEADER).toBe(`${CSP}; frame-ancestors 'none'`)
  })
})
