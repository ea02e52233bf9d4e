/**
 * Reading and writing tf.Variables as plain arrays (checkpoints) and seeded initialisation.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';
import type { WeightData } from './types';

/** Values of a `[fanIn, fanOut]` matrix drawn Glorot-uniform from `rng`: U(-l, l), l = sqrt(6 / (fanIn + fanOut)). */
export function glorotUniform(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.uniform() - 1) * limit;
  return out;
}

/** Values drawn uniformly from (-limit, limit). */
export function uniformValues(rng: Rng, count: number, limit: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * rng.uniform() - 1) * limit;
  return out;
}

/**
 * Copies variables into plain arrays under the given local names (one read-back per variable; for
 * checkpoints, not per step). tfjs variable names are global and must be unique, so callers keep
 * their own readable names.
 */
export function variablesToData(vars: readonly tf.Variable[], names: readonly string[]): WeightData[] {
  return vars.map((v, i) => ({ name: names[i]!, shape: [...v.shape], values: Array.from(v.dataSync()) }));
}

/**
 * Writes plain arrays into variables, matched by position; names and shapes must agree.
 */
export function assignData(
  vars: readonly tf.Variable[],
  names: readonly string[],
  data: readonly WeightData[],
  what: string,
): void {
  if (data.length !== vars.length) {
    throw new Error(`${what}: expected ${vars.length} weight arrays, got ${data.length}`);
  }
  vars.forEach((v, i) => {
    const d = data[i]!;
    if (d.name !== names[i]) throw new Error(`${what}: weight ${i} is named '${d.name}', expected '${names[i]}'`);
    if (d.shape.length !== v.shape.length || d.shape.some((s, j) => s !== v.shape[j])) {
      throw new Error(`${what}: weight ${i} ('${d.name}') has shape [${d.shape}], expected [${v.shape}]`);
    }
    const size = v.shape.reduce((a, b) => a * b, 1);
    if (d.values.length !== size) {
      throw new Error(`${what}: weight ${i} ('${d.name}') has ${d.values.length} values, expected ${size}`);
    }
    tf.tidy(() => v.assign(tf.tensor(d.values, v.shape, 'float32')));
  });
}
