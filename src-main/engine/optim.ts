// Adam (Kingma & Ba 2015) over a fixed list of variables, with the learning rate passed per step so that
// schedules (warm-up + cosine for pretraining, step decay for editing) stay outside the optimizer.
// tf.train.adam keeps its rate private; ours owns its moment tensors and frees them in dispose().
import * as tf from '@tensorflow/tfjs'

export interface AdamOptions {
  beta1?: number
  beta2?: number
  epsilon?: number
}

export class Adam {
  private readonly m: tf.Variable[]
  private readonly v: tf.Variable[]
  private t = 0
  private readonly b1: number
  private readonly b2: number
  private readonly eps: number

  constructor(
    readonly vars: tf.Variable[],
    opts: AdamOptions = {}
  ) {
    this.b1 = opts.beta1 ?? 0.9
    this.b2 = opts.beta2 ?? 0.999
    this.eps = opts.epsilon ?? 1e-8
    this.m = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)))
    this.v = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)))
  }

  /** Applies one update; `grads[i]` belongs to `vars[i]`. Does not dispose the gradients. */
  step(grads: tf.Tensor[], lr: number): void {
    this.t++
    const c1 = 1 - this.b1 ** this.t
    const c2 = 1 - this.b2 ** this.t
    tf.tidy(() => {
      grads.forEach((g, i) => {
        const m = this.m[i]
        const v = this.v[i]
        m.assign(tf.add(tf.mul(m, this.b1), tf.mul(g, 1 - this.b1)))
        v.assign(tf.add(tf.mul(v, this.b2), tf.mul(tf.square(g), 1 - this.b2)))
        // p ← p − lr · m̂ / (√v̂ + ε), with m̂ = m / c1 and v̂ = v / c2
        const update = tf.div(tf.mul(m, lr / c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps))
        this.vars[i].assign(tf.sub(this.vars[i], update))
      })
    })
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose()
  }
}
