/**
 * The group-robust trainer's checkpoint format and its validation, on the kit's checkpoint plumbing
 * (src/checkpoint: {@link FieldReader}, the weight, Adam and Rng checks). A checkpoint is validated in
 * full (every field present, every number finite, shapes matching the policy, the configuration equal)
 * before anything is restored, so a bad checkpoint leaves the policy untouched and names the field.
 */
import { checkCheckpointHead } from '../trainer/checkpoint';
import { registerCheckpointFormat } from '../checkpoint/files';
import type { WeightData } from '../policy/types';
import { checkWeightData } from '../policy/weights';
import { checkRngState, type RngState } from '../random';
import { checkAdamState, type AdamState } from '../trainer/adam';
import type { SGDState } from '../trainer/sgd';

/** Format tag of {@link GroupRobustCheckpoint}. */
export const GROUP_ROBUST_CHECKPOINT_FORMAT = 'hpa-kit/group-robust-checkpoint';

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
  /** Group weights alpha, one per group, positive, summing to 1. */
  alpha: number[];
  rng: RngState;
}

/**
 * Validates everything in a group-robust checkpoint that does not depend on the policy it is
 * restored into: format and version, `step`, `config` (strings, booleans, finite numbers), policy and
 * reference weights (names, shapes, sizes, finite values), the optimiser state (SGD's step, or
 * Adam's finite moments of the policy weights' sizes), alpha (positive, finite, summing to 1) and
 * the Rng state. Errors name the field's path. Returns the checkpoint typed.
 */
export function checkGroupRobustCheckpoint(value: unknown, path = 'checkpoint'): GroupRobustCheckpoint {
  const { r, policy } = checkCheckpointHead(value, path, GROUP_ROBUST_CHECKPOINT_FORMAT, { configBooleans: true });
  const optimizer = r.object('optimizer');
  const name = optimizer.string('name', ['sgd', 'adam']);
  if (name === 'adam') {
    checkAdamState(optimizer.required('state'), policy.map((w) => w.values.length), optimizer.pathOf('state'), policy.map((w) => w.name));
  } else {
    optimizer.object('state').integer('step', 0);
  }
  const alpha = r.numbers('alpha');
  if (alpha.length === 0) throw new Error(`${r.pathOf('alpha')} must hold one weight per group, got none`);
  alpha.forEach((a, g) => {
    if (!(a > 0)) throw new Error(`${r.pathOf('alpha')}[${g}] must be positive, got ${a}`);
  });
  const total = alpha.reduce((s, a) => s + a, 0);
  if (Math.abs(total - 1) > 1e-9) throw new Error(`${r.pathOf('alpha')} must sum to 1, got a sum of ${total}`);
  checkRngState(r.required('rng'), r.pathOf('rng'));
  return value as GroupRobustCheckpoint;
}

registerCheckpointFormat(GROUP_ROBUST_CHECKPOINT_FORMAT, (value) => {
  checkGroupRobustCheckpoint(value);
});

/**
 * {@link checkGroupRobustCheckpoint}, then the checks against the trainer it is restored into: the
 * configuration equal key by key (a differing key is an error naming it), the weights' names and
 * shapes those of the policy, a reference exactly when the configuration keeps one, the optimiser
 * the configured one, one alpha per group. Nothing is modified.
 * @param expect.weightsTemplate - the policy's current weights (names and shapes to match).
 */
export function validateGroupRobustCheckpoint(
  checkpoint: unknown,
  expect: { config: Record<string, string | number | boolean>; weightsTemplate: readonly WeightData[]; hasReference: boolean; numGroups: number },
): asserts checkpoint is GroupRobustCheckpoint {
  const c = checkGroupRobustCheckpoint(checkpoint);
  for (const [key, value] of Object.entries(expect.config)) {
    if (!(key in c.config)) throw new Error(`checkpoint.config.${key} is missing (the run uses ${String(value)})`);
    if (c.config[key] !== value) throw new Error(`GroupRobustConfig.${key} is ${String(value)} but the checkpoint was trained with ${String(c.config[key])}`);
  }
  for (const key of Object.keys(c.config)) if (!(key in expect.config)) throw new Error(`checkpoint.config.${key} is not a GroupRobustConfig key`);
  const spec = expect.weightsTemplate.map((w) => ({ name: w.name, shape: w.shape }));
  checkWeightData(spec, c.policy, 'checkpoint.policy');
  if (expect.hasReference && c.reference === null) throw new Error("checkpoint.reference is null but the configuration's reference is 'initial'");
  if (!expect.hasReference && c.reference !== null) throw new Error("checkpoint.reference must be null: the configuration's reference is 'uniform'");
  if (c.optimizer.name !== expect.config.optimizer) throw new Error(`checkpoint.optimizer.name is '${c.optimizer.name}' but the configuration's optimizer is '${String(expect.config.optimizer)}'`);
  if (c.alpha.length !== expect.numGroups) throw new Error(`checkpoint.alpha has ${c.alpha.length} weights, expected one per group (${expect.numGroups})`);
}
