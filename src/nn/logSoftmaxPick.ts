/**
 * Log-softmax over responses, the log-probability of chosen tokens and the entropy, as one operation.
 */
import * as tf from '@tensorflow/tfjs';
import { releaseKept } from './kept';
import { checkPickIndex, flatPickIndex, gatherPicks, scatterPicks } from './pick';

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
  const K = logits.shape[1];
  const G = index.shape[1];
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
      value: gatherPicks(logp, flatIndex, G),
      gradFunc: (dy, saved) => {
        const [idx, sp] = saved as [tf.Tensor2D, tf.Tensor2D];
        const dLogp = scatterPicks(idx, dy as tf.Tensor2D, K);
        // tfjs's own logSoftmax gradient, with exp(logp) from the forward pass.
        return tf.sub(dLogp, tf.mul(tf.sum(dLogp, 1, true), sp));
      },
    };
  });
  const picked = op(logits) as tf.Tensor2D;
  flatIndex.dispose(); // the operation saved its own reference
  return entropy === undefined ? { picked } : { picked, entropy: releaseKept(entropy) };
}
