/**
 * Advantage estimators: GRPO (TRL's `scale_rewards`), Dr. GRPO, RLOO, P-GRPO with per-preference-group
 * running statistics, and custom rules, all over typed arrays.
 * @packageDocumentation
 */
export * from './types';
export { createGrpoEstimator, createDrGrpoEstimator, type GrpoOptions, type ScaleRewards } from './grpo';
export { createRlooEstimator } from './rloo';
export { createPgrpoEstimator, type PgrpoEstimator, type PgrpoOptions, type PgrpoState } from './pgrpo';
export type { PreferenceGroupStats, PreferenceGroupState } from './preference-history';
export { defineEstimator, type CustomAdvantageOutput } from './custom';
export { createEstimator, ESTIMATOR_NAMES, type EstimatorConfig, type EstimatorName, type EstimatorSpec } from './factory';
export { validateInput, MAX_REWARD_MAGNITUDE } from './input';
export { ZERO_SPREAD_ULPS } from './moments';
