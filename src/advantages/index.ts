/**
 * Advantage estimators: GRPO (TRL's `scale_rewards`), Dr. GRPO, RLOO, P-GRPO with per-preference-group
 * running statistics, and custom rules, all over typed arrays.
 *
 * Each method's definition is one plain function in its own file (`grpoAdvantages` in grpo.ts,
 * `rlooAdvantages` in rloo.ts, `pgrpoAdvantages` in pgrpo.ts with its history in
 * preference-history.ts). Estimators are selected by name through a registry
 * (`registerEstimator`, `createEstimator`, `estimatorNames`), which the built-ins use too.
 * @packageDocumentation
 */
export * from './types';
export { grpoAdvantages, createGrpoEstimator, createDrGrpoEstimator, GRPO_DEFAULTS, type GrpoOptions, type ScaleRewards } from './grpo';
export { rlooAdvantages, createRlooEstimator } from './rloo';
export { pgrpoAdvantages, createPgrpoEstimator, PGRPO_DEFAULTS, type PgrpoEstimator, type PgrpoOptions, type PgrpoState } from './pgrpo';
export { createRandomGroupPgrpoEstimator, type RandomGroupPgrpoOptions } from './random-groups';
export type { PreferenceGroupStats, PreferenceGroupState } from './preference-history';
export { defineEstimator, type CustomAdvantageOutput } from './custom';
export {
  registerEstimator,
  unregisterEstimator,
  estimatorNames,
  estimatorInfo,
  resolveEstimator,
  createEstimator,
  type EstimatorConfig,
  type EstimatorFactory,
  type EstimatorInfo,
  type EstimatorName,
  type EstimatorOptionInfo,
  type EstimatorSpec,
  type EstimatorOptionValue,
  type ResolvedEstimator,
} from './registry';
export { validateInput, MAX_REWARD_MAGNITUDE } from './input';
export { ZERO_SPREAD_ULPS } from './moments';
