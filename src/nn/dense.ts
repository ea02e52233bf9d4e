/**
 * A dense layer `act(x W + b)` whose gradient uses only untransposed matrix products.
 *
 * tfjs differentiates `matMul(x, W)` into `matMul(dy, W, false, true)` and `matMul(x, dy, true,
 * false)`. On the wasm backend a product with a transpose flag runs about ten times slower than an
 * explicit `transpose` followed by a plain product (measured in bench/NOTES.md), so this layer
 * supplies its own gradient built from explicit transposes (kept as flags on the cpu backend,
 * where the flag is the faster form). The forward pass is one fused kernel
 * (product, bias and relu together) where the backend has one.
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
function activationGrad(dy: tf.Tensor2D, y: tf.Tensor2D, activation: DenseActivation): tf.Tensor2D {
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
 * Forward pass: product and bias in one fused kernel, then the activation. The relu is fused too
 * when no gradient is being recorded; while one is, tfjs would split a fused relu back into three
 * kernels (product, bias, relu), so it is applied separately (two kernels).
 */
function forward(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null, activation: DenseActivation): tf.Tensor2D {
  const recording = tf.engine().state.gradientDepth > 0;
  const fuseRelu = activation === 'relu' && !recording;
  const z = tf.fused.matMul({ a: x, b: w, bias: b ?? undefined, activation: fuseRelu ? 'relu' : 'linear' }) as tf.Tensor2D;
  if (activation === 'tanh') return tf.tanh(z);
  return activation === 'relu' && !fuseRelu ? tf.relu(z) : z;
}

/**
 * `a^T b` or `a b^T`. On wasm an explicit transpose plus a plain product is several times faster
 * than the transpose flag; on the plain-JS cpu backend the flag is slightly faster (no copy).
 */
function productT(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean): tf.Tensor2D {
  if (tf.getBackend() === 'cpu') return tf.matMul(a, b, transposeA, !transposeA);
  return transposeA ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, tf.transpose(b));
}

type DenseOp = (...inputs: tf.Tensor[]) => tf.Tensor2D;

/**
 * The layer as one recorded operation. Its inputs are `[x, w, b]`, without `x` when `data` is given
 * (then `x` is captured: nothing upstream trains, and the product `dy W^T` is never formed) and
 * without `b` when `hasBias` is false. The gradient returns one tensor per input, in that order.
 */
function denseOp(activation: DenseActivation, data: tf.Tensor2D | null, hasBias: boolean): DenseOp {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const inputs = args.slice(0, -1) as tf.Tensor[];
    const x = data ?? (inputs.shift() as tf.Tensor2D);
    const [w, b] = inputs as [tf.Tensor2D, tf.Tensor1D | undefined];
    const y = forward(x, w, hasBias ? b! : null, activation);
    // Saving x also keeps captured data alive until the backward pass (the caller's tidy would free it).
    // w is needed only for the gradient into x.
    save(data === null ? [x, y, w] : [x, y]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [sx, sy, sw] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D | undefined];
        const dz = activationGrad(dy as tf.Tensor2D, sy, activation);
        const grads: tf.Tensor[] = [productT(sx, dz, true)];
        if (hasBias) grads.push(tf.sum(dz, 0));
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
 * tfjs's own to float32 rounding. Shapes are checked and a mismatch names the offending argument.
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D | null, options: DenseOptions = {}): tf.Tensor2D {
  const activation = options.activation ?? 'linear';
  if (!DENSE_ACTIVATIONS.includes(activation)) {
    throw new Error(`dense: activation must be one of ${DENSE_ACTIVATIONS.join(', ')}, got '${String(activation)}'`);
  }
  if (x.rank !== 2) throw new Error(`dense: x must be 2-D [n, in], got shape [${x.shape}]`);
  if (w.rank !== 2 || w.shape[0] !== x.shape[1]) {
    throw new Error(`dense: w must be [${x.shape[1]}, out] to match x [${x.shape}], got shape [${w.shape}]`);
  }
  if (b !== null && (b.rank !== 1 || b.shape[0] !== w.shape[1])) {
    throw new Error(`dense: b must be [${w.shape[1]}] to match w [${w.shape}], got shape [${b.shape}]`);
  }
  const params = b === null ? [w] : [w, b];
  if (options.inputGradient === false) return denseOp(activation, x, b !== null)(...params);
  const key = `${activation}|${b !== null}`;
  let op = inputOps.get(key);
  if (op === undefined) inputOps.set(key, (op = denseOp(activation, null, b !== null)));
  return op(x, ...params);
}
