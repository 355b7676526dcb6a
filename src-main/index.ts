// Electron bootstrap only: one hardened window, the CSP, and the transport wiring. The workspace service (and
// through it the engine, hosted in a utilityProcess) does the work; the renderer reaches it only through the
// preload's window.elder, whose every call lands on one ipcMain.handle below.
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, ipcMain, session, utilityProcess, type IpcMainInvokeEvent } from 'electron'
import type { ServiceApi } from '../src-preload/contract'
import { electronSpawn } from './jobs/spawn'
import { openWorkspace } from './service'
import { CSP_HEADER } from './transport/csp'
import { forwardEvents, registerIpc } from './transport/ipc'
import { defaultWorkspaceDir } from './workspace-cli'

/** Set by `electron-vite dev`; absent in a built app. */
const DEV_URL = process.env.ELECTRON_RENDERER_URL
const INDEX_HTML = join(import.meta.dirname, '../renderer/index.html')
const PRELOAD = join(import.meta.dirname, '../preload/index.cjs')
const ENGINE_WORKER = join(import.meta.dirname, 'engine-worker.js')

let win: BrowserWindow | null = null
let service: ServiceApi | null = null

/** The page the workbench loads, and nothing else: the built index.html, or the dev server's origin. */
function isAppUrl(raw: string): boolean {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return false
  }
  if (DEV_URL) return url.origin === new URL(DEV_URL).origin
  return url.protocol === 'file:' && resolve(fileURLToPath(url)) === resolve(INDEX_HTML)
}

/** IPC is answered only for the workbench window's own top frame showing the workbench page. */
function isTrustedSender(e: IpcMainInvokeEvent): boolean {
  const frame = e.senderFrame
  return win !== null && e.sender === win.webContents && frame !== null && frame.parent === null && isAppUrl(frame.url)
}

/** Before `ready`: every renderer sandboxed; no web contents may open windows, navigate or attach webviews. */
function hardenApp(): void {
  app.enableSandbox()
  app.on('web-contents-created', (_e, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
    contents.on('will-navigate', (e) => e.preventDefault())
    contents.on('will-redirect', (e) => e.preventDefault())
    contents.on('will-attach-webview', (e) => e.preventDefault())
  })
}

/** After `ready` (sessions exist only then): no permissions, and the CSP on every response. */
function hardenSession(): void {
  const s = session.defaultSession
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  s.setPermissionCheckHandler(() => false)
  s.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP_HEADER] } })
  })
}

function createWindow(): BrowserWindow {
  const w = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    title: 'ELDER Workbench',
    backgroundColor: '#f4f5f7',
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false
    }
  })
  w.once('ready-to-show', () => w.show())
  w.on('closed', () => (win = null))
  if (DEV_URL) void w.loadURL(DEV_URL)
  else void w.loadFile(INDEX_HTML)
  return w
}

async function main(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    // One process owns the workspace database.
    app.quit()
    return
  }
  hardenApp()
  await app.whenReady()
  hardenSession()
  // The same workspace as `elder serve` and the workspace CLI commands use, unless ELDER_WORKSPACE names another.
  const workspace = process.env.ELDER_WORKSPACE || defaultWorkspaceDir()
  const defaultModelDir = app.isPackaged
    ? join(process.resourcesPath, 'models', 'tiny-world')
    : join(app.getAppPath(), 'resources', 'models', 'tiny-world')
  const svc = await openWorkspace(workspace, {
    defaultModelDir,
    spawn: electronSpawn(utilityProcess, ENGINE_WORKER),
    version: app.getVersion()
  })
  service = svc
  registerIpc(ipcMain, svc, isTrustedSender)
  forwardEvents(svc, () => (win ? [win.webContents] : []))
  win = createWindow()

  app.on('second-instance', () => {
    if (win?.isMinimized()) win.restore()
    win?.focus()
  })
  app.on('window-all-closed', () => app.quit())
  let closed = false
  app.on('will-quit', (e) => {
    if (closed || !service) return
    e.preventDefault()
    void service.close().finally(() => {
      closed = true
      app.quit()
    })
  })
}

main().catch((e: unknown) => {
  console.error(`ELDER Workbench failed to start: ${e instanceof Error ? e.message : String(e)}`)
  app.exit(1)
})
