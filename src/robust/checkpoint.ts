/**
 * The group-robust trainer's checkpoint format and its validation. A checkpoint is validated in full
 * (every field present, every number finite, shapes matching the policy) before anything is restored,
 * so a bad checkpoint leaves the policy untouched and names the offending field.
 */
import type { AdamState } from '../trainer/adam';
import type { SGDState } from '../trainer/sgd';
import type { WeightData } from '../policy/types';
import type { RngState } from '../random';

/** Everything needed to continue a group-robust run exactly; plain JSON. */
export interface GroupRobustCheckpoint {
  format: 'hpa-kit/group-robust-checkpoint';
  version: 1;
  /** Steps completed. */
  step: number;
  /** The resolved configuration. */
  config: Record<string, string | number | boolean>;
  policy: WeightData[];
  /** Frozen reference weights (null with `reference: 'uniform'`). */
  reference: WeightData[] | null;
  optimizer: { name: 'sgd'; state: SGDState } | { name: 'adam'; state: AdamState };
  /** Group weights alpha, one per group. */
  alpha: number[];
  rng: RngState;
}

function fail(field: string, rule: string, value: unknown): never {
  const shown = typeof value === 'object' ? (value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object') : String(value);
  throw new Error(`group-robust checkpoint: ${field} must be ${rule}, got ${shown}`);
}

function finiteArray(value: unknown, field: string, length?: number): number[] {
  if (!Array.isArray(value)) fail(field, 'an array of finite numbers', value);
  if (length !== undefined && value.length !== length) fail(field, `${length} numbers`, `${value.length} numbers`);
  value.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) fail(`${field}[${i}]`, 'a finite number', x);
  });
  return value as number[];
}

function nonNegativeInt(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(field, 'a non-negative integer', value);
}

/** Checks weight arrays against the expected names and shapes (from the live policy). */
function checkWeights(value: unknown, field: string, expected: readonly WeightData[]): void {
  if (!Array.isArray(value)) fail(field, 'an array of weight arrays', value);
  if (value.length !== expected.length) fail(field, `${expected.length} weight arrays`, `${value.length}`);
  value.forEach((w: Partial<WeightData> | null, i) => {
    const want = expected[i]!;
    if (w === null || typeof w !== 'object') fail(`${field}[${i}]`, 'an object with name, shape and values', w);
    if (w.name !== want.name) fail(`${field}[${i}].name`, `'${want.name}'`, w.name);
    const shape = finiteArray(w.shape, `${field}[${i}].shape`);
    if (shape.length !== want.shape.length || shape.some((s, j) => s !== want.shape[j])) fail(`${field}[${i}].shape`, `[${want.shape}]`, `[${shape}]`);
    finiteArray(w.values, `${field}[${i}].values`, want.values.length);
  });
}

/**
 * Validates a checkpoint in full against the live trainer's expectations; throws an error naming
 * the first bad field. Nothing is modified.
 * @param weightsTemplate - the policy's current weights (names, shapes, sizes to match).
 * @param hasReference - whether the configuration keeps a frozen reference.
 */
export function validateGroupRobustCheckpoint(
  checkpoint: unknown,
  expect: { config: Record<string, string | number | boolean>; weightsTemplate: readonly WeightData[]; hasReference: boolean; numGroups: number },
): asserts checkpoint is GroupRobustCheckpoint {
  if (checkpoint === null || typeof checkpoint !== 'object') fail('the checkpoint', "a version-1 'hpa-kit/group-robust-checkpoint' object", checkpoint);
  const c = checkpoint as Record<string, unknown>;
  if (c.format !== 'hpa-kit/group-robust-checkpoint') fail('format', "'hpa-kit/group-robust-checkpoint'", c.format);
  if (c.version !== 1) fail('version', '1', c.version);
  nonNegativeInt(c.step, 'step');
  if (c.config === null || typeof c.config !== 'object') fail('config', 'an object', c.config);
  const saved = c.config as Record<string, unknown>;
  for (const [key, value] of Object.entries(expect.config)) {
    if (!(key in saved)) fail(`config.${key}`, `present (the run uses ${String(value)})`, undefined);
    if (saved[key] !== value) throw new Error(`GroupRobustConfig.${key} is ${String(value)} but the checkpoint was trained with ${String(saved[key])}`);
  }
  for (const key of Object.keys(saved)) if (!(key in expect.config)) fail(`config.${key}`, 'a known configuration key', key);
  checkWeights(c.policy, 'policy', expect.weightsTemplate);
  if (expect.hasReference) checkWeights(c.reference, 'reference', expect.weightsTemplate);
  else if (c.reference !== null) fail('reference', "null (the configuration's reference is 'uniform')", c.reference);
  const opt = c.optimizer as { name?: unknown; state?: Record<string, unknown> } | null;
  if (opt === null || typeof opt !== 'object') fail('optimizer', 'an object with name and state', opt);
  if (opt.name !== expect.config.optimizer) fail('optimizer.name', `'${String(expect.config.optimizer)}'`, opt.name);
  if (opt.state === null || typeof opt.state !== 'object') fail('optimizer.state', 'an object', opt.state);
  nonNegativeInt(opt.state.step, 'optimizer.state.step');
  if (opt.name === 'adam') {
    for (const which of ['m', 'v'] as const) {
      const arrays = opt.state[which];
      if (!Array.isArray(arrays) || arrays.length !== expect.weightsTemplate.length) fail(`optimizer.state.${which}`, `${expect.weightsTemplate.length} arrays`, arrays);
      arrays.forEach((a, i) => finiteArray(a, `optimizer.state.${which}[${i}]`, expect.weightsTemplate[i]!.values.length));
    }
  }
  const alpha = finiteArray(c.alpha, 'alpha', expect.numGroups);
  alpha.forEach((a, g) => {
    if (!(a > 0)) fail(`alpha[${g}]`, 'positive', a);
  });
  const total = alpha.reduce((s, a) => s + a, 0);
  if (Math.abs(total - 1) > 1e-9) fail('alpha', 'weights summing to 1', `a sum of ${total}`);
  const rng = c.rng;
  if (!Array.isArray(rng) || rng.length !== 4 || rng.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) fail('rng', 'four unsigned 32-bit integers', rng);
}
