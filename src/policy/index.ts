/**
 * Policies: the {@link Policy} interface, the categorical MLP policy and the supervised warm start.
 */
export * from './types';
export { CategoricalMLPPolicy } from './categorical';
export type { CategoricalMLPOptions } from './categorical';
export { glorotUniform, checkWeightData } from './weights';
export type { WeightSpec } from './weights';
export { supervisedWarmStart } from './warmStart';
export type { WarmStartExample, WarmStartOptions } from './warmStart';
