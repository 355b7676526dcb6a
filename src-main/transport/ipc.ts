// Electron IPC transport: one ipcMain.handle per contract method ('elder:<method>'), each checking the sender and
// validating the request before the service sees it; workspace events go to every window on 'elder:event'. Channel
// names come from the preload's bridge, so the two ends cannot drift.
// Takes ipcMain as a parameter so plain Node tests can hand it a recorder instead of Electron.
import { channelFor, EVENT_CHANNEL } from '../../src-preload/bridge'
import { METHODS, type ServiceApi, type WorkspaceEvent } from '../../src-preload/contract'
import { dispatch, fail } from './result'

/** The part of Electron's IpcMain this module uses; `E` is IpcMainInvokeEvent under Electron. */
export interface IpcMainLike<E> {
  handle(channel: string, listener: (event: E, ...args: unknown[]) => Promise<unknown>): void
  removeHandler(channel: string): void
}

/** Registers every contract method; returns a function that removes them again. */
export function registerIpc<E>(ipcMain: IpcMainLike<E>, service: ServiceApi, isTrustedSender: (event: E) => boolean): () => void {
  for (const method of METHODS) {
    ipcMain.handle(channelFor(method), async (event, ...args) => {
      if (!isTrustedSender(event)) return fail('unauthorized', `${method}: the calling frame is not the workbench`)
      if (args.length !== 1) return fail('invalid_request', `${method}: expected one request object, got ${args.length} arguments`)
      return dispatch(service, method, args[0])
    })
  }
  return () => {
    for (const method of METHODS) ipcMain.removeHandler(channelFor(method))
  }
}

/** The part of Electron's WebContents that receives events. */
export interface EventTarget {
  isDestroyed(): boolean
  send(channel: string, event: WorkspaceEvent): void
}

/** Pushes every service event to the current windows; returns the unsubscribe function. */
export function forwardEvents(service: ServiceApi, targets: () => EventTarget[]): () => void {
  return service.onEvent((e) => {
    for (const t of targets()) if (!t.isDestroyed()) t.send(EVENT_CHANNEL, e)
  })
}
