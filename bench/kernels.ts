/**
 * Micro-benchmarks behind the optimisations: the cost of one small kernel launch, and a matrix
 * product with a transpose flag against an explicit transpose plus a plain product.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { medianOf } from './python';

/** One matrix-product form at the step's gradient shapes. */
export interface ProductRow {
  product: string;
  flag_ms: number;
  explicit_ms: number;
}

function timeMs(f: () => void, reps: number): number {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    f();
    times.push(performance.now() - t0);
  }
  return medianOf(times);
}

/** Per-launch overhead of a scalar add (microseconds) and the three gradient products of the step's MLP. */
export async function kernelCosts(backend: string): Promise<{ launch_us: number; products: ProductRow[] }> {
  await initBackend(backend);
  const s = tf.scalar(1);
  const launchUs =
    timeMs(
      () =>
        tf.tidy(() => {
          let x = s;
          for (let i = 0; i < 100; i++) x = tf.add(x, s);
          x.dataSync();
        }),
      100,
    ) * 10;
  const shapes: [string, number[], number[], boolean][] = [
    ['x^T dy  [64,64]^T [64,256]', [64, 64], [64, 256], true],
    ['h^T dy  [64,256]^T [64,32]', [64, 256], [64, 32], true],
    ['dy W^T  [64,32] [256,32]^T', [64, 32], [256, 32], false],
  ];
  const products = shapes.map(([product, sa, sb, transposeA]) => {
    const a = tf.randomNormal(sa);
    const b = tf.randomNormal(sb);
    const flag = timeMs(() => tf.tidy(() => void tf.matMul(a, b, transposeA, !transposeA).dataSync()), 100);
    const explicit = timeMs(
      () => tf.tidy(() => void (transposeA ? tf.matMul(tf.transpose(a), b) : tf.matMul(a, tf.transpose(b))).dataSync()),
      100,
    );
    tf.dispose([a, b]);
    return { product, flag_ms: flag, explicit_ms: explicit };
  });
  s.dispose();
  return { launch_us: launchUs, products };
}
