/**
 * Plain gradient descent with the same interface as the kit's {@link Adam} (apply, step,
 * getState / setState, dispose), so that trainers can offer both and checkpoint either.
 */
import * as tf from '@tensorflow/tfjs';

/** Hyper-parameters of {@link SGD}. */
export interface SGDOptions {
  learning_rate: number;
}

/** Serialisable SGD state: only the update count (plain SGD keeps no moments). */
export interface SGDState {
  step: number;
}

/**
 * `w <- w + (-lr) g` for every variable. The update is written as tf.train.sgd writes it (the
 * negated step size times the gradient, added), so results equal tf.train.sgd's bit for bit.
 */
export class SGD {
  private readonly vars: tf.Variable[];
  private readonly lr: number;
  private t = 0;

  constructor(vars: readonly tf.Variable[], options: SGDOptions) {
    if (!Number.isFinite(options.learning_rate) || options.learning_rate <= 0) {
      throw new Error(`SGD: learning_rate must be a finite number > 0, got ${options.learning_rate}`);
    }
    this.vars = [...vars];
    this.lr = options.learning_rate;
  }

  /** Number of updates applied so far. */
  get step(): number {
    return this.t;
  }

  /** Applies one update with `grads` (one per variable, same order); does not dispose them. */
  apply(grads: readonly tf.Tensor[]): void {
    if (grads.length !== this.vars.length) throw new Error(`SGD.apply: got ${grads.length} gradients for ${this.vars.length} variables`);
    grads.forEach((g, i) => {
      if (g.size !== this.vars[i]!.size) throw new Error(`SGD.apply: gradient ${i} has ${g.size} values, its variable has ${this.vars[i]!.size}`);
    });
    this.t += 1;
    tf.tidy(() => {
      this.vars.forEach((x, i) => x.assign(tf.add(tf.mul(tf.reshape(grads[i]!, x.shape), -this.lr), x)));
    });
  }

  /** The state as plain numbers (for checkpoints). */
  getState(): SGDState {
    return { step: this.t };
  }

  /** Restores {@link SGD.getState}. */
  setState(state: SGDState): void {
    if (!Number.isInteger(state?.step) || state.step < 0) throw new Error(`sgd state: step must be a non-negative integer, got ${String(state?.step)}`);
    this.t = state.step;
  }

  /** Nothing to free (no moments); present for interface parity with {@link Adam}. */
  dispose(): void {}
}
