/**
 * The estimator registry: every estimator the trainer can build by name, the built-ins included.
 *
 * ```ts
 * registerEstimator('mean_baseline', ({ shift }) => defineEstimator('mean_baseline', (input) =>
 *   input.rewards.map((r) => r - (shift as number))), {
 *   description: 'reward minus a fixed shift',
 *   options: { shift: { description: 'subtracted from every reward', default: 0.5 } },
 * });
 * new GRPOTrainer(policy, task, { advantage: { name: 'mean_baseline', shift: 0.25 } });
 * ```
 *
 * The registry lives in the process that registered into it: experiments that run cells in worker
 * processes know only the estimators registered by modules those workers import.
 */
import { createDrGrpoEstimator, createGrpoEstimator, GRPO_DEFAULTS, type GrpoOptions } from './grpo';
import { createPgrpoEstimator, PGRPO_DEFAULTS, type PgrpoOptions } from './pgrpo';
import { createRandomGroupPgrpoEstimator, type RandomGroupPgrpoOptions } from './random-groups';
import { createRlooEstimator } from './rloo';
import type { AdvantageEstimator } from './types';

/** Names of the built-in estimators. */
export type EstimatorName = 'grpo' | 'dr_grpo' | 'rloo' | 'pgrpo' | 'pgrpo_random_groups';

/** A JSON value: what estimator options and their defaults must be, so checkpoints can record them. */
export type EstimatorOptionValue = string | number | boolean | null | readonly EstimatorOptionValue[] | { readonly [key: string]: EstimatorOptionValue };

/** Documentation of one estimator option. */
export interface EstimatorOptionInfo {
  /** What the option does, one sentence. */
  description: string;
  /** Value used when the option is not given; absent: the option is unset by default. */
  default?: EstimatorOptionValue;
}

/** What {@link registerEstimator} knows about an estimator besides how to build it. */
export interface EstimatorInfo {
  /** What the estimator computes, one sentence (shown in menus and errors). */
  description: string;
  /** Every option the estimator accepts, with docs and defaults; any other key is an error. Omitted: no options. */
  options?: Record<string, EstimatorOptionInfo>;
  /** True when the advantages depend on the preference-group labels (P-GRPO), not only on generation groups. */
  needsPreferenceGroups?: boolean;
  /** True when each generation group needs at least two samples (the baseline is a prompt's other samples). */
  needsTwoGenerations?: boolean;
}

/**
 * Builds an estimator from its resolved options: every option of {@link EstimatorInfo.options}
 * with its default filled in (unset options without a default are absent), unknown keys already refused.
 */
export type EstimatorFactory = (options: Record<string, EstimatorOptionValue>) => AdvantageEstimator;

/** An estimator by registered name, with its options next to the name: `{ name: 'pgrpo', decay: 0.9 }`. */
export interface EstimatorConfig {
  name: string;
  [option: string]: unknown;
}

/** Anything {@link createEstimator} accepts: a name, a name with options, or a ready estimator. */
export type EstimatorSpec = EstimatorName | (string & {}) | EstimatorConfig | AdvantageEstimator;

/** A spec resolved against the registry: the name and every option after defaults (what checkpoints record). */
export interface ResolvedEstimator {
  name: string;
  options: Record<string, EstimatorOptionValue>;
}

interface Entry {
  factory: EstimatorFactory;
  info: EstimatorInfo;
}

const registry = new Map<string, Entry>();

/**
 * Adds an estimator under `name`, so that `createEstimator(name)`, `createEstimator({ name, ...options })`,
 * a trainer's `advantage: { name, ... }` and an experiment's method spec can select it.
 *
 * `factory` receives the resolved options (defaults from `info.options` filled in, unknown keys
 * refused with an error naming them). Registering a name that exists is an error unless
 * `{ replace: true }` (e.g. re-running a notebook cell).
 */
export function registerEstimator(name: string, factory: EstimatorFactory, info: EstimatorInfo, opts: { replace?: boolean } = {}): void {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
    throw new Error(`registerEstimator: name must be an identifier-like string (letters, digits, _ . -), got ${JSON.stringify(name)}`);
  }
  if (typeof factory !== 'function') throw new Error(`registerEstimator('${name}'): factory must be a function (options) => AdvantageEstimator`);
  if (info === null || typeof info !== 'object' || typeof info.description !== 'string' || info.description.length === 0) {
    throw new Error(`registerEstimator('${name}'): info.description must be a non-empty string`);
  }
  for (const [key, option] of Object.entries(info.options ?? {})) {
    if (option === null || typeof option !== 'object' || typeof option.description !== 'string') {
      throw new Error(`registerEstimator('${name}'): info.options.${key} needs a description`);
    }
  }
  if (registry.has(name) && opts.replace !== true) {
    throw new Error(`registerEstimator: an estimator named '${name}' is already registered; pass { replace: true } to replace it`);
  }
  registry.set(name, { factory, info });
}

/** Removes a registered estimator (built-ins included); returns whether it was registered. */
export function unregisterEstimator(name: string): boolean {
  return registry.delete(name);
}

/** The registered estimator names, in order of registration (built-ins first). */
export function estimatorNames(): string[] {
  return [...registry.keys()];
}

/** What was registered about `name` (description, options with docs and defaults, needs); unknown names are an error. */
export function estimatorInfo(name: string): EstimatorInfo {
  return entryOf(name).info;
}

/**
 * The name and resolved options of a spec: defaults filled in, unknown option keys an error naming
 * the key. A ready estimator object has no registered options: its name with `options: null`.
 */
