// A fake of the slice of Electron's main-process API that src-main/index.ts uses. It records what the bootstrap
// configures; once the window loads its page, it exercises the recorded handlers the way Electron would, writes
// a JSON report to $FAKE_ELECTRON_REPORT and exits.
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = process.env.FAKE_ELECTRON_ROOT ?? tmpdir()
const report = { sandbox: false, singleInstance: false, windows: [], handlers: [], permission: null, permissionCheck: null,
  csp: null, webContentsCreated: false, windowOpen: null, navigationPrevented: {}, utilityForks: 0, calls: {}, loaded: null }
const handlers = new Map()
const listeners = new Map()
const on = (target, event, fn) => {
  const key = `${target}:${event}`
  if (!listeners.has(key)) listeners.set(key, [])
  listeners.get(key).push(fn)
}
const fire = (target, event, ...args) => (listeners.get(`${target}:${event}`) ?? []).map((fn) => fn(...args))

let permissionRequest = null
let permissionCheck = null
let headersReceived = null

let ready = false
export const app = {
  isPackaged: false,
  enableSandbox: () => {
    // As in Electron: only before the app is ready.
    if (ready) throw new Error('app.enableSandbox() can only be called before app is ready')
    report.sandbox = true
  },
  requestSingleInstanceLock: () => (report.singleInstance = true),
  whenReady: () => {
    ready = true
    return Promise.resolve()
  },
  getPath: (name) => join(root, name),
  getAppPath: () => root,
  getVersion: () => '0.0.0-fake',
  on: (event, fn) => on('app', event, fn),
  quit: () => undefined,
  exit: (code) => process.exit(code)
}

const defaultSession = {
  setPermissionRequestHandler: (fn) => void (permissionRequest = fn),
  setPermissionCheckHandler: (fn) => void (permissionCheck = fn),
  webRequest: { onHeadersReceived: (fn) => void (headersReceived = fn) }
}
export const session = {
  // As in Electron: sessions exist only once the app is ready.
  get defaultSession() {
    if (!ready) throw new Error('Session can only be received when app is ready')
    return defaultSession
  }
}

export const ipcMain = {
  handle: (channel, fn) => {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    handlers.set(channel, fn)
  },
  removeHandler: (channel) => void handlers.delete(channel)
}

export const utilityProcess = {
  fork: () => {
    report.utilityForks++
    throw new Error('fake electron: no engine process in this test')
  }
}

function webContents() {
  const wc = { sent: [], openHandler: null, mainFrame: null }
  wc.setWindowOpenHandler = (fn) => void (wc.openHandler = fn)
  wc.on = (event, fn) => on('wc', event, fn)
  wc.send = (channel, e) => void wc.sent.push([channel, e])
  wc.isDestroyed = () => false
  return wc
}

export class BrowserWindow {
  constructor(options) {
    report.windows.push(options)
    this.webContents = webContents()
    fire('app', 'web-contents-created', {}, this.webContents)
    report.webContentsCreated = true
  }
  once() {}
  on() {}
  isMinimized() {
    return false
  }
  loadURL(url) {
    report.loaded = url
    return Promise.resolve()
  }
  loadFile(file) {
    report.loaded = pathToFileURL(file).href
    setTimeout(() => void exercise(this).catch((e) => finish({ error: String(e?.stack ?? e) })), 0)
    return Promise.resolve()
  }
}

function finish(extra = {}) {
  writeFileSync(process.env.FAKE_ELECTRON_REPORT, JSON.stringify({ ...report, ...extra }))
  process.exit(0)
}

async function exercise(win) {
  report.handlers = [...handlers.keys()]
  const page = report.loaded
  const frame = (url, parent = null) => ({ url, parent })
  const invoke = (channel, event, ...args) => handlers.get(channel)(event, ...args)
  const own = { sender: win.webContents, senderFrame: frame(page) }
  report.calls.statusTrusted = await invoke('elder:app.status', own, {})
  report.calls.invalidRequest = await invoke('elder:edits.add', own, { experimentId: 0, edits: [] })
  report.calls.otherOrigin = await invoke('elder:app.status', { sender: win.webContents, senderFrame: frame('https://evil.example/') }, {})
  report.calls.subframe = await invoke('elder:app.status', { sender: win.webContents, senderFrame: frame(page, frame(page)) }, {})
  report.calls.otherContents = await invoke('elder:app.status', { sender: webContents(), senderFrame: frame(page) }, {})
  report.calls.noFrame = await invoke('elder:app.status', { sender: win.webContents, senderFrame: null }, {})
  permissionRequest(win.webContents, 'media', (granted) => void (report.permission = granted))
  report.permissionCheck = permissionCheck(win.webContents, 'clipboard-read')
  headersReceived({ responseHeaders: { 'X-Test': ['1'] } }, (r) => void (report.csp = r.responseHeaders['Content-Security-Policy']))
  report.windowOpen = win.webContents.openHandler({ url: 'https://example.com/' })
  for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
    let prevented = false
    fire('wc', event, { preventDefault: () => void (prevented = true) }, 'https://example.com/')
    report.navigationPrevented[event] = prevented
  }
  finish()
}
