// Builds an ElderApi from one `invoke(method, req)` and one `subscribe(listener)`: exactly one function per contract
// method plus onEvent, nothing else (no generic send/invoke/on for arbitrary channels). The preload binds it to
// ipcRenderer, the renderer's web bridge to fetch + EventSource. No Node or Electron imports: both sides use it.
import { METHODS, type ElderApi, type Method, type WorkspaceEvent } from './contract'

/** IPC channel of a method; src-main/transport/ipc.ts registers the same names. */
export const channelFor = (method: Method): string => `elder:${method}`
export const EVENT_CHANNEL = 'elder:event'

export function buildElderApi(
  invoke: (method: Method, req: unknown) => Promise<unknown>,
  subscribe: (listener: (e: WorkspaceEvent) => void) => () => void
): ElderApi {
  const api: Record<string, unknown> = { onEvent: (listener: (e: WorkspaceEvent) => void) => subscribe(listener) }
  for (const method of METHODS) api[method] = (req: unknown) => invoke(method, req ?? {})
  return api as ElderApi
}
