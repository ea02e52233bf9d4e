/**
 * The clipped GRPO surrogate with a k3 KL penalty and TRL's four loss aggregations.
 */
import * as tf from '@tensorflow/tfjs';
import { releaseKept } from '../nn/kept';

/**
 * How per-token losses are reduced to one number (TRL's `loss_type`), with mask `m`:
 * - `grpo`: mean over each sequence's real tokens, then mean over sequences (original GRPO; favours short answers' tokens).
 * - `bnpo`: sum over all real tokens / number of real tokens in the batch.
 * - `dr_grpo`: sum over all real tokens / (number of sequences * `max_completion_length`), a constant (Dr. GRPO).
 * - `dapo`: token-level sum / number of real tokens in the global batch. In TRL the denominator counts the tokens
 *   across all processes and gradient-accumulation steps; this kit trains in one process with one batch per
 *   update, so `dapo` equals `bnpo` here.
 * For one-token responses (T = 1, no padding) all four are the mean over sequences.
 */
export type LossType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';

/** The loss types, for validation. */
export const LOSS_TYPES: readonly LossType[] = ['grpo', 'bnpo', 'dr_grpo', 'dapo'];

/** Settings of {@link grpoLoss} (TRL names). */
export interface GRPOLossConfig {
  epsilon: number;
  epsilon_high: number;
  beta: number;
  loss_type: LossType;
  /** Denominator length of `dr_grpo`. */
  max_completion_length: number;
}

/**
 * Inputs of {@link grpoLoss}; every 2-D tensor is `[N, T]`. A population of R runs (see
 * src/trainer/population.ts) passes the same tensors with a leading run axis: `[R, N, T]` and
 * advantages `[R, N]`; each run's loss is then computed from its own slice only, exactly as alone.
 */
export interface GRPOLossInput {
  /** Current per-token log-probs (the tensor gradients flow through). */
  logProbs: tf.Tensor2D;
  /** Log-probs under the sampling policy. */
  oldLogProbs: tf.Tensor2D;
  /** Log-probs under the frozen reference; required when `beta` is non-zero. */
  refLogProbs?: tf.Tensor2D | null;
  /** One advantage per sequence, `[N]`. */
  advantages: tf.Tensor1D;
  /** 1 for real tokens, 0 for padding. */
  mask: tf.Tensor2D;
}

/** The loss and per-token diagnostics (masked: zero at padding). */
export interface GRPOLossOutput {
  loss: tf.Scalar;
  /** Per-token k3 KL to the reference (zeros when no reference is given). */
  kl: tf.Tensor2D;
  /** 1 where the ratio fell below 1-epsilon with a negative advantage (the clip is active). */
  lowClipped: tf.Tensor2D;
  /** 1 where the ratio rose above 1+epsilon_high with a positive advantage. */
  highClipped: tf.Tensor2D;
}

/** The k3 estimator of KL(pi || ref) per token: `exp(ref - logp) - (ref - logp) - 1` (non-negative, unbiased). */
export function k3KL(logProbs: tf.Tensor, refLogProbs: tf.Tensor): tf.Tensor {
  return tf.tidy(() => k3OfLogRatio(tf.sub(refLogProbs, logProbs)));
}

/** k3 from the log-ratio `d = ref - logp`: `exp(d) - d - 1`. The one formula; {@link grpoLoss} reuses `d` for the gradient. */
function k3OfLogRatio(d: tf.Tensor): tf.Tensor {
  return tf.sub(tf.sub(tf.exp(d), d), 1);
}

/**
 * GRPO loss: per token `-min(r A, clip(r, 1-epsilon, 1+epsilon_high) A) + beta * KL_k3`, with
 * `r = exp(logp - logp_old)`, aggregated by `loss_type`. Padding tokens contribute nothing.
 *
 * The loss carries its own gradient (w.r.t. `logProbs`, the only input that needs one): tfjs's
 * generic gradient of these few elementwise ops costs some forty small kernels, each with its
 * bookkeeping, which dominated a training step. It equals tfjs's gradient of the same expression,
 * including its conventions at ties (`minimum` sends the gradient to its first argument when the
 * two are equal; `clipByValue` passes it at the bounds).
 */
