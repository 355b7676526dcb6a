// The one crash-safe file write (architecture.md, "Data that must survive anything"), for model files and adapter
// checkpoints alike: a temp file next to the target, every byte written and fsynced, renamed over the target, then
// the folder fsynced so the rename itself survives a power cut. After a crash the path holds the old file or the
// whole new one, never a prefix. Windows cannot open a folder for fsync: there that last step is skipped (the data
// is already on disk), instead of throwing after the rename has happened (issue 13: two copies had diverged).
import * as nodeFs from 'node:fs'
import { dirname } from 'node:path'

/** The file-system calls the write makes: node:fs, or a stand-in for a platform this machine is not. */
export type AtomicFs = Pick<typeof nodeFs, 'mkdirSync' | 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync'>

/** Gets the bytes out: called once with `put`, which writes its argument fully at the current end of the file. */
export type Producer = (put: (bytes: Uint8Array) => void) => void

/** Writes `content` (bytes, or a producer that streams them) to `file` atomically and durably; creates the folder. */
export function writeAtomic(file: string, content: Uint8Array | Producer, fs: AtomicFs = nodeFs): void {
  const dir = dirname(file)
  fs.mkdirSync(dir, { recursive: true })
  const tmp = `${file}.tmp-${process.pid}-${Date.now().toString(36)}`
  const fd = fs.openSync(tmp, 'w')
  try {
    const put = (bytes: Uint8Array): void => {
      for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off)
    }
    if (content instanceof Uint8Array) put(content)
    else content(put)
    fs.fsyncSync(fd)
  } catch (e) {
    fs.closeSync(fd)
    fs.rmSync(tmp, { force: true })
    throw e
  }
  fs.closeSync(fd)
  fs.renameSync(tmp, file)
  syncFolder(dir, fs)
}

/** fsyncs a folder where the platform can open one (POSIX); where it cannot (Windows: EISDIR, EPERM), skips it. */
function syncFolder(dir: string, fs: AtomicFs): void {
  let fd: number
  try {
    fd = fs.openSync(dir, 'r')
  } catch {
    return
  }
  try {
    fs.fsyncSync(fd)
  } catch {
    // EPERM/EINVAL where a folder opens but cannot be synced: the data itself is already synced.
  } finally {
    fs.closeSync(fd)
  }
}
