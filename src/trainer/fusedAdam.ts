/**
 * Adam's element-wise update as one tfjs kernel on the plain-JavaScript `cpu` backend.
 *
 * Written with tfjs ops, an update is some thirty kernels (moments, bias corrections, square root,
 * split into variables, subtraction), and on the cpu backend each is a JavaScript loop over a freshly
 * allocated array: 7.5-8.9 ms per update at the benchmark's 24,896 parameters, against 0.9 ms for
 * this single loop. It does the same float32 operations in the same order: every intermediate is
 * rounded to float32 (`Math.fround`) exactly where a float32 kernel rounds it, so the results are
 * bit-identical to the op-by-op update (tested). On wasm the same loop over the module's heap was
 * no faster than the backend's SIMD kernels (0.93-0.99 vs 0.76-0.96 ms), and on a GPU the data should
 * not leave the device, so every other backend keeps the op-by-op update.
 */
import * as tf from '@tensorflow/tfjs';

/** Name under which the kernel is registered. */
export const FUSED_ADAM_KERNEL = 'HpaFusedAdam';

/** Scalars of one update; `c1`, `c2` are the bias corrections `1 - beta^t`. */
export interface FusedAdamScalars {
  beta1: number;
  beta2: number;
  eps: number;
  learning_rate: number;
  c1: number;
  c2: number;
}

const fround = Math.fround;

/**
 * The update on plain arrays: reads gradients, moments and parameters, writes the new ones (output
 * arrays may not alias inputs). Scalars enter as float32, as tfjs uploads them.
 */
function adamLoop(
  grads: Float32Array[],
  m: Float32Array,
  v: Float32Array,
  params: Float32Array[],
  outM: Float32Array,
  outV: Float32Array,
  outParams: Float32Array[],
  s: FusedAdamScalars,
): void {
  const b1 = fround(s.beta1);
  const oneMinusB1 = fround(1 - s.beta1);
  const b2 = fround(s.beta2);
  const oneMinusB2 = fround(1 - s.beta2);
  const c1 = fround(s.c1);
  const c2 = fround(s.c2);
  const eps = fround(s.eps);
  const lr = fround(s.learning_rate);
  let k = 0; // position in the flat moments
  for (let p = 0; p < grads.length; p++) {
    const g = grads[p]!;
    const x = params[p]!;
    const out = outParams[p]!;
    for (let i = 0; i < g.length; i++, k++) {
      const gi = g[i]!;
      // m = m b1 + g (1 - b1);  v = v b2 + g^2 (1 - b2)
      const mk = fround(fround(m[k]! * b1) + fround(gi * oneMinusB1));
      const vk = fround(fround(v[k]! * b2) + fround(fround(gi * gi) * oneMinusB2));
      outM[k] = mk;
      outV[k] = vk;
      // x -= lr * (m / c1) / (sqrt(v / c2) + eps)
      const denominator = fround(fround(Math.sqrt(fround(vk / c2))) + eps);
      out[i] = fround(x[i]! - fround(fround(fround(mk / c1) / denominator) * lr));
    }
  }
}

/**
 * The kernel. Inputs `g0..g{V-1}` (gradients), `m`, `v` (flat moments), `x0..x{V-1}` (parameters);
 * the cpu backend keeps each tensor's data as a typed array in its data map.
 */
function cpuKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo[] {
  const backend = args.backend as {
    data: { get(id: unknown): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
  };
  const count = Number(args.attrs!.count);
  const input = (name: string) => args.inputs[name]!;
  const read = (t: tf.TensorInfo) => backend.data.get(t.dataId).values;
  const [m, v] = [input('m'), input('v')];
  const params = Array.from({ length: count }, (_, i) => input(`x${i}`));
  const grads = Array.from({ length: count }, (_, i) => read(input(`g${i}`)));
  const outM = new Float32Array(read(m).length);
  const outV = new Float32Array(read(v).length);
  const outParams = params.map((x) => new Float32Array(read(x).length));
  adamLoop(grads, read(m), read(v), params.map(read), outM, outV, outParams, args.attrs as unknown as FusedAdamScalars);
  return [
    backend.makeTensorInfo(m.shape, 'float32', outM),
    backend.makeTensorInfo(v.shape, 'float32', outV),
    ...params.map((x, i) => backend.makeTensorInfo(x.shape, 'float32', outParams[i]!)),
  ];
}

// Registered once per process (the kit may be loaded twice, e.g. from src and from dist).
if (tf.getKernel(FUSED_ADAM_KERNEL, 'cpu') === undefined) {
  tf.registerKernel({ kernelName: FUSED_ADAM_KERNEL, backendName: 'cpu', kernelFunc: cpuKernel as unknown as tf.KernelFunc });
}

/** Whether the active backend has the fused kernel. */
export function fusedAdamAvailable(): boolean {
  return tf.getKernel(FUSED_ADAM_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * One fused update: returns the new first and second moments (flat, variables end to end) and the
 * new value of each parameter, as new tensors (the caller assigns them). Inputs are not modified.
 */
export function fusedAdamUpdate(
  grads: readonly tf.Tensor[],
  m: tf.Tensor1D,
  v: tf.Tensor1D,
  params: readonly tf.Tensor[],
  scalars: FusedAdamScalars,
): { m: tf.Tensor1D; v: tf.Tensor1D; params: tf.Tensor[] } {
  const inputs: tf.NamedTensorMap = { m, v };
  grads.forEach((g, i) => (inputs[`g${i}`] = g));
  params.forEach((x, i) => (inputs[`x${i}`] = x));
  const attrs = { ...scalars, count: params.length } as unknown as tf.NamedAttrMap;
  const [newM, newV, ...newParams] = tf.engine().runKernel(FUSED_ADAM_KERNEL, inputs, attrs) as tf.Tensor[];
  return { m: newM as tf.Tensor1D, v: newV as tf.Tensor1D, params: newParams };
}
