/**
 * The clipped GRPO surrogate with a k3 KL penalty and TRL's four loss aggregations.
 */
import * as tf from '@tensorflow/tfjs';

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

/** Inputs of {@link grpoLoss}; every 2-D tensor is `[N, T]`. */
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
  return tf.tidy(() => {
    const d = tf.sub(refLogProbs, logProbs);
    return tf.sub(tf.sub(tf.exp(d), d), 1);
  });
}

/**
 * GRPO loss: per token `-min(r A, clip(r, 1-epsilon, 1+epsilon_high) A) + beta * KL_k3`, with
 * `r = exp(logp - logp_old)`, aggregated by `loss_type`. Padding tokens contribute nothing.
 */
export function grpoLoss(input: GRPOLossInput, config: GRPOLossConfig): GRPOLossOutput {
  return tf.tidy(() => {
    const { oldLogProbs, advantages, mask } = input;
    const N = input.logProbs.shape[0];
    const adv = tf.reshape(advantages, [N, 1]);
    // At padding, replace log-probs by the old ones (ratio 1, KL 0) so that whatever values a policy
    // puts there (even huge ones whose exp overflows) reach neither the loss nor its gradient.
    const real = tf.greater(mask, 0);
    const logProbs = tf.where(real, input.logProbs, oldLogProbs);
    const ratio = tf.exp(tf.sub(logProbs, oldLogProbs));
    const clipped = tf.clipByValue(ratio, 1 - config.epsilon, 1 + config.epsilon_high);
    const surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(clipped, adv));
    let perToken = tf.neg(surrogate);
    let kl: tf.Tensor = tf.zerosLike(logProbs);
    if (input.refLogProbs) {
      kl = tf.mul(k3KL(logProbs, tf.where(real, input.refLogProbs, oldLogProbs)), mask);
      if (config.beta !== 0) perToken = tf.add(perToken, tf.mul(kl, config.beta));
    } else if (config.beta !== 0) {
      throw new Error('grpoLoss: refLogProbs is required when beta is non-zero');
    }
    const masked = tf.mul(perToken, mask);
    let loss: tf.Tensor;
    switch (config.loss_type) {
      case 'grpo': {
        const perSeq = tf.div(tf.sum(masked, 1), tf.maximum(tf.sum(mask, 1), 1));
        loss = tf.mean(perSeq);
        break;
      }
      case 'bnpo':
      case 'dapo':
        loss = tf.div(tf.sum(masked), tf.maximum(tf.sum(mask), 1));
        break;
      case 'dr_grpo':
        loss = tf.div(tf.sum(masked), N * config.max_completion_length);
        break;
      default:
        throw new Error(`loss_type must be one of ${LOSS_TYPES.join(', ')}, got '${String(config.loss_type)}'`);
    }
    const positive = tf.greater(adv, 0);
    const negative = tf.less(adv, 0);
    const low = tf.mul(tf.cast(tf.logicalAnd(tf.less(ratio, 1 - config.epsilon), negative), 'float32'), mask);
    const high = tf.mul(tf.cast(tf.logicalAnd(tf.greater(ratio, 1 + config.epsilon_high), positive), 'float32'), mask);
    return {
      loss: loss as tf.Scalar,
      kl: kl as tf.Tensor2D,
      lowClipped: low as tf.Tensor2D,
      highClipped: high as tf.Tensor2D,
    };
  });
}
