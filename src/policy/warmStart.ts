/**
 * Supervised (cross-entropy) warm start: fits a policy to (features, group, response) examples,
 * e.g. to build a majority-biased starting policy before preference optimisation.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';
import { Adam } from '../trainer/adam';
import type { PolicyPopulation } from './population';
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
  const { steps, lr, batchSize, optimizer } = checkOptions(options, examples.length);

  const encoded = encodeExamples(policy, examples);
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
      const { contexts, batchTokens, batchMask } = nextBatch(encoded, examples, batchSize, rng, order, cursor);
      cursor = contexts.cursor;
      const loss = tf.tidy(() => {
        const B = contexts.size;
        const T = policy.maxLength;
        const tok = tf.tensor2d(batchTokens, [B, T], 'int32');
        const m = tf.tensor2d(batchMask, [B, T], 'float32');
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

/** The options of {@link supervisedWarmStart} after defaults, checked (an error names the option). */
function checkOptions(options: WarmStartOptions, count: number) {
  const steps = options.steps ?? 100;
  const lr = options.learning_rate ?? 1e-2;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  if (!(lr > 0)) throw new Error(`learning_rate must be positive, got ${lr}`);
  if (count === 0) throw new Error('examples is empty');
  const batchSize = options.batch_size ?? count;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch_size must be a positive integer, got ${batchSize}`);
  const optimizer = options.optimizer ?? 'adam';
  if (!WARM_START_OPTIMIZERS.includes(optimizer)) {
    throw new Error(`optimizer must be one of ${WARM_START_OPTIMIZERS.join(', ')}, got ${JSON.stringify(optimizer)}`);
  }
  return { steps, lr, batchSize, optimizer };
}

/** Every example's response as a padded token row and mask `[count, T]`, checked against the policy. */
function encodeExamples(policy: Pick<Policy, 'maxLength' | 'featureDim' | 'vocabSize'>, examples: readonly WarmStartExample[]) {
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
  return { T, tokens, mask };
}

/**
 * The next minibatch: examples taken in `order` from `cursor`, reshuffled with `rng` at the end of
 * every pass (`order` is shuffled in place). Returns the batch's contexts, tokens, mask and the new cursor.
 */
function nextBatch(
  encoded: ReturnType<typeof encodeExamples>,
  examples: readonly WarmStartExample[],
  batchSize: number,
  rng: Rng,
  order: number[],
  start: number,
): { contexts: PolicyContexts & { cursor: number }; batchTokens: Int32Array; batchMask: Float32Array } {
  const { T, tokens, mask } = encoded;
  let cursor = start;
  const batch: number[] = [];
  while (batch.length < Math.min(batchSize, examples.length)) {
    if (cursor >= order.length) {
      rng.shuffle(order);
      cursor = 0;
    }
    batch.push(order[cursor++]!);
  }
  const batchTokens = new Int32Array(batch.length * T);
  const batchMask = new Float32Array(batch.length * T);
  batch.forEach((i, r) => {
    batchTokens.set(tokens.subarray(i * T, (i + 1) * T), r * T);
    batchMask.set(mask.subarray(i * T, (i + 1) * T), r * T);
  });
  return {
    contexts: {
      size: batch.length,
      groups: batch.map((i) => examples[i]!.group),
      features: Float32Array.from(batch.flatMap((i) => [...(examples[i]!.features ?? [])])),
      cursor,
    },
    batchTokens,
    batchMask,
  };
}

/** Options of {@link supervisedWarmStartPopulation}: those of {@link supervisedWarmStart}, with a seed per run. */
export interface PopulationWarmStartOptions extends Omit<WarmStartOptions, 'seed'> {
  /** Seed of each run's minibatch order (default 0 for every run). */
  seeds?: readonly number[];
  /**
   * Which runs take these updates (default all). The others keep their weights exactly; only with
   * the `normalized-gradient` optimiser, which carries no state from one update to the next.
   */
  active?: readonly boolean[];
}

/**
 * {@link supervisedWarmStart} for a population: run r fits its own `examples[r]` (all runs the same
 * number of examples) with its own minibatch order, in one batched computation, and ends with the
 * same weights, bit for bit, as `supervisedWarmStart(population.policies[r], examples[r], {..., seed:
 * seeds[r]})` would give it. Returns each run's losses. Trains the population's stacked weights; call
 * `population.writeBack()` to copy them into the runs' policies.
 */
export function supervisedWarmStartPopulation(
  population: PolicyPopulation,
  examples: readonly (readonly WarmStartExample[])[],
  options: PopulationWarmStartOptions = {},
): number[][] {
  const R = population.size;
  if (examples.length !== R) throw new Error(`examples has ${examples.length} lists, the population has ${R} runs`);
  const count = examples[0]!.length;
  examples.forEach((e, r) => {
    if (e.length !== count) throw new Error(`run ${r} has ${e.length} examples, run 0 has ${count}; the runs of a population step together`);
  });
  const { steps, lr, batchSize, optimizer } = checkOptions(options, count);
  const seeds = options.seeds ?? new Array<number>(R).fill(0);
  if (seeds.length !== R) throw new Error(`seeds has ${seeds.length} entries, the population has ${R} runs`);
  const active = options.active ?? new Array<boolean>(R).fill(true);
  if (active.length !== R) throw new Error(`active has ${active.length} entries, the population has ${R} runs`);
  const masked = active.some((a) => !a);
  if (masked && optimizer !== 'normalized-gradient') throw new Error("active: runs can sit out updates only with optimizer 'normalized-gradient' (Adam would still move their moments)");
  const encoded = examples.map((e, r) => encodeExamples(population.policies[r]!, e));
  const T = population.maxLength;
  const rngs = seeds.map((seed, r) => new Rng(seed, `supervisedWarmStartPopulation options.seeds[${r}]`));
  const orders = examples.map((e) => e.map((_, i) => i));
  const cursors = orders.map((o) => o.length);
  const vars = population.trainableVariables();
  const freshAdam = () => new Adam(vars, { learning_rate: lr });
  let adam = freshAdam();
  const losses: number[][] = examples.map(() => []);
  const keepMask = masked ? tf.tensor1d(active.map((a) => (a ? 1 : 0)), 'bool') : null;
  try {
    for (let s = 0; s < steps; s++) {
      if (optimizer === 'normalized-gradient' && s > 0) {
        adam.dispose();
        adam = freshAdam();
      }
      const batches = examples.map((e, r) => nextBatch(encoded[r]!, e, batchSize, rngs[r]!, orders[r]!, cursors[r]!));
      batches.forEach((b, r) => (cursors[r] = b.contexts.cursor));
      const B = batches[0]!.contexts.size;
      const loss = tf.tidy(() => {
        const join = <A extends Int32Array | Float32Array>(parts: A[], out: A) => (parts.forEach((p, r) => out.set(p, r * B * T)), out);
        const tok = tf.tensor3d(join(batches.map((b) => b.batchTokens), new Int32Array(R * B * T)), [R, B, T], 'int32');
        const m = tf.tensor3d(join(batches.map((b) => b.batchMask), new Float32Array(R * B * T)), [R, B, T], 'float32');
        let perRun: tf.Tensor | null = null;
        const { grads } = tf.variableGrads(() => {
          const { logProbs } = population.evaluate(batches.map((b) => b.contexts), tok, 1, { entropy: false });
          // Each run's mean cross-entropy from its own slice; the sum's gradient is every run's own.
          perRun = tf.keep(tf.div(tf.neg(tf.sum(tf.mul(logProbs, m), [1, 2])), tf.sum(m, [1, 2])));
          return tf.sum(perRun) as tf.Scalar;
        }, vars);
        const before = keepMask ? vars.map((v) => v.clone()) : null;
        adam.apply(vars.map((v) => grads[v.name]!));
        if (before) {
          // Runs sitting out keep their weights exactly.
          vars.forEach((v, j) => v.assign(tf.where(tf.reshape(keepMask!, [R, ...new Array<number>(v.rank - 1).fill(1)]), v, before[j]!)));
        }
        return perRun!;
      });
      const values = loss.dataSync();
      loss.dispose();
      values.forEach((x, r) => losses[r]!.push(x));
    }
  } finally {
    adam.dispose();
    keepMask?.dispose();
  }
  return losses;
}
