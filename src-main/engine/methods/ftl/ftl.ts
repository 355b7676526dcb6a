// FT-L baseline: fine-tunes the target module's weight (model.ts; c_fc on GPT-2) of one block, y = (W₀ + ΔW)x + b, every batch in turn, for every input.
// ΔW starts at zero and is what trains (Adam on ΔW takes the same steps as Adam on W₀ + ΔW), so the base model's
// weights, which the base predictions share, are never written.
import * as tf from '@tensorflow/tfjs'
import { placement } from '../../elder/config'
import { matmul2 } from '../../model/ops'
import type { FcHook } from '../../model/gpt2'
import { MethodConfigError, type EditorModel } from '../editor'
import { HookEditor } from '../hook-editor'
import type { FtlConfig } from './config'

export class FtlEditor extends HookEditor<FtlConfig> {
  readonly method = 'ft-l'
  protected readonly from: number
  private readonly delta: tf.Variable<tf.Rank.R2> // [D, F]

  constructor(base: EditorModel, config: FtlConfig) {
    super(base, config)
    const m = base.model.config
    // Default: the block ELDER reads its query from, below its six MoLoRA blocks (issue 12).
    this.from = config.block ?? placement({ layers: 6, firstBlock: null }, m.nLayer).queryBlock
    if (this.from >= m.nLayer) throw new MethodConfigError(`FT-L config field "block": ${this.from} is not a block of a ${m.nLayer}-block model`)
    // In tidy: the zeros the variable copies would otherwise outlive the editor.
    this.delta = tf.tidy(() => tf.variable(tf.zeros([base.model.target.inDim, base.model.target.outDim]) as tf.Tensor2D))
    base.model.prepareBackward(this.from)
  }

  protected variables(): tf.Variable[] {
    return [this.delta]
  }

  protected tensorNames(): string[] {
    return ['ftl.c_fc.delta']
  }

  protected hook(): FcHook {
    return (layer, x) => (layer === this.from ? matmul2(x, this.delta) : null)
  }
}
