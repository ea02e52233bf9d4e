/**
 * Log-softmax over responses, the log-probability of chosen tokens and the entropy, as one operation.
 */
import * as tf from '@tensorflow/tfjs';
import { checkPickIndex, flatPickIndex } from './pick';

/** Output of {@link logSoftmaxPick}. */
export interface LogSoftmaxPick {
  /** `log softmax(logits)[p, index[p, g]]`, `[P, G]`, differentiable w.r.t. the logits. */
  picked: tf.Tensor2D;
  /** Entropy of each row's distribution, `[P]` (not differentiated); absent unless asked for. */
  entropy?: tf.Tensor1D;
}

/**
 * `picked[p, g] = log softmax(logits[p])[index[p, g]]` for `logits` `[P, K]` and int32 `index`
 * `[P, G]`, and optionally each row's entropy `-sum_k p_k log p_k`.
 *
 * Written with tfjs ops (logSoftmax, a pick, the entropy from `exp(logp)`), a training step
 * evaluates `exp` over the whole `[P, K]` table three times (forward, entropy, and logSoftmax's
 * gradient); here the probabilities are exponentiated once, when a gradient is being recorded or
 * the entropy is asked for, and serve both. The gradient,
 * `d picked / d logits = onehot(index) - softmax` summed over picks, uses the same operations as
 * tfjs's own logSoftmax gradient after a scatter-add of the picks, so values and gradients equal
 * the op-by-op composition bit for bit. Every index must lie in `[0, K)` (not read back to check).
 */
export function logSoftmaxPick(logits: tf.Tensor2D, index: tf.Tensor2D, options: { entropy?: boolean } = {}): LogSoftmaxPick {
  checkPickIndex(logits, index, 'logSoftmaxPick');
  const [P, K] = logits.shape;
  const [, G] = index.shape;
  const flatIndex = flatPickIndex(index, K);
  const wantEntropy = options.entropy === true;
  const recording = tf.engine().state.gradientDepth > 0;
  let entropy: tf.Tensor1D | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const logp = tf.logSoftmax(z);
    const probs = wantEntropy || recording ? tf.exp(logp) : null;
    // The entropy is a diagnostic: made here, where no tape records it, and handed out below.
    if (wantEntropy) entropy = tf.keep(tf.neg(tf.sum(tf.mul(probs!, logp), 1)) as tf.Tensor1D);
    // Saving the index also keeps it alive past the caller's tidy until the backward pass.
    save(probs === null ? [flatIndex] : [flatIndex, probs]);
    return {
      value: tf.reshape(tf.gather(tf.reshape(logp, [P * K]), tf.reshape(flatIndex, [P * G])), [P, G]) as tf.Tensor2D,
      gradFunc: (dy, saved) => {
        const [idx, sp] = saved as [tf.Tensor2D, tf.Tensor2D];
        // Repeated indices (two generations with the same response) add up, as the gradient must.
        const dLogp = tf.reshape(tf.scatterND(idx, tf.reshape(dy as tf.Tensor, [P * G]), [P * K]), [P, K]);
        return tf.sub(dLogp, tf.mul(tf.sum(dLogp, 1, true), sp));
      },
    };
  });
  const picked = op(logits) as tf.Tensor2D;
  flatIndex.dispose(); // the operation saved its own reference
  if (entropy === undefined) return { picked };
  // A copy the caller's tidy owns; the kept original goes.
  const owned = tf.clone(entropy) as tf.Tensor1D;
  entropy.dispose();
  return { picked, entropy: owned };
}
