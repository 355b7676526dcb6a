// Sandboxed preload (built as CommonJS): exposes window.elder — one function per contract method plus onEvent —
// and never ipcRenderer itself.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { buildElderApi, channelFor, EVENT_CHANNEL } from './bridge'
import type { WorkspaceEvent } from './contract'

const api = buildElderApi(
  (method, req) => ipcRenderer.invoke(channelFor(method), req),
  (listener) => {
    const handler = (_e: IpcRendererEvent, event: WorkspaceEvent): void => listener(event)
    ipcRenderer.on(EVENT_CHANNEL, handler)
    return () => void ipcRenderer.removeListener(EVENT_CHANNEL, handler)
  }
)

contextBridge.exposeInMainWorld('elder', api)
