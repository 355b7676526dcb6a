// Entry of the engine process. Under Node it is forked with an IPC channel (process.send / 'message'); under
// Electron it is a utilityProcess and talks through process.parentPort. Same protocol, same session.
import type { EngineMessage } from './protocol'
import { EngineSession } from './engine-session'

/** The slice of Electron's utility-process parentPort we use (no 'electron' import in a Node-runnable file). */
interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void
  postMessage(message: unknown): void
}

const parentPort = (process as NodeJS.Process & { parentPort?: ParentPortLike }).parentPort

function post(m: EngineMessage): void {
  if (parentPort) parentPort.postMessage(m)
  else if (process.send) process.send(m)
}

if (!parentPort && !process.send) {
  process.stderr.write('engine-worker: started without an IPC channel; it is meant to be forked by EngineHost\n')
  process.exit(2)
}

const session = new EngineSession(post)
if (parentPort) parentPort.on('message', (e) => session.handle(e.data))
else {
  process.on('message', (m: unknown) => session.handle(m))
  // The host went away (crash or kill): an orphaned engine must not keep training or hold memory.
  process.on('disconnect', () => process.exit(0))
}
