/**
 * Adam on tf.Variables with its state in the open, so that checkpoints can save and restore it
 * exactly (tf.train.adam keeps its moments private).
 */
import * as tf from '@tensorflow/tfjs';

/** Hyper-parameters of {@link Adam}. */
export interface AdamOptions {
  learning_rate: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
}

/** Serialisable Adam state: the update count and both moments of every variable. */
export interface AdamState {
  step: number;
  m: number[][];
  v: number[][];
}

/**
 * Adam with bias correction: `m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g^2`,
 * `w -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)`.
 */
export class Adam {
  private readonly vars: tf.Variable[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private t = 0;

  constructor(vars: readonly tf.Variable[], options: AdamOptions) {
    this.vars = [...vars];
    this.lr = options.learning_rate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    // tidy frees the initial tensors; the variables keep their own reference to the data.
    this.m = tf.tidy(() => this.vars.map((x) => tf.variable(tf.zerosLike(x), false)));
    this.v = tf.tidy(() => this.vars.map((x) => tf.variable(tf.zerosLike(x), false)));
  }

  /** Number of updates applied so far. */
  get step(): number {
    return this.t;
  }

  /** Applies one update with `grads` (one per variable, same order); does not dispose them. */
  apply(grads: readonly tf.Tensor[]): void {
    if (grads.length !== this.vars.length) throw new Error(`Adam.apply: got ${grads.length} gradients for ${this.vars.length} variables`);
    this.t += 1;
    // Bias corrections in double precision on the JS side, folded into one step size.
    const c1 = 1 - Math.pow(this.beta1, this.t);
    const c2 = 1 - Math.pow(this.beta2, this.t);
    tf.tidy(() => {
      grads.forEach((g, i) => {
        const m = tf.add(tf.mul(this.m[i]!, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i]!, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps));
        this.vars[i]!.assign(tf.sub(this.vars[i]!, tf.mul(update, this.lr)));
      });
    });
  }

  /** The state as plain arrays (reads every moment back; for checkpoints). */
  getState(): AdamState {
    return {
      step: this.t,
      m: this.m.map((x) => Array.from(x.dataSync())),
      v: this.v.map((x) => Array.from(x.dataSync())),
    };
  }

  /** Restores {@link Adam.getState}; sizes must match the variables. */
  setState(state: AdamState): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`adam state: step must be a non-negative integer, got ${state.step}`);
    const check = (arrays: number[][], which: string) => {
      if (arrays.length !== this.vars.length) throw new Error(`adam state: ${which} has ${arrays.length} arrays, expected ${this.vars.length}`);
      arrays.forEach((a, i) => {
        if (a.length !== this.vars[i]!.size) throw new Error(`adam state: ${which}[${i}] has ${a.length} values, expected ${this.vars[i]!.size}`);
      });
    };
    check(state.m, 'm');
    check(state.v, 'v');
    tf.tidy(() => {
      this.m.forEach((x, i) => x.assign(tf.tensor(state.m[i]!, x.shape, 'float32')));
      this.v.forEach((x, i) => x.assign(tf.tensor(state.v[i]!, x.shape, 'float32')));
    });
    this.t = state.step;
  }

  /** Frees the moment variables (not the optimised variables). */
  dispose(): void {
    this.m.forEach((x) => x.dispose());
    this.v.forEach((x) => x.dispose());
  }
}
