/**
 * One entry point from a config value to an estimator, used by the trainer.
 */
import { createDrGrpoEstimator, createGrpoEstimator, type GrpoOptions } from './grpo';
import { createPgrpoEstimator, type PgrpoOptions } from './pgrpo';
import { createRlooEstimator } from './rloo';
import type { AdvantageEstimator } from './types';

/** Names of the built-in estimators. */
export type EstimatorName = 'grpo' | 'dr_grpo' | 'rloo' | 'pgrpo';

/** The built-in estimator names, for config validation and menus. */
export const ESTIMATOR_NAMES: readonly EstimatorName[] = ['grpo', 'dr_grpo', 'rloo', 'pgrpo'];

/** A built-in estimator by name, with its options next to the name. */
export type EstimatorConfig =
  | ({ name: 'grpo' } & GrpoOptions)
  | { name: 'dr_grpo' }
  | { name: 'rloo' }
  | ({ name: 'pgrpo' } & PgrpoOptions);

/** Anything {@link createEstimator} accepts: a name, a name with options, or a ready estimator. */
export type EstimatorSpec = EstimatorName | EstimatorConfig | AdvantageEstimator;

/**
 * Builds an estimator from a spec: `'grpo'`, `{ name: 'pgrpo', decay: 0.9 }`, or an object that
 * already implements {@link AdvantageEstimator} (e.g. from `defineEstimator`), returned as is.
 * Unknown names and unknown option keys are errors.
 */
export function createEstimator(spec: EstimatorSpec): AdvantageEstimator {
  if (typeof spec === 'string') return fromConfig({ name: spec } as EstimatorConfig);
  if (spec === null || typeof spec !== 'object') {
    throw new Error(`createEstimator: spec must be an estimator name (${ESTIMATOR_NAMES.join(', ')}), a config object or an estimator`);
  }
  if ('compute' in spec) return checkEstimator(spec);
  return fromConfig(spec);
}

function fromConfig(config: EstimatorConfig): AdvantageEstimator {
  const { name, ...options } = config;
  switch (name) {
    case 'grpo':
      return createGrpoEstimator(options as GrpoOptions);
    case 'dr_grpo':
      return withoutOptions(name, options, createDrGrpoEstimator);
    case 'rloo':
      return withoutOptions(name, options, createRlooEstimator);
    case 'pgrpo':
      return createPgrpoEstimator(options as PgrpoOptions);
    default:
      throw new Error(`createEstimator: unknown estimator '${String(name)}' (known: ${ESTIMATOR_NAMES.join(', ')})`);
  }
}

function withoutOptions(name: string, options: object, create: () => AdvantageEstimator): AdvantageEstimator {
  const keys = Object.keys(options);
  if (keys.length > 0) throw new Error(`${name}: unknown option '${keys[0]}' (${name} takes no options)`);
  return create();
}

function checkEstimator(estimator: AdvantageEstimator): AdvantageEstimator {
  const missing = (['compute', 'getState', 'setState'] as const).filter((k) => typeof estimator[k] !== 'function');
  if (missing.length > 0 || typeof estimator.name !== 'string' || estimator.name.length === 0) {
    throw new Error(`createEstimator: an estimator object needs a non-empty name and functions compute, getState, setState${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
  }
  return estimator;
}