export function resolveEstimator(spec: string | EstimatorConfig): ResolvedEstimator {
  const { name, ...given } = typeof spec === 'string' ? { name: spec } : spec;
  const { info } = entryOf(name);
  const documented = info.options ?? {};
  for (const key of Object.keys(given)) {
    if (!(key in documented)) {
      const known = Object.keys(documented);
      throw new Error(`${name}: unknown option '${key}' (${known.length > 0 ? `known options: ${known.join(', ')}` : `${name} takes no options`})`);
    }
  }
  const options: Record<string, EstimatorOptionValue> = {};
  for (const [key, option] of Object.entries(documented)) {
    const value = given[key] !== undefined ? given[key] : option.default;
    if (value !== undefined) options[key] = value as EstimatorOptionValue;
  }
  return { name, options };
}

/**
 * Builds an estimator from a spec: a registered name (`'grpo'`), a name with options
 * (`{ name: 'pgrpo', decay: 0.9 }`), or an object that already implements {@link AdvantageEstimator}
 * (e.g. from `defineEstimator`), returned as is. Unknown names and unknown option keys are errors.
 */
export function createEstimator(spec: EstimatorSpec): AdvantageEstimator {
  if (spec === null || (typeof spec !== 'string' && typeof spec !== 'object')) {
    throw new Error(`createEstimator: spec must be an estimator name (${estimatorNames().join(', ')}), a config object or an estimator`);
  }
  if (typeof spec === 'object' && 'compute' in spec) return checkEstimator(spec as AdvantageEstimator);
  const resolved = resolveEstimator(spec as string | EstimatorConfig);
  return checkEstimator(entryOf(resolved.name).factory(resolved.options));
}

function entryOf(name: unknown): Entry {
  const entry = typeof name === 'string' ? registry.get(name) : undefined;
  if (entry === undefined) {
    throw new Error(
      `createEstimator: unknown estimator '${String(name)}' (known: ${estimatorNames().join(', ')}). ` +
        'An estimator registered with registerEstimator exists only in the process that registered it: for experiments ' +
        'run in worker processes, register it in a module the workers import, or run the experiment in-process',
    );
  }
  return entry;
}

function checkEstimator(estimator: AdvantageEstimator): AdvantageEstimator {
  const missing = (['compute', 'getState', 'setState'] as const).filter((k) => typeof estimator?.[k] !== 'function');
  if (missing.length > 0 || typeof estimator.name !== 'string' || estimator.name.length === 0) {
    throw new Error(`createEstimator: an estimator object needs a non-empty name and functions compute, getState, setState${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`);
  }
  return estimator;
}

// The built-ins, registered the way a user registers their own.
const EPSILON_DOC = 'Added to the std before dividing.';
registerEstimator('grpo', (o) => createGrpoEstimator(o as GrpoOptions), {
  description: 'GRPO: reward minus its prompt\'s mean reward, divided by a std (TRL\'s scale_rewards).',
  options: {
    scale_rewards: { description: "'group': std of the prompt's rewards; 'batch': std of the whole batch; 'none': no division.", default: GRPO_DEFAULTS.scale_rewards },
    epsilon: { description: `${EPSILON_DOC} Must be >= 0.`, default: GRPO_DEFAULTS.epsilon },
  },
  needsTwoGenerations: true,
});
registerEstimator('dr_grpo', () => createDrGrpoEstimator(), {
  description: "Dr. GRPO: reward minus its prompt's mean reward, no std division.",
  needsTwoGenerations: true,
});
registerEstimator('rloo', () => createRlooEstimator(), {
  description: "RLOO: reward minus the mean of its prompt's other rewards (leave-one-out).",
  needsTwoGenerations: true,
});
const PGRPO_OPTIONS: Record<string, EstimatorOptionInfo> = {
  update: { description: "'before': the batch enters the statistics before its advantages; 'after': only earlier batches.", default: PGRPO_DEFAULTS.update },
  min_count: { description: 'Warm-up: below this many rewards a group falls back to the batch mean and std.', default: PGRPO_DEFAULTS.min_count },
  decay: { description: 'Exponential forgetting in (0, 1] per batch (unset: full history). Excludes window.' },
  window: { description: 'Keep only the last window rewards per group (unset: full history). Excludes decay.' },
  epsilon: { description: `${EPSILON_DOC} Must be > 0.`, default: PGRPO_DEFAULTS.epsilon },
  groups: { description: 'Declared preference groups; a sample from any other group is an error (unset: any).' },
};
registerEstimator('pgrpo', (o) => createPgrpoEstimator(o as PgrpoOptions), {
  description: "P-GRPO: reward normalised by its preference group's running mean and std (Welford).",
  options: PGRPO_OPTIONS,
  needsPreferenceGroups: true,
});
registerEstimator('pgrpo_random_groups', (o) => createRandomGroupPgrpoEstimator(o as unknown as RandomGroupPgrpoOptions), {
  description: "The P-GRPO paper's ablation: P-GRPO over preference groups drawn at random per prompt with the true shares.",
  options: {
    groups: { description: 'The preference groups to draw from (required).' },
    shares: { description: 'Probability of each group, in the order of groups (required).' },
    seed: { description: "Seed of the draws (saved in the estimator's state).", default: 0 },
    update: PGRPO_OPTIONS.update!,
    min_count: PGRPO_OPTIONS.min_count!,
    decay: PGRPO_OPTIONS.decay!,
    window: PGRPO_OPTIONS.window!,
    epsilon: PGRPO_OPTIONS.epsilon!,
  },
});
