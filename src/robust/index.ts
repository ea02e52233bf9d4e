/**
 * Group Robust Preference Optimization (GR-DPO, GR-IPO; arXiv 2405.20304) with DPO, IPO and
 * importance-sampled baselines: {@link GroupRobustTrainer} on any policy of the kit, the log-linear
 * policy with its closed-form GR-IPO, and the group linear bandit they are compared on.
 * @packageDocumentation
 */
export * from './policy';
export * from './config';
export * from './checkpoint';
export * from './losses';
export * from './groupWeights';
export * from './pairs';
export * from './rewardError';
export * from './trainer';
export * from './population';
export * from './closedForm';
export * from './methods';
export * from '../data/groupLinearBandit';
