/**
 * Picking one entry per (row, column of choices) from a table, with a cheap gradient.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * `out[p, g] = table[p, index[p, g]]` for `table` `[P, K]` (float) and `index` `[P, G]` (int32),
 * differentiable w.r.t. `table`. The forward pass is one gather on the flattened table and the
 * gradient one scatter-add, instead of a `[P, G, K]` one-hot product and its gradient (about
 * twenty kernels fewer per training step); tfjs's own gather gradient needs UnsortedSegmentSum,
 * which the wasm backend lacks.
 *
 * Every index must lie in `[0, K)`: indices are not read back to check (that would stall the
 * device), and an out-of-range one is undefined behaviour of the backend's gather.
 */
export function pickPerRow(table: tf.Tensor2D, index: tf.Tensor2D): tf.Tensor2D {
  checkPickIndex(table, index, 'pickPerRow');
  const K = table.shape[1];
  const G = index.shape[1];
  const flatIndex = flatPickIndex(index, K);
  const pick = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [t, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    // Saved, so that the index outlives the caller's tidy until the backward pass.
    save([flatIndex]);
    return {
      value: gatherPicks(t, flatIndex, G),
      gradFunc: (dy, saved) => scatterPicks(saved[0] as tf.Tensor2D, dy as tf.Tensor2D, K),
    };
  });
  return pick(table) as tf.Tensor2D;
}

/** Checks a `[P, G]` int32 index against a `[P, K]` table, naming `caller` in the error. */
export function checkPickIndex(table: tf.Tensor2D, index: tf.Tensor2D, caller: string): void {
  if (table.rank !== 2) throw new Error(`${caller}: table must be 2-D [P, K], got shape [${table.shape}]`);
  if (index.rank !== 2 || index.shape[0] !== table.shape[0]) {
    throw new Error(`${caller}: index must be [${table.shape[0]}, G] to match table [${table.shape}], got shape [${index.shape}]`);
  }
  if (index.dtype !== 'int32') throw new Error(`${caller}: index must be an int32 tensor, got ${index.dtype}`);
}

/** Positions `p * K + index[p, g]` in the flattened table, as `[P * G, 1]` (the layout scatterND takes). */
export function flatPickIndex(index: tf.Tensor2D, K: number): tf.Tensor2D {
  const [P, G] = index.shape;
  // Row offsets p * K made on the JS side (an upload, no kernel), added without broadcasting.
  const offsets = new Int32Array(P * G);
  for (let p = 0; p < P; p++) offsets.fill(p * K, p * G, (p + 1) * G);
  return tf.tidy(() => tf.reshape(tf.add(index, tf.tensor2d(offsets, [P, G], 'int32')), [P * G, 1]) as tf.Tensor2D);
}

/** `out[p, g] = table[p, index[p, g]]` (`[P, G]`) from the positions of {@link flatPickIndex}. */
export function gatherPicks(table: tf.Tensor2D, flatIndex: tf.Tensor2D, G: number): tf.Tensor2D {
  const [P, K] = table.shape;
  return tf.reshape(tf.gather(tf.reshape(table, [P * K]), tf.reshape(flatIndex, [P * G])), [P, G]) as tf.Tensor2D;
}

/**
 * The gradient of {@link gatherPicks} w.r.t. the table: `dy` `[P, G]` added into a zero `[P, K]` table
 * at the picked positions. Repeated indices (two generations with the same response) add up, as the
 * gradient must; one scatter-add, where tfjs's gather gradient would need UnsortedSegmentSum.
 */
export function scatterPicks(flatIndex: tf.Tensor2D, dy: tf.Tensor2D, K: number): tf.Tensor2D {
  const [P, G] = dy.shape;
  return tf.reshape(tf.scatterND(flatIndex, tf.reshape(dy, [P * G]), [P * K]), [P, K]) as tf.Tensor2D;
}
