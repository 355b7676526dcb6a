// Checkpoint files (architecture.md, "Data that must survive anything"): written to a temp file next to the
// target, fsynced, renamed over the target, and the directory fsynced, so that after a crash the path holds
// either nothing or the whole file, never a prefix. Only then is the file referenced from SQLite, with its sha256.
import { createHash } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Writes `bytes` to `file` atomically and durably; returns the file's sha256. */
export function writeFileAtomic(file: string, bytes: Uint8Array): string {
  const dir = dirname(file)
  mkdirSync(dir, { recursive: true })
  const tmp = `${file}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w')
  try {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off)
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw e
  }
  closeSync(fd)
  renameSync(tmp, file)
  // The rename lives in the directory: fsync it too, or a power cut can forget the rename.
  const dfd = openSync(dir, 'r')
  try {
    fsyncSync(dfd)
  } finally {
    closeSync(dfd)
  }
  return sha256Hex(bytes)
}

export class CheckpointFileError extends Error {
  override name = 'CheckpointFileError'
}

/**
 * Reads a checkpoint and checks it against the sha256 recorded with it. A missing file or a mismatch is a
 * CheckpointFileError that says which file and what was expected.
 */
export function readVerified(file: string, sha256: string): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = readFileSync(file)
  } catch (e) {
    const code = (e as { code?: unknown }).code
    throw new CheckpointFileError(`checkpoint ${file} cannot be read (${typeof code === 'string' ? code : (e as Error).message})`)
  }
  const got = sha256Hex(bytes)
  if (got !== sha256) {
    throw new CheckpointFileError(
      `checkpoint ${file} is corrupt: its sha256 is ${got.slice(0, 12)}…, the workspace recorded ${sha256.slice(0, 12)}… ` +
        '(the file changed after it was written; history is unchanged, revert to an earlier batch or restore the file)'
    )
  }
  return bytes
}
