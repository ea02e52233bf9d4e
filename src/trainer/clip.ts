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
  const { clipped, norm } = clipByNorm(grads, maxNorm, false);
  return { clipped, norm: norm as tf.Scalar };
}

/**
 * {@link clipByGlobalNorm} for a population: every gradient has a leading run axis R, and each run
 * is clipped by its own global norm, computed from its own slices only (the same sums in the same
 * order as its single run). Returns the clipped gradients and the norms `[R]`.
 */
export function clipByGlobalNormPerRun(grads: readonly tf.Tensor[], maxNorm: number): { clipped: tf.Tensor[]; norm: tf.Tensor1D } {
  const { clipped, norm } = clipByNorm(grads, maxNorm, true);
  return { clipped, norm: norm as tf.Tensor1D };
}

function clipByNorm(grads: readonly tf.Tensor[], maxNorm: number, perRun: boolean): { clipped: tf.Tensor[]; norm: tf.Tensor } {
  if (!(maxNorm >= 0)) throw new Error(`max_grad_norm must be >= 0, got ${maxNorm}`);
  // One run: every axis; a population: every axis but the leading run axis.
  const ownAxes = (g: tf.Tensor) => (perRun ? Array.from({ length: g.rank - 1 }, (_, i) => i + 1) : undefined);
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g), ownAxes(g)))));
    const scale = maxNorm > 0 ? tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6))) : tf.onesLike(norm);
    const scaleFor = (g: tf.Tensor) => (perRun ? tf.reshape(scale, [-1, ...new Array<number>(g.rank - 1).fill(1)]) : scale);
    return { clipped: grads.map((g) => tf.mul(g, scaleFor(g))), norm };
  });
}
