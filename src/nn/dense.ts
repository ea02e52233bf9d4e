/**
 * A dense layer `act(x W + b)` whose gradient uses only untransposed matrix products, for one run
 * (`x` `[n, in]`, `W` `[in, out]`, `b` `[out]`) or a population of runs stacked on a leading axis
 * (`x` `[R, n, in]`, `W` `[R, in, out]`, `b` `[R, out]`; see src/policy/population.ts).
 *
 * tfjs differentiates `matMul(x, W)` into `matMul(dy, W, false, true)` and `matMul(x, dy, true,
 * false)`. On the wasm backend a product with a transpose flag runs about ten times slower than an
 * explicit `transpose` followed by a plain product (measured in bench/NOTES.md), so this layer
 * supplies its own gradient built from explicit transposes (kept as flags on the cpu backend,
 * where the flag is the faster form).
 *
 * The bias is added by its own kernel, not fused into the product: tfjs's fused product only takes
 * one bias for the whole batch, and its rounding differs from product-then-add, so fusing it would
 * make a run of a population differ from the same run alone. With product-then-add, run r of a
 * stacked population gets the same bits as its single run: on wasm the batched product computes each
 * slice exactly as the 2-D one while the summed (shared) axis has at most 48 entries, and longer ones
 * are taken run by run (see `product`; tested in test/population.test.ts at sizes on both sides).
 */
import * as tf from '@tensorflow/tfjs';

/** Activation applied after the affine map. */
export type DenseActivation = 'linear' | 'relu' | 'tanh';

/** The activations {@link dense} accepts, for validation. */
export const DENSE_ACTIVATIONS: readonly DenseActivation[] = ['linear', 'relu', 'tanh'];

/** Options of {@link dense}. */
export interface DenseOptions {
  /** Activation after `x W + b` (default `linear`). */
  activation?: DenseActivation;
  /**
   * Whether a gradient must flow back into `x` (default true). Pass false when `x` is data that
   * nothing upstream trains (e.g. raw prompt features): the layer then skips the `dy W^T` product.
   * With false, `x` is not an input of the recorded operation, so no gradient reaches it at all.
   */
  inputGradient?: boolean;
}

/** Gradient of the activation, written through the layer's output `y` (no need to keep the pre-activation). */
function activationGrad(dy: tf.Tensor, y: tf.Tensor, activation: DenseActivation): tf.Tensor {
  switch (activation) {
    case 'linear':
      return dy;
    case 'relu':
      // y > 0 exactly where the pre-activation is > 0; step(0) = 0 matches tfjs's own relu gradient.
      return tf.mul(dy, tf.step(y));
    case 'tanh':
      return tf.mul(dy, tf.sub(1, tf.square(y)));
  }
}

/**
 * Forward pass: the product, the bias (broadcast over rows; per run for a population), then the
 * activation.
 */
function forward(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null, activation: DenseActivation): tf.Tensor {
  let z = product(x, w);
  if (b !== null) z = tf.add(z, b.rank === 1 ? b : tf.reshape(b, [b.shape[0]!, 1, b.shape[1]!]));
  if (activation === 'tanh') return tf.tanh(z);
  return activation === 'relu' ? tf.relu(z) : z;
}

/**
 * `a^T b` or `a b^T`. On wasm an explicit transpose plus a plain product is several times faster
 * than the transpose flag; on the plain-JS cpu backend the flag is slightly faster (no copy).
 */
function productT(a: tf.Tensor, b: tf.Tensor, transposeA: boolean): tf.Tensor {
  if (tf.getBackend() === 'cpu') return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, transposeA, !transposeA);
  // The last two axes are swapped; a population's leading run axis stays in place.
  const t = (x: tf.Tensor) => (x.rank === 2 ? tf.transpose(x) : tf.transpose(x, [0, 2, 1]));
  return transposeA ? product(t(a), b) : product(a, t(b));
}

/**
 * Shared-axis length up to which a batched product equals its per-run 2-D products on wasm. A 2-D
 * product (or a batch of one) goes to XNNPACK, which sums the shared axis in order; a batch of
 * several runs goes to tfjs's own loop, which sums it in blocks of 48 and then adds the block sums.
 */
const WASM_EXACT_SHARED = 48;

/**
 * `a b` for `a` `[n, k]`, `b` `[k, m]`, or for every run of `[R, n, k]` and `[R, k, m]`. On wasm a
 * population's product with `k` > 48 is taken run by run, as the 2-D products of the single runs
 * (exact; split into runs once, which measured faster than slicing run by run: a 5-run GRU population
 * at the persona sizes took 0.70x instead of 0.63x the time of its runs one by one).
 */
