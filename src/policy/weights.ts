/**
 * Reading and writing tf.Variables as plain arrays (checkpoints) and seeded initialisation.
 */
import * as tf from '@tensorflow/tfjs';
import { FieldReader, describeValue, requireFloat32Numbers } from '../checkpoint/fields';
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

/** The name and shape a weight array must have (what {@link checkWeightData} compares against). */
export interface WeightSpec {
  name: string;
  shape: readonly number[];
}

/**
 * Validates saved weight arrays: each an object with a string `name`, an integer `shape` and
 * `values` of that size, every value a finite number (a NaN saved by JSON as null, a missing or
 * mistyped field is an error naming the array, its name and the index). With `expected`, also
 * the same count, order, names and shapes as those. `what` prefixes messages. Returns the data typed.
 */
export function checkWeightData(expected: readonly WeightSpec[] | null, data: unknown, what: string): WeightData[] {
  if (!Array.isArray(data)) throw new Error(`${what}: weights must be an array of weight arrays, got ${describeValue(data)}`);
  if (expected !== null && data.length !== expected.length) {
    throw new Error(`${what}: expected ${expected.length} weight arrays, got ${data.length}`);
  }
  data.forEach((item, i) => {
    const d = FieldReader.of(item, `${what}: weight ${i}`);
    const name = d.string('name');
    const spec = expected?.[i];
    if (spec !== undefined && name !== spec.name) throw new Error(`${what}: weight ${i} is named '${name}', expected '${spec.name}'`);
    const shape = d.array('shape');
    if (shape.some((s) => typeof s !== 'number' || !Number.isInteger(s) || s < 0)) {
      throw new Error(`${what}: weight ${i} ('${name}') has shape [${shape.map(String).join(',')}]; dimensions must be non-negative integers`);
    }
    if (spec !== undefined && (shape.length !== spec.shape.length || shape.some((s, j) => s !== spec.shape[j]))) {
      throw new Error(`${what}: weight ${i} ('${name}') has shape [${shape.map(String).join(',')}], expected [${spec.shape}]`);
    }
    const size = (shape as number[]).reduce((x, y) => x * y, 1);
    const values = d.array('values');
    if (values.length !== size) throw new Error(`${what}: weight ${i} ('${name}') has ${values.length} values, expected ${size}`);
    requireFloat32Numbers(values, `${what}: weight ${i} ('${name}') values`);
  });
  return data as WeightData[];
}

/**
 * Writes plain arrays into variables, matched by position. Everything is validated first (see
 * {@link checkWeightData}), so on an error no variable has changed.
 */
export function assignData(
  vars: readonly tf.Variable[],
  names: readonly string[],
  data: readonly WeightData[],
  what: string,
): void {
  checkWeightData(vars.map((v, i) => ({ name: names[i]!, shape: v.shape })), data, what);
  vars.forEach((v, i) => {
    tf.tidy(() => v.assign(tf.tensor(data[i]!.values, v.shape, 'float32')));
  });
}
