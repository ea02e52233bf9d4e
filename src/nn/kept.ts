/**
 * Side outputs of custom-gradient operations.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * The kit's custom-gradient operations compute their diagnostics (clip flags, KL, entropy) inside
 * the forward pass, where no gradient tape records them, and `tf.keep` them there to hand them out
 * (the forward pass runs in a tidy of its own). This returns a copy that the caller's tidy owns, as
 * any op result, and frees the kept original.
 */
export function releaseKept<T extends tf.Tensor>(kept: T): T {
  const copy = tf.clone(kept) as T;
  kept.dispose();
  return copy;
}
