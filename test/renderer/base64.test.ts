// The renderer's base64 of a file's bytes, checked against atob across the chunk boundaries of its fallback
// (Node 20 has no Uint8Array.prototype.toBase64, so the tests run the fallback the app uses where it is missing).
import { describe, expect, it } from 'vitest'
import { bytesToBase64, fileForImport } from '../../src-renderer/base64'

const decode = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))

describe('bytesToBase64', () => {
  it.each([0, 1, 2, 3, 24_575, 24_576, 24_577, 3 * 24_576 + 2])('%i bytes round-trip, every byte value included', (n) => {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff)
    const b64 = bytesToBase64(bytes)
    expect(b64).toMatch(/^[A-Za-z0-9+/]*={0,2}$/)
    expect(b64.length).toBe(Math.ceil(n / 3) * 4)
    expect(decode(b64)).toEqual(bytes)
  })

  it('sends a file as its bytes: an invalid UTF-8 byte is not replaced by U+FFFD', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d, 0x0a])
    const f = await fileForImport(new File([bytes], 'bad.jsonl'))
    expect(f.name).toBe('bad.jsonl')
    expect(decode(f.bytes)).toEqual(bytes)
  })
})
