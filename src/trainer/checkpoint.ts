/**
 * The GRPO trainer's checkpoint: its JSON form and its validation, shared by
 * `GRPOTrainer.checkpoint()` (which refuses to produce an invalid one), `GRPOTrainer.resume()`
 * and the file helpers `saveCheckpoint` / `loadCheckpoint` (src/checkpoint).
 */
import { FieldReader, describeValue, requireFiniteTree } from '../checkpoint/fields';
import { registerCheckpointFormat } from '../checkpoint/files';
import type { WeightData } from '../policy/types';
import { checkWeightData } from '../policy/weights';
import { checkRngState, type RngState } from '../random';
import { checkAdamState, type AdamState } from './adam';

/** Format tag of {@link GRPOCheckpoint}. */
export const GRPO_CHECKPOINT_FORMAT = 'hpa-kit/grpo-checkpoint';

/** Everything needed to continue a run exactly; plain JSON. */
export interface GRPOCheckpoint {
  format: 'hpa-kit/grpo-checkpoint';
  version: 1;
  /** Steps completed. */
  step: number;
  /** The resolved configuration (the estimator by name). */
  config: Record<string, string | number>;
  policy: WeightData[];
  /** Frozen reference weights (null when beta = 0, which needs no reference). */
  reference: WeightData[] | null;
  adam: AdamState;
  /**
   * The estimator's resolved options (every option after defaults, see `resolveEstimator`), or null
   * for an estimator passed as a ready object (its options are unknown to the kit).
   */
  estimator_options: Record<string, unknown> | null;
  estimator: unknown;
  /** Group-robust weights alpha, one per task group (present only when `group_robust` is on; see ./groupWeights). */
  group_weights?: number[];
  rng: RngState;
}

/**
 * The fields every trainer checkpoint shares, validated in order: `format` (must be `format`),
 * `version` 1, `step` (an integer >= 0), `config` (strings, finite numbers, and booleans where
 * `configBooleans`), `policy` weights and `reference` (null, or weights of the policy's names and
 * shapes). Returns the reader (for the trainer's own fields) and the policy weights.
 */
export function checkCheckpointHead(
  value: unknown,
  path: string,
  format: string,
  options: { configBooleans: boolean },
): { r: FieldReader; policy: WeightData[] } {
  const r = FieldReader.of(value, path);
  const given = r.required('format');
  if (given !== format) throw new Error(`${r.pathOf('format')} must be '${format}', got ${describeValue(given)}`);
  r.integer('version', 1, 1);
  r.integer('step', 0);
  const config = r.object('config');
  for (const key of Object.keys(config.value)) {
    const v = config.value[key];
    if (typeof v !== 'string' && !(options.configBooleans && typeof v === 'boolean')) config.number(key);
  }
  const policy = checkWeightData(null, r.required('policy'), r.pathOf('policy'));
  const reference = r.required('reference');
  if (reference !== null) checkWeightData(policy.map((w) => ({ name: w.name, shape: w.shape })), reference, r.pathOf('reference'));
  return { r, policy };
}

/**
 * Validates everything in a GRPO checkpoint that does not depend on the policy it is restored
 * into: format and version, `step`, `config` (strings and finite numbers), the policy and
 * reference weights (names, integer shapes, sizes, every value finite), the Adam state (one finite
 * moment array per policy weight, of its size), the estimator's options (an object or null; a
 * checkpoint saved before options were recorded is refused naming `estimator_options`), its state (no non-finite number) and
 * the RNG state ({@link checkRngState}). A missing or mistyped field, or a NaN (saved by JSON as
 * null), is an error naming the field, the variable and the index. Returns the checkpoint typed.
 */
export function checkGrpoCheckpoint(value: unknown, path = 'checkpoint'): GRPOCheckpoint {
  const { r, policy } = checkCheckpointHead(value, path, GRPO_CHECKPOINT_FORMAT, { configBooleans: false });
  checkAdamState(
    r.required('adam'),
    policy.map((w) => w.values.length),
    r.pathOf('adam'),
    policy.map((w) => w.name),
  );
  const estimatorOptions = r.objectOrNull('estimator_options');
  if (estimatorOptions !== null) requireFiniteTree(estimatorOptions.value, estimatorOptions.path);
  requireFiniteTree(r.required('estimator'), r.pathOf('estimator'));
  if ((value as { group_weights?: unknown }).group_weights !== undefined) r.numbers('group_weights');
  checkRngState(r.required('rng'), r.pathOf('rng'));
  return value as GRPOCheckpoint;
}

registerCheckpointFormat(GRPO_CHECKPOINT_FORMAT, (value) => {
  checkGrpoCheckpoint(value);
});
