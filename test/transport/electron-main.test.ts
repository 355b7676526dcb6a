// src-main/index.ts bootstrapped under Node with a fake of Electron's API (test/transport/fake-electron): one
// sandboxed, context-isolated window; permissions, new windows and navigation denied; the CSP header; and one
// ipcMain handler per contract method that answers only the window's own top frame and validates the request
// before the real workspace service sees it.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { channelFor } from '../../src-preload/bridge'
import { METHODS } from '../../src-preload/contract'
import { CSP_HEADER } from '../../src-main/transport/csp'

const ROOT = resolve(import.meta.dirname, '../..')

interface Report {
  error?: string
  sandbox: boolean
  singleInstance: boolean
  windows: Array<{ webPreferences: Record<string, unknown> }>
  handlers: string[]
  permission: boolean | null
  permissionCheck: boolean | null
  csp: string[] | null
  windowOpen: { action: string } | null
  navigationPrevented: Record<string, boolean>
  utilityForks: number
  calls: Record<string, { ok: boolean; value?: { workspace: string; version: string }; error?: { code: string; message: string } }>
  loaded: string
}

let dir = ''
let report: Report

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elder-fake-electron-'))
  const file = join(dir, 'report.json')
  execFileSync(process.execPath, ['--import', 'tsx', '--import', './test/transport/fake-electron/register.mjs', 'src-main/index.ts'], {
    cwd: ROOT,
    env: { ...process.env, FAKE_ELECTRON_REPORT: file, FAKE_ELECTRON_ROOT: dir, ELECTRON_RENDERER_URL: '', ELDER_WORKSPACE: '', XDG_DATA_HOME: dir },
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 60_000
  })
  report = JSON.parse(readFileSync(file, 'utf8')) as Report
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('Electron main (src-main/index.ts) under a fake Electron', () => {
  it('ran to the loaded window without errors and without an engine process', () => {
    expect(report.error).toBeUndefined()
    expect(report.loaded).toMatch(/\/renderer\/index\.html$/)
    expect(report.utilityForks).toBe(0)
    expect(report.singleInstance).toBe(true)
  })

  it('opens one window: context-isolated, sandboxed, no Node integration, the CommonJS preload', () => {
    expect(report.windows).toHaveLength(1)
    expect(report.windows[0].webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false })
    expect(report.windows[0].webPreferences.preload).toMatch(/[/\\]preload[/\\]index\.cjs$/)
    expect(report.sandbox).toBe(true)
  })

  it('denies permissions, new windows, navigation and webviews, and sends the CSP header', () => {
    expect(report.permission).toBe(false)
    expect(report.permissionCheck).toBe(false)
    expect(report.windowOpen).toEqual({ action: 'deny' })
    expect(report.navigationPrevented).toEqual({ 'will-navigate': true, 'will-redirect': true, 'will-attach-webview': true })
    expect(report.csp).toEqual([CSP_HEADER])
  })

  it('registers exactly one ipcMain handler per contract method', () => {
    expect([...report.handlers].sort()).toEqual(METHODS.map(channelFor).sort())
  })

  it('answers the window’s own page through the real service, and validates requests', () => {
    expect(report.calls.statusTrusted).toMatchObject({ ok: true, value: { workspace: join(dir, 'elder-workbench'), version: '0.0.0-fake' } })
    expect(report.calls.invalidRequest).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
    expect(report.calls.invalidRequest.error?.message).toMatch(/^edits\.add: experimentId: .*; edits: /)
  })

  it.each(['otherOrigin', 'subframe', 'otherContents', 'noFrame'])('refuses an untrusted sender (%s)', (name) => {
    expect(report.calls[name]).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
  })
})
