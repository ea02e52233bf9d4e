/**
 * Supervised (cross-entropy) warm start: fits a policy to (features, group, response) examples,
 * e.g. to build a majority-biased starting policy before preference optimisation.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { Adam } from '../trainer/adam';
import type { Policy, PolicyContexts } from './types';

/** One supervised example. */
export interface WarmStartExample {
  /** Prompt features (length `policy.featureDim`; omit when it is 0). */
  features?: readonly number[];
  /** Preference group of the prompt. */
  group: string;
  /** Target response: a token id (categorical policy) or a token sequence of length <= `policy.maxLength`. */
  response: number | readonly number[];
}

/**
 * How {@link supervisedWarmStart} turns gradients into updates:
 * - `adam`: one Adam optimiser (beta1 0.9, beta2 0.999, eps 1e-8) for all of the call's `steps`;
 *   its moments start at zero on every call and are discarded at the end.
 * - `normalized-gradient`: every update is a fresh Adam's first step, with no state carried from
 *   one update to the next: each parameter moves by `learning_rate * g / (|g| + 1e-8)`, i.e. by
 *   `learning_rate` against the sign of its gradient (by less only where `|g|` is near 1e-8). It is
 *   computed by a fresh Adam per update, so `steps: n` equals n calls with `steps: 1` bit for bit.
 */
export type WarmStartOptimizer = 'adam' | 'normalized-gradient';

/** The warm-start optimisers, for validation. */
export const WARM_START_OPTIMIZERS: readonly WarmStartOptimizer[] = ['adam', 'normalized-gradient'];

/** Options of {@link supervisedWarmStart}. */
export interface WarmStartOptions {
  /** Number of updates (default 100). */
  steps?: number;
  /** Examples per update, drawn without replacement per pass (default: all examples). */
  batch_size?: number;
  /** Default 1e-2. */
  learning_rate?: number;
  /** Seed of the minibatch order (default 0). */
  seed?: number;
  /** Update rule (default `adam`); see {@link WarmStartOptimizer}. */
  optimizer?: WarmStartOptimizer;
}

/**
 * Minimises the mean per-token cross-entropy of the examples' responses and returns the loss of
 * every update (the loss curve). One read-back per update.
 *
 * The optimiser lives for one call only: each call starts a fresh Adam. A caller that takes one
 * update per call (to watch a probability between updates, as the bandit studies' warm start
 * `warmStartToward` does) therefore takes normalised-gradient steps, each parameter moving by about
 * `learning_rate`, not the steps of one continuing Adam; `optimizer: 'normalized-gradient'` says so
 * explicitly and gives the same numbers bit for bit with any number of steps per call.
 */
export function supervisedWarmStart(policy: Policy, examples: readonly WarmStartExample[], options: WarmStartOptions = {}): number[] {
  const steps = options.steps ?? 100;
  const lr = options.learning_rate ?? 1e-2;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  if (!(lr > 0)) throw new Error(`learning_rate must be positive, got ${lr}`);
  if (examples.length === 0) throw new Error('examples is empty');
  const batchSize = options.batch_size ?? examples.length;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch_size must be a positive integer, got ${batchSize}`);

  const T = policy.maxLength;
  const F = policy.featureDim;
  const tokens = new Int32Array(examples.length * T);
  const mask = new Float32Array(examples.length * T);
  examples.forEach((ex, i) => {
    const seq = typeof ex.response === 'number' ? [ex.response] : ex.response;
    if (seq.length === 0 || seq.length > T) throw new Error(`examples[${i}].response has ${seq.length} tokens, expected 1..${T}`);
    seq.forEach((tok, t) => {
      if (!Number.isInteger(tok) || tok < 0 || tok >= policy.vocabSize) {
        throw new Error(`examples[${i}].response token ${tok} is not an integer in [0, ${policy.vocabSize})`);
      }
      tokens[i * T + t] = tok;
      mask[i * T + t] = 1;
    });
    const fl = ex.features?.length ?? 0;
    if (fl !== F) throw new Error(`examples[${i}].features has ${fl} values, expected policy.featureDim = ${F}`);
  });

  const optimizer = options.optimizer ?? 'adam';
  if (!WARM_START_OPTIMIZERS.includes(optimizer)) {
    throw new Error(`optimizer must be one of ${WARM_START_OPTIMIZERS.join(', ')}, got ${JSON.stringify(optimizer)}`);
  }
  const rng = new Rng(options.seed ?? 0, 'supervisedWarmStart options.seed');
  const freshAdam = () => new Adam(policy.trainableVariables(), { learning_rate: lr });
  let adam = freshAdam();
  const order = examples.map((_, i) => i);
  let cursor = order.length;
  const losses: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      if (optimizer === 'normalized-gradient' && s > 0) {
        adam.dispose();
        adam = freshAdam();
      }
      const batch: number[] = [];
      while (batch.length < Math.min(batchSize, examples.length)) {
        if (cursor >= order.length) {
          rng.shuffle(order);
          cursor = 0;
        }
        batch.push(order[cursor++]!);
      }
      const contexts: PolicyContexts = {
        size: batch.length,
        groups: batch.map((i) => examples[i]!.group),
        features: Float32Array.from(batch.flatMap((i) => [...(examples[i]!.features ?? [])])),
      };
      const batchTokens = new Int32Array(batch.length * T);
      const batchMask = new Float32Array(batch.length * T);
      batch.forEach((i, r) => {
        batchTokens.set(tokens.subarray(i * T, (i + 1) * T), r * T);
        batchMask.set(mask.subarray(i * T, (i + 1) * T), r * T);
      });
      const loss = tf.tidy(() => {
        const tok = tf.tensor2d(batchTokens, [batch.length, T], 'int32');
        const m = tf.tensor2d(batchMask, [batch.length, T], 'float32');
        const { value, grads } = tf.variableGrads(() => {
          const { logProbs } = policy.evaluate(contexts, tok, 1, { entropy: false });
          return tf.div(tf.neg(tf.sum(tf.mul(logProbs, m))), tf.sum(m)) as tf.Scalar;
        }, policy.trainableVariables());
        adam.apply(policy.trainableVariables().map((v) => grads[v.name]!));
        return value;
      });
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
    }
  } finally {
    adam.dispose();
  }
  return losses;
}
