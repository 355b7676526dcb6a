// Picks the TensorFlow.js backend at run time.
// Order (architecture.md): tfjs-node-gpu (CUDA) → tfjs-node (native CPU) → wasm (SIMD) → cpu (pure JS).
// The two native packages are optionalDependencies: they only install where libtensorflow can be downloaded,
// so their absence is the normal case here and is not an error.
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs'

export type BackendChoice = 'tensorflow' | 'wasm' | 'cpu'

export interface BackendInfo {
  /** tf backend name as registered: 'tensorflow' (tfjs-node / -gpu), 'wasm' or 'cpu'. */
  name: BackendChoice
  /** Which package provided it, e.g. '@tensorflow/tfjs-node-gpu'. */
  package: string
  gpu: boolean
  tfjsVersion: string
  threads: number
}

export class BackendError extends Error {
  override name = 'BackendError'
}

const require = createRequire(import.meta.url)
let current: BackendInfo | null = null

function tryRequire(pkg: string): boolean {
  try {
    require(pkg)
    return true
  } catch {
    return false
  }
}

async function activate(name: BackendChoice): Promise<boolean> {
  try {
    return await tf.setBackend(name)
  } catch {
    return false
  }
}

async function tryNative(): Promise<BackendInfo | null> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if (tryRequire(pkg) && (await activate('tensorflow'))) {
      return { name: 'tensorflow', package: pkg, gpu: pkg.endsWith('-gpu'), tfjsVersion: tf.version.tfjs, threads: 0 }
    }
  }
  return null
}

async function tryWasm(): Promise<BackendInfo | null> {
  // Importing the package registers the 'wasm' backend; in Node it finds its .wasm files next to its own module.
  await import('@tensorflow/tfjs-backend-wasm')
  if (!(await activate('wasm'))) return null
  return { name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false, tfjsVersion: tf.version.tfjs, threads: 1 }
}

async function tryCpu(): Promise<BackendInfo | null> {
  if (!(await activate('cpu'))) return null
  return { name: 'cpu', package: '@tensorflow/tfjs', gpu: false, tfjsVersion: tf.version.tfjs, threads: 1 }
}

/**
 * Initialise the backend once per process. `ELDER_BACKEND=wasm|cpu|tensorflow` (or `force`) forces one and
 * fails with a clear error when it is not available; otherwise the first that loads wins.
 */
export async function initBackend(force: string | undefined = process.env.ELDER_BACKEND): Promise<BackendInfo> {
  const wanted = force === undefined || force === '' ? undefined : force
  if (current && (wanted === undefined || wanted === current.name)) return current
  const attempts: Record<BackendChoice, () => Promise<BackendInfo | null>> = {
    tensorflow: tryNative,
    wasm: tryWasm,
    cpu: tryCpu
  }
  if (wanted !== undefined) {
    if (!(wanted in attempts)) {
      throw new BackendError(`ELDER_BACKEND="${wanted}" is not a backend; use one of: tensorflow, wasm, cpu`)
    }
    const info = await attempts[wanted as BackendChoice]()
    if (!info) {
      const hint =
        wanted === 'tensorflow' ? ' (install @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu; it needs libtensorflow)' : ''
      throw new BackendError(`backend "${wanted}" is not available on this machine${hint}`)
    }
    current = info
  } else {
    current = (await tryNative()) ?? (await tryWasm()) ?? (await tryCpu())
    if (!current) throw new BackendError('no TensorFlow.js backend could be initialised (tried tensorflow, wasm, cpu)')
  }
  await tf.ready()
  // PROD silences tfjs' console advice ("install the node backend…"); our own report names the backend instead.
  tf.env().set('PROD', true)
  return current
}

export function backendInfo(): BackendInfo {
  if (!current) throw new BackendError('backend not initialised: call initBackend() first')
  return current
}

/** One line for CLI and benchmark output, e.g. `backend wasm (@tensorflow/tfjs-backend-wasm, tfjs 4.22.0, 1 thread)`. */
export function describeBackend(info: BackendInfo = backendInfo()): string {
  const threads = info.name === 'tensorflow' ? (info.gpu ? 'CUDA' : 'native') : `${info.threads} thread`
  return `backend ${info.name} (${info.package}, tfjs ${info.tfjsVersion}, ${threads})`
}