export function product(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank === 2 || a.shape[0] === 1 || a.shape[2]! <= WASM_EXACT_SHARED || tf.getBackend() !== 'wasm') {
    return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  }
  const R = a.shape[0]!;
  const as = tf.split(a, R, 0);
  const bs = tf.split(b, R, 0);
  const outs: tf.Tensor[] = [];
  const rows = (x: tf.Tensor) => tf.reshape(x, [x.shape[1]!, x.shape[2]!]) as tf.Tensor2D; // [1, n, k] -> [n, k]
  for (let r = 0; r < R; r++) outs.push(tf.matMul(rows(as[r]!), rows(bs[r]!)));
  return tf.stack(outs, 0);
}

type DenseOp = (...inputs: tf.Tensor[]) => tf.Tensor;

/**
 * The layer as one recorded operation. Its inputs are `[x, w, b]`, without `x` when `data` is given
 * (then `x` is captured: nothing upstream trains, and the product `dy W^T` is never formed) and
 * without `b` when `hasBias` is false. The gradient returns one tensor per input, in that order.
 */
function denseOp(activation: DenseActivation, data: tf.Tensor | null, hasBias: boolean): DenseOp {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const inputs = args.slice(0, -1) as tf.Tensor[];
    const x = data ?? (inputs.shift() as tf.Tensor);
    const [w, b] = inputs as [tf.Tensor, tf.Tensor | undefined];
    const y = forward(x, w, hasBias ? b! : null, activation);
    // Saving x also keeps captured data alive until the backward pass (the caller's tidy would free it).
    // w is needed only for the gradient into x.
    save(data === null ? [x, y, w] : [x, y]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [sx, sy, sw] = saved as [tf.Tensor, tf.Tensor, tf.Tensor | undefined];
        const dz = activationGrad(dy, sy, activation);
        const grads: tf.Tensor[] = [productT(sx, dz, true)];
        if (hasBias) grads.push(tf.sum(dz, dz.rank - 2)); // over rows, per run
        if (data === null) grads.unshift(productT(dz, sw!, false));
        return grads;
      },
    };
  }) as unknown as DenseOp;
}

// One op per (activation, bias) pair when x is an input, built once: customGrad wraps a closure, and
// rebuilding it per call would only add garbage. (With captured data the closure must be per call.)
const inputOps = new Map<string, DenseOp>();

/**
 * `activation(x W + b)` for `x` `[n, in]`, `w` `[in, out]`, `b` `[out]` (or `null`: no bias),
 * differentiable w.r.t. `w`, `b` and (unless `inputGradient` is false) `x`, with gradients equal to
 * tfjs's own to float32 rounding. A population of R runs passes `x` `[R, n, in]`, `w` `[R, in, out]`,
 * `b` `[R, out]`: each run's slice is computed exactly as its 2-D call would be. Shapes are checked
 * and a mismatch names the offending argument.
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null, options?: DenseOptions): tf.Tensor2D;
export function dense(x: tf.Tensor3D, w: tf.Tensor3D, b: tf.Tensor2D | null, options?: DenseOptions): tf.Tensor3D;
export function dense(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null, options: DenseOptions = {}): tf.Tensor {
  const activation = options.activation ?? 'linear';
  if (!DENSE_ACTIVATIONS.includes(activation)) {
    throw new Error(`dense: activation must be one of ${DENSE_ACTIVATIONS.join(', ')}, got '${String(activation)}'`);
  }
  if (x.rank === 3) {
    const [R, , inSize] = x.shape as [number, number, number];
    if (w.rank !== 3 || w.shape[0] !== R || w.shape[1] !== inSize) {
      throw new Error(`dense: w must be [${R}, ${inSize}, out] to match x [${x.shape}] (a population of ${R} runs), got shape [${w.shape}]`);
    }
    if (b !== null && (b.rank !== 2 || b.shape[0] !== R || b.shape[1] !== w.shape[2])) {
      throw new Error(`dense: b must be [${R}, ${w.shape[2]}] to match w [${w.shape}], got shape [${b.shape}]`);
    }
  } else {
    if (x.rank !== 2) throw new Error(`dense: x must be 2-D [n, in] (or 3-D [runs, n, in]), got shape [${x.shape}]`);
    if (w.rank !== 2 || w.shape[0] !== x.shape[1]) {
      throw new Error(`dense: w must be [${x.shape[1]}, out] to match x [${x.shape}], got shape [${w.shape}]`);
    }
    if (b !== null && (b.rank !== 1 || b.shape[0] !== w.shape[1])) {
      throw new Error(`dense: b must be [${w.shape[1]}] to match w [${w.shape}], got shape [${b.shape}]`);
    }
  }
  const params = b === null ? [w] : [w, b];
  if (options.inputGradient === false) return denseOp(activation, x, b !== null)(...params);
  const key = `${activation}|${b !== null}`;
  let op = inputOps.get(key);
  if (op === undefined) inputOps.set(key, (op = denseOp(activation, null, b !== null)));
  return op(x, ...params);
}
