/**
 * Global-norm gradient clipping (torch's `clip_grad_norm_`, which TRL applies via `max_grad_norm`).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Returns the global L2 norm of `grads` and the gradients scaled by
 * `min(1, max_norm / (norm + 1e-6))` (unscaled copies when `maxNorm` is 0, i.e. clipping disabled).
 * The caller owns (and disposes) every returned tensor.
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number): { clipped: tf.Tensor[]; norm: tf.Scalar } {
  if (!(maxNorm >= 0)) throw new Error(`max_grad_norm must be >= 0, got ${maxNorm}`);
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
    const scale = maxNorm > 0 ? tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6))) : tf.scalar(1);
    return { clipped: grads.map((g) => tf.mul(g, scale)), norm };
  });
}
