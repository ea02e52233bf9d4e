/**
 * Adam on tf.Variables with its state in the open, so that checkpoints can save and restore it
 * exactly (tf.train.adam keeps its moments private).
 */
import * as tf from '@tensorflow/tfjs';
import { FieldReader, requireFloat32Numbers } from '../checkpoint/fields';
import { fusedAdamAvailable, fusedAdamUpdate } from './fusedAdam';

/** Hyper-parameters of {@link Adam}. */
export interface AdamOptions {
  learning_rate: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /**
   * Use the one-kernel update of ./fusedAdam.ts where the backend has it (cpu; default true).
   * Both give bit-identical results; false keeps the op-by-op update (for tests and comparisons).
   */
  fused?: boolean;
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
  /** Both moments of every variable, flattened and laid end to end in variable order. */
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  /** Number of values of each variable (the lengths of its slice of `m` and `v`). */
  private readonly sizes: number[];
  private readonly lr: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly fused: boolean;
  private t = 0;

  constructor(vars: readonly tf.Variable[], options: AdamOptions) {
    this.vars = [...vars];
    this.lr = options.learning_rate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.fused = options.fused ?? true;
    this.sizes = this.vars.map((x) => x.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    // One flat moment pair for all variables: an update is a dozen kernels in all instead of a
    // dozen per variable (kernel launches, not arithmetic, dominate at these sizes).
    this.m = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    this.v = tf.tidy(() => tf.variable(tf.zeros([total]), false));
  }

  /** Number of updates applied so far. */
  get step(): number {
    return this.t;
  }

  /** Applies one update with `grads` (one per variable, same order); does not dispose them. */
  apply(grads: readonly tf.Tensor[]): void {
    if (grads.length !== this.vars.length) throw new Error(`Adam.apply: got ${grads.length} gradients for ${this.vars.length} variables`);
    grads.forEach((g, i) => {
      if (g.size !== this.sizes[i]) throw new Error(`Adam.apply: gradient ${i} has ${g.size} values, its variable has ${this.sizes[i]}`);
    });
    this.t += 1;
    if (this.vars.length === 0) return;
    // Bias corrections in double precision on the JS side.
    const c1 = 1 - Math.pow(this.beta1, this.t);
    const c2 = 1 - Math.pow(this.beta2, this.t);
    if (this.fused && fusedAdamAvailable()) {
      tf.tidy(() => {
        const scalars = { beta1: this.beta1, beta2: this.beta2, eps: this.eps, learning_rate: this.lr, c1, c2 };
        const next = fusedAdamUpdate(grads, this.m as tf.Tensor1D, this.v as tf.Tensor1D, this.vars, scalars);
        this.m.assign(next.m);
        this.v.assign(next.v);
        this.vars.forEach((x, i) => x.assign(next.params[i]!));
      });
      return;
    }
    tf.tidy(() => {
      const g = grads.length === 1 ? tf.reshape(grads[0]!, [-1]) : tf.concat(grads.map((x) => tf.reshape(x, [-1])));
      // Element by element the same operations, in the same order, as a per-variable Adam.
      const m = tf.add(tf.mul(this.m, this.beta1), tf.mul(g, 1 - this.beta1));
      const v = tf.add(tf.mul(this.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
      this.m.assign(m);
      this.v.assign(v);
      const update = tf.mul(tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps)), this.lr);
      const parts = this.vars.length === 1 ? [update] : tf.split(update, this.sizes);
      this.vars.forEach((x, i) => x.assign(tf.sub(x, tf.reshape(parts[i]!, x.shape))));
    });
  }

  /** The state as plain arrays (reads every moment back; for checkpoints). */
  getState(): AdamState {
    return { step: this.t, m: this.unflatten(this.m.dataSync() as Float32Array), v: this.unflatten(this.v.dataSync() as Float32Array) };
  }

  /** Number of values of each optimised variable, in order (the lengths of the moment arrays). */
  get variableSizes(): readonly number[] {
    return this.sizes;
  }

  /**
   * Restores {@link Adam.getState}. The whole state is validated first ({@link checkAdamState}), so
   * on an error nothing has changed.
   */
  setState(state: AdamState): void {
    checkAdamState(state, this.sizes, 'adam state');
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(state.m.flat(), 'float32'));
      this.v.assign(tf.tensor1d(state.v.flat(), 'float32'));
    });
    this.t = state.step;
  }

  /** Frees the moment variables (not the optimised variables). */
  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }

  /** Splits a flat moment vector into one plain array per variable. */
  private unflatten(flat: Float32Array): number[][] {
    let offset = 0;
    return this.sizes.map((size) => {
      const part = Array.from(flat.subarray(offset, offset + size));
      offset += size;
      return part;
    });
  }
}

/**
 * Validates a saved {@link AdamState} for variables of the given sizes: `step` a non-negative
 * integer, `m` and `v` one array per variable of the right length, every moment finite (a NaN
 * saved by JSON as null included). Errors name the field, the variable (by `names` where given)
 * and the index; `path` names the state (`checkpoint.adam`).
 */
export function checkAdamState(state: unknown, sizes: readonly number[], path: string, names?: readonly string[]): AdamState {
  const r = FieldReader.of(state, path);
  r.integer('step', 0);
  for (const which of ['m', 'v'] as const) {
    const arrays = r.array(which);
    if (arrays.length !== sizes.length) throw new Error(`${r.pathOf(which)} has ${arrays.length} arrays, expected ${sizes.length} (one per variable)`);
    arrays.forEach((a, i) => {
      const where = `${r.pathOf(which)}[${i}]${names?.[i] !== undefined ? ` ('${names[i]}')` : ''}`;
      if (!Array.isArray(a)) throw new Error(`${where} must be an array of numbers`);
      if (a.length !== sizes[i]) throw new Error(`${where} has ${a.length} values, expected ${sizes[i]}`);
      requireFloat32Numbers(a, where);
    });
  }
  return state as AdamState;
}

/**
 * The Adam states of R runs of one model laid out as one {@link Adam} over their stacked variables
 * holds them (a population, e.g. src/trainer/population.ts): each variable's moments of run 0, then
 * run 1, ... The runs must be at one step; otherwise an error naming `owner` and the steps.
 */
export function stackAdamStates(states: readonly AdamState[], owner: string): AdamState {
  const steps = new Set(states.map((s) => s.step));
  if (steps.size > 1) throw new Error(`${owner}: the runs' optimisers are at different steps (${[...steps].join(', ')})`);
  return {
    step: states[0]!.step,
    m: states[0]!.m.map((_, j) => states.flatMap((s) => s.m[j]!)),
    v: states[0]!.v.map((_, j) => states.flatMap((s) => s.v[j]!)),
  };
}

/** Run r's part of a state laid out by {@link stackAdamStates}, given one run's variable sizes. */
export function runAdamState(state: AdamState, r: number, sizes: readonly number[]): AdamState {
  const part = (moments: number[][]) => moments.map((x, j) => x.slice(r * sizes[j]!, (r + 1) * sizes[j]!));
  return { step: state.step, m: part(state.m), v: part(state.v) };
}
