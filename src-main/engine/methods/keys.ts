// The key GRACE and MELO look edits up by: the target module's input (c_fc's on GPT-2) of one block at each sequence's last prompt token — the
// vector ELDER routes by, so the three scope decisions are compared on one representation.
import * as tf from '@tensorflow/tfjs'
import type { TokenBatch } from '../model/gpt2'
import type { LanguageModel } from '../model/model'

/** One key per sequence, read back. */
export function lastPromptKeys(model: LanguageModel, block: number, batch: TokenBatch, lastPrompt: Int32Array): Float32Array[] {
  const D = model.target.inDim
  const data = tf.tidy(() => {
    const x = model.embed(batch)
    const r = model.runBlocks(x, 0, block + 1, batch.B, batch.T, { capture: { layer: block, rows: lastPrompt } })
    return (r.captured as tf.Tensor2D).dataSync() as Float32Array
  })
  return Array.from({ length: batch.B }, (_, b) => data.slice(b * D, (b + 1) * D))
}
