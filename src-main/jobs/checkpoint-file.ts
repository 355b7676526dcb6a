// Checkpoint files (architecture.md, "Data that must survive anything"): written by the one atomic write
// (engine/atomic-write.ts), so that after a crash the path holds either nothing or the whole file, never a prefix.
// Only then is the file referenced from SQLite, with its sha256.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { writeAtomic, type AtomicFs } from '../engine/atomic-write'

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Writes `bytes` to `file` atomically and durably (engine/atomic-write.ts); returns the file's sha256. */
export function writeFileAtomic(file: string, bytes: Uint8Array, fs?: AtomicFs): string {
  writeAtomic(file, bytes, fs)
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
