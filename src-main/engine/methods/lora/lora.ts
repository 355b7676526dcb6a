// LoRA baseline: y = W₀x + b + (alpha/r)·(x A_l) B_l on the target module (model.ts; c_fc on GPT-2) of blocks [first, first + L), one adapter per block
// shared by every edit and every input (no router, no deferral), trained batch after batch.
import * as tf from '@tensorflow/tfjs'
import { placement } from '../../elder/config'
import { matmul2 } from '../../model/ops'
import type { FcHook } from '../../model/gpt2'
import type { EditorModel } from '../editor'
import { HookEditor } from '../hook-editor'
import type { LoraConfig } from './config'

export class LoraEditor extends HookEditor<LoraConfig> {
  readonly method = 'lora'
  protected readonly from: number
  readonly L: number
  private readonly A: Array<tf.Variable<tf.Rank.R2>> // per layer [D, r]
  private readonly B: Array<tf.Variable<tf.Rank.R2>> // per layer [r, F]

  constructor(base: EditorModel, config: LoraConfig) {
    super(base, config)
    const m = base.model.config
    ;({ first: this.from, L: this.L } = placement(config, m.nLayer))
    const { rank: r, seed } = config
    // As ELDER's experts (molora.ts): A ~ U(±1/√r), B = 0, so a fresh adapter changes nothing.
    const bound = 1 / Math.sqrt(r)
    this.A = Array.from({ length: this.L }, (_, l) =>
      tf.tidy(() => tf.variable(tf.randomUniform([base.model.target.inDim, r], -bound, bound, 'float32', seed * 1000 + l)))
    )
    this.B = Array.from({ length: this.L }, () => tf.tidy(() => tf.variable(tf.zeros([r, base.model.target.outDim]) as tf.Tensor2D)))
    base.model.prepareBackward(this.from)
  }

  protected variables(): tf.Variable[] {
    return [...this.A, ...this.B]
  }

  protected tensorNames(): string[] {
    return [...this.A.map((_, l) => `lora.${l}.A`), ...this.B.map((_, l) => `lora.${l}.B`)]
  }

  protected hook(): FcHook {
    const scale = this.config.alpha / this.config.rank
    return (layer, x) => {
      const l = layer - this.from
      if (l < 0 || l >= this.L) return null
      return tf.mul(matmul2(matmul2(x, this.A[l]), this.B[l]), scale) as tf.Tensor2D
    }
  }
}
