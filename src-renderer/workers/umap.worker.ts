// The allocation map's layout off the UI thread: one request (vectors, seed) → progress messages → the 2-D points.
import { layout } from '../charts/umap-layout'

export type UmapRequest = { vectors: number[][]; seed: number }
export type UmapReply = { type: 'progress'; done: number; total: number } | { type: 'done'; points: number[][] } | { type: 'error'; message: string }

const post = (m: UmapReply): void => self.postMessage(m)

self.onmessage = (e: MessageEvent<UmapRequest>) => {
  try {
    const points = layout(e.data.vectors, e.data.seed, (done, total) => post({ type: 'progress', done, total }))
    post({ type: 'done', points })
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) })
  }
}
