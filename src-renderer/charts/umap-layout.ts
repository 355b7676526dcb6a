// The allocation map's 2-D layout: UMAP (umap-js) of the input vectors, seeded with the project's PRNG so the same
// vectors always give the same picture. Runs in a Web Worker (umap.worker.ts); kept free of worker APIs so a test
// can run it directly. Progress is reported per block of epochs.
import { UMAP } from 'umap-js'
import { Prng } from '../../src-main/engine/prng'

/** UMAP's neighbourhood: 15 is its default; a small map needs fewer than it has points. */
const NEIGHBOURS = 15
/** Epochs between progress reports. */
const REPORT_EVERY = 10

export function layout(vectors: number[][], seed: number, onProgress: (done: number, total: number) => void = () => undefined): number[][] {
  const n = vectors.length
  // UMAP needs a neighbourhood: two points or fewer go on a line.
  if (n <= 2) return vectors.map((_, i) => [i, 0])
  const rng = new Prng(seed)
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(NEIGHBOURS, n - 1), random: () => rng.next() })
  const epochs = umap.initializeFit(vectors)
  for (let e = 0; e < epochs; e++) {
    umap.step()
    if ((e + 1) % REPORT_EVERY === 0 || e + 1 === epochs) onProgress(e + 1, epochs)
  }
  return umap.getEmbedding()
}
