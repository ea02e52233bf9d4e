/**
 * Group Robust Preference Optimization (GR-DPO, GR-IPO; arXiv 2405.20304) with DPO, IPO and
 * importance-sampled baselines, the log-linear policy, and the group linear bandit they are compared on.
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
export * from './closedForm';
export * from './experiments';
export * from '../data/groupLinearBandit';
