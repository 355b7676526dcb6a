// The one atomic file write (issue 13: safetensors and checkpoints had two copies, and the checkpoint one opened the
// folder unguarded, so on Windows a checkpoint write threw after its rename). Both paths: the folder fsync where a
// folder opens (POSIX, this machine), and the guarded one where it does not (Windows: EISDIR / EPERM), given by a
// stand-in for node:fs that refuses to open folders and records what was called.
import * as fs from 'node:fs'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeAtomic, type AtomicFs } from '../../src-main/engine/atomic-write'
import { loadSafetensors, writeSafetensors } from '../../src-main/engine/model/safetensors'
import { sha256Hex, writeFileAtomic } from '../../src-main/jobs/checkpoint-file'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'elder-atomic-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** node:fs, recording each call; `folders` decides what opening a folder does, as on a given platform. */
function recordingFs(folders: 'posix' | 'windows-open' | 'windows-fsync', failWrite = false) {
  const calls: string[] = []
  const folderFds = new Set<number>()
  const stand: AtomicFs = {
    mkdirSync: fs.mkdirSync,
    openSync: (p: fs.PathLike, flags?: fs.OpenMode) => {
      const isDir = fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false
      calls.push(`open ${isDir ? 'folder' : 'file'}`)
      if (isDir && folders === 'windows-open') throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${String(p)}'`), { code: 'EISDIR' })
      const fd = fs.openSync(p, flags ?? 'r')
      if (isDir) folderFds.add(fd)
      return fd
    },
    writeSync: ((fd: number, buf: Uint8Array, off?: number, len?: number) => {
      if (failWrite) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
      return fs.writeSync(fd, buf, off, len)
    }) as AtomicFs['writeSync'],
    fsyncSync: (fd: number) => {
      calls.push(`fsync ${folderFds.has(fd) ? 'folder' : 'file'}`)
      if (folderFds.has(fd) && folders === 'windows-fsync') throw Object.assign(new Error('EPERM: operation not permitted, fsync'), { code: 'EPERM' })
      fs.fsyncSync(fd)
    },
    closeSync: (fd: number) => {
      calls.push(`close ${folderFds.has(fd) ? 'folder' : 'file'}`)
      fs.closeSync(fd)
    },
    renameSync: (a: fs.PathLike, b: fs.PathLike) => {
      calls.push('rename')
      fs.renameSync(a, b)
    },
    rmSync: (p: fs.PathLike, o?: fs.RmOptions) => {
      calls.push('rm temp')
      fs.rmSync(p, o)
    }
  }
  return { stand, calls }
}

describe('writeAtomic', () => {
  it('POSIX: writes a temp file, fsyncs it, renames it over the old file, then fsyncs the folder', () => {
    const file = join(dir, 'sub', 'a.bin')
    const { stand, calls } = recordingFs('posix')
    writeAtomic(file, Uint8Array.of(1, 2, 3), stand)
    writeAtomic(file, (put) => { put(Uint8Array.of(4)); put(Uint8Array.of(5, 6)) }, stand)
    expect([...readFileSync(file)]).toEqual([4, 5, 6])
    expect(readdirSync(join(dir, 'sub'))).toEqual(['a.bin'])
    expect(calls.slice(0, 7)).toEqual(['open file', 'fsync file', 'close file', 'rename', 'open folder', 'fsync folder', 'close folder'])
  })

  it('Windows, where a folder cannot be opened: the write completes without the folder fsync, and does not throw', () => {
    const file = join(dir, 'b.bin')
    writeFileSync(file, 'old')
    const { stand, calls } = recordingFs('windows-open')
    writeAtomic(file, Uint8Array.of(7, 8), stand)
    expect([...readFileSync(file)]).toEqual([7, 8])
    expect(calls).toEqual(['open file', 'fsync file', 'close file', 'rename', 'open folder'])
    expect(readdirSync(dir)).toEqual(['b.bin'])
  })

  it('a folder that opens but cannot be fsynced: skipped, and its handle closed', () => {
    const { stand, calls } = recordingFs('windows-fsync')
    writeAtomic(join(dir, 'c.bin'), Uint8Array.of(9), stand)
    expect(calls.slice(-3)).toEqual(['open folder', 'fsync folder', 'close folder'])
  })

  it('a failed write leaves the old file and no temp file, and says why', () => {
    const file = join(dir, 'd.bin')
    writeFileSync(file, 'old')
    const { stand } = recordingFs('posix', true)
    expect(() => writeAtomic(file, Uint8Array.of(1), stand)).toThrow(/ENOSPC/)
    expect(readFileSync(file, 'utf8')).toBe('old')
    expect(readdirSync(dir)).toEqual(['d.bin'])
  })
})

describe('both callers use it', () => {
  it('a checkpoint write on Windows returns its sha256 instead of throwing after the rename', () => {
    const file = join(dir, 'checkpoints', 'e1', 'b1.elder')
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251)
    const { stand, calls } = recordingFs('windows-open')
    expect(writeFileAtomic(file, bytes, stand)).toBe(sha256Hex(bytes))
    expect(readFileSync(file)).toEqual(Buffer.from(bytes))
    expect(calls).toContain('rename')
  })

  it('writeSafetensors streams its tensors through it (no temp file left, the folder synced on this machine)', () => {
    const file = join(dir, 'model.safetensors')
    writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [2], data: Float32Array.of(1.5, -2) }])
    expect(loadSafetensors(file).tensors.get('w')?.data).toEqual(Float32Array.of(1.5, -2))
    expect(readdirSync(dir)).toEqual(['model.safetensors'])
  })
})