export function grpoLoss(input: GRPOLossInput, config: GRPOLossConfig): GRPOLossOutput {
  if (!input.refLogProbs && config.beta !== 0) throw new Error('grpoLoss: refLogProbs is required when beta is non-zero');
  if (!LOSS_TYPES.includes(config.loss_type)) {
    throw new Error(`loss_type must be one of ${LOSS_TYPES.join(', ')}, got '${String(config.loss_type)}'`);
  }
  return tf.tidy(() => {
    const { oldLogProbs, advantages, mask } = input;
    const refLogProbs = input.refLogProbs ?? null;
    const rank = input.logProbs.rank;
    const N = input.logProbs.shape[rank - 2]!;
    const perRun = [rank - 2, rank - 1]; // a run's own axes: all of them for one run
    const lo = 1 - config.epsilon;
    const hi = 1 + config.epsilon_high;
    // Per-token diagnostics, made in the operation's forward pass and handed out through this variable.
    let diagnostics: tf.Tensor[] = [];
    const lossOf = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      // Everything is computed inside the operation's forward pass, which no gradient tape records:
      // recorded, each of these kernels would also keep copies of its inputs for a backward pass
      // that only the log-probs need, and that gradient is supplied below.
      const [current, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
      const adv = tf.expandDims(advantages, -1); // [N, 1] (or [R, N, 1])
      // At padding, replace log-probs by the old ones (ratio 1, KL 0) so that whatever values a policy
      // puts there (even huge ones whose exp overflows) reach neither the loss nor its gradient.
      const real = tf.greater(mask, 0);
      const logProbs = tf.where(real, current, oldLogProbs);
      const ratio = tf.exp(tf.sub(logProbs, oldLogProbs));
      let kl: tf.Tensor = tf.zerosLike(logProbs);
      let refDiff: tf.Tensor | null = null; // ref - logp at real tokens, for the KL gradient
      if (refLogProbs) {
        refDiff = tf.sub(tf.where(real, refLogProbs, oldLogProbs), logProbs);
        kl = tf.mul(k3OfLogRatio(refDiff), mask);
      }
      // Reduction weight of each token: d loss / d (masked per-token loss).
      const weight = reductionWeights(mask, N, config, perRun);
      const unclipped = tf.mul(ratio, adv);
      const clippedTerm = tf.mul(tf.clipByValue(ratio, lo, hi), adv);
      let perToken = tf.neg(tf.minimum(unclipped, clippedTerm));
      if (config.beta !== 0) perToken = tf.add(perToken, tf.mul(kl, config.beta));
      const value = tf.sum(tf.mul(tf.mul(perToken, mask), weight), perRun); // a scalar (or one loss per run, [R])
      // d(-surrogate)/d logp = -r A where the unclipped term is the minimum or the ratio is inside the clip range.
      const passes = tf.logicalOr(tf.lessEqual(unclipped, clippedTerm), tf.logicalAnd(tf.greaterEqual(ratio, lo), tf.lessEqual(ratio, hi)));
      let dPerToken = tf.where(passes, tf.neg(unclipped), tf.zerosLike(unclipped));
      // d(beta * k3)/d logp = beta * (1 - exp(ref - logp)), times the mask the KL carries.
      if (config.beta !== 0 && refDiff) dPerToken = tf.add(dPerToken, tf.mul(tf.mul(tf.sub(1, tf.exp(refDiff)), mask), config.beta));
      // Zero at padding: there the log-probs were replaced by the old ones (ratio 1, reference
      // difference 0), so dPerToken is finite and the mask zeroes it; no select is needed.
      const dLogProbs = tf.mul(tf.mul(dPerToken, mask), weight);
      save([dLogProbs]);
      const low = tf.mul(tf.cast(tf.logicalAnd(tf.less(ratio, lo), tf.less(adv, 0)), 'float32'), mask);
      const high = tf.mul(tf.cast(tf.logicalAnd(tf.greater(ratio, hi), tf.greater(adv, 0)), 'float32'), mask);
      diagnostics = [kl, low, high].map((t) => tf.keep(t));
      return { value, gradFunc: (dy, saved) => tf.mul(rank === 2 ? dy : tf.reshape(dy, [-1, 1, 1]), saved[0]!) };
    });
    const loss = lossOf(input.logProbs) as tf.Scalar;
    const [kl, lowClipped, highClipped] = diagnostics.map((t) => releaseKept(t as tf.Tensor2D));
    return { loss, kl: kl!, lowClipped: lowClipped!, highClipped: highClipped! };
  });
}

/**
 * The weight of each token's masked loss in the aggregate, by `loss_type` (see {@link LossType}):
 * `grpo` 1 / (N * max(tokens in the row, 1)), `bnpo`/`dapo` 1 / max(tokens in the batch, 1),
 * `dr_grpo` 1 / (N * max_completion_length).
 */
function reductionWeights(mask: tf.Tensor, N: number, config: GRPOLossConfig, perRun: number[]): tf.Tensor {
  switch (config.loss_type) {
    case 'grpo':
      return tf.div(1 / N, tf.maximum(tf.sum(mask, -1, true), 1));
    case 'bnpo':
    case 'dapo':
      return tf.div(1, tf.maximum(tf.sum(mask, perRun, true), 1));
    case 'dr_grpo':
      return tf.scalar(1 / (N * config.max_completion_length));
  }
}
