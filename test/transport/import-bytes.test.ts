// A file's bytes from the renderer to the importer over serve mode's real path: the dialog's fileForImport, the web
// bridge with a real fetch, the HTTP server, the service and its workspace. A bad byte must arrive as it is and
// come back as an error on its record (issue 11), not as U+FFFD in a stored edit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ElderApi } from '../../src-preload/contract'
import { createHttpServer, type HttpServerHandle } from '../../src-main/transport/http'
import { fileForImport } from '../../src-renderer/base64'
import { createWebBridge } from '../../src-renderer/web-bridge'
import { ok, testWorkspace, type TestWorkspace } from '../service/helpers'

const TOKEN = 'import-bytes-token-0123456789'
let ws: TestWorkspace
let http: HttpServerHandle
let api: ElderApi

beforeAll(async () => {
  ws = await testWorkspace()
  http = await createHttpServer(ws.svc, { port: 0, token: TOKEN, staticDir: null })
  api = createWebBridge({ href: http.url }, {
    fetch: (...args) => fetch(...args),
    EventSource: class {} as unknown as typeof EventSource, // no events are needed here
    storage: null,
    replaceUrl: null
  })
})
afterAll(async () => {
  await http.close()
  await ws.close()
})

describe('import over HTTP from the web bridge', () => {
  it('sends the bytes: an invalid UTF-8 byte is named by line and field, the good lines are queued unaltered', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"prompt":"Glass is made of","target":"b'), Buffer.from([0xff]),
      Buffer.from('c"}\r\n{"prompt":"Ice is","target":"warm"}\r\n{"prompt":"Fire is","target":"hot","subject":"fire\u00e9"}\r\n')
    ])
    const file = await fileForImport(new File([bytes], 'bytes.jsonl'))
    expect(Buffer.from(file.bytes, 'base64').equals(bytes)).toBe(true)
    const error = { line: 1, field: null, message: 'invalid UTF-8 byte sequence' }
    expect(ok(await api['edits.importPreview']({ file }))).toMatchObject({ total: 3, good: 2, errors: [error] })
    const rep = ok(await api['edits.import']({ experimentId: ws.exp.id, file }))
    expect(rep).toMatchObject({ total: 3, good: 2, imported: 2, errors: [error] })
    const rows = ok(await api['edits.list']({ experimentId: ws.exp.id })).rows
    expect(rows.map((r) => [r.prompt, r.target, r.subject, r.sourceLine])).toEqual([['Ice is', 'warm', null, 2], ['Fire is', 'hot', 'fire\u00e9', 3]])
  })

  it('a file over 1 MiB goes as a Blob body (its base64 outside JSON.stringify) and arrives byte for byte', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => Buffer.from(`{"prompt":"Record ${i} is about","target":"T${i}"}\n`))
    lines[19_998] = Buffer.concat([Buffer.from('{"prompt":"Bad'), Buffer.from([0xc3, 0x28]), Buffer.from('","target":"x"}\n')])
    const file = await fileForImport(new File([Buffer.concat(lines)], 'many.jsonl'))
    expect(file.bytes.length).toBeGreaterThan(1 << 20)
    expect(ok(await api['edits.importPreview']({ file }))).toMatchObject({
      total: 20_000, good: 19_999, errors: [{ line: 19_999, field: null, message: 'invalid UTF-8 byte sequence' }]
    })
  })

  it('a body that is not base64 is refused by the transport\'s validation, naming the field', async () => {
    expect(await api['edits.import']({ experimentId: ws.exp.id, file: { name: 'x.jsonl', bytes: 'not base64!' } })).toEqual({
      ok: false, error: { code: 'invalid_request', message: expect.stringMatching(/^edits\.import: file\.bytes: expected the file as base64/) }
    })
  })
})
