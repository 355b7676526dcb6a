// Which safetensors files hold a Hugging Face checkpoint: model.safetensors, or the shards that
// model.safetensors.index.json maps each weight to (transformers' sharded save format).
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { ModelLoadError, sha256File } from './load'
import { readSafetensorsHeader, type TensorInfo } from './safetensors'

export const INDEX_FILE = 'model.safetensors.index.json'

export interface CheckpointFiles {
  /** Absolute paths, in the index's order (or the one file). */
  files: string[]
  /** The index, when the checkpoint is sharded. */
  index: string | null
}

/** The checkpoint's files; a missing index entry's shard is refused with one line naming it. */
export function checkpointFiles(dir: string): CheckpointFiles {
  const single = join(dir, 'model.safetensors')
  if (existsSync(single)) return { files: [single], index: null }
  const index = join(dir, INDEX_FILE)
  if (!existsSync(index)) throw new ModelLoadError(`${dir}: no model.safetensors or ${INDEX_FILE}`)
  let json: unknown
  try {
    json = JSON.parse(readFileSync(index, 'utf8'))
  } catch (e) {
    throw new ModelLoadError(`${index}: not valid JSON (${(e as Error).message})`)
  }
  const map = typeof json === 'object' && json !== null ? (json as { weight_map?: unknown }).weight_map : undefined
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new ModelLoadError(`${index}: field "weight_map" must be an object of weight name → shard file`)
  }
  const names: string[] = []
  for (const [key, file] of Object.entries(map)) {
    if (typeof file !== 'string' || basename(file) !== file) {
      throw new ModelLoadError(`${index}: weight_map["${key}"] must be a file name in the folder, got ${JSON.stringify(file)}`)
    }
    if (!names.includes(file)) names.push(file)
  }
  if (names.length === 0) throw new ModelLoadError(`${index}: weight_map is empty`)
  const files = names.map((n) => join(dir, n))
  const missing = files.find((f) => !existsSync(f))
  if (missing) throw new ModelLoadError(`${dir}: missing shard ${basename(missing)} (listed in ${INDEX_FILE})`)
  return { files, index }
}

/** Every tensor of every file, by name, with the file it is in (a name in two shards is refused). */
export function checkpointTensors(files: string[]): Map<string, { file: string; info: TensorInfo }> {
  const out = new Map<string, { file: string; info: TensorInfo }>()
  for (const file of files) {
    for (const info of readSafetensorsHeader(file).tensors) {
      const prior = out.get(info.name)
      if (prior) throw new ModelLoadError(`tensor "${info.name}" is in both ${basename(prior.file)} and ${basename(file)}`)
      out.set(info.name, { file, info })
    }
  }
  return out
}

/** sha256 of the one file, or of the shards' names and hashes in order (each shard streamed). */
export function checkpointHash(c: CheckpointFiles): string {
  if (c.files.length === 1 && c.index === null) return sha256File(c.files[0])
  const h = createHash('sha256')
  for (const f of c.files) h.update(`${basename(f)} ${sha256File(f)}\n`)
  return h.digest('hex')
}
