/**
 * P-GRPO (personalized GRPO, arXiv 2603.10009): rewards are normalised by running statistics of
 * the sample's preference group instead of its generation group, so a minority group whose rewards
 * sit on a different scale is neither drowned out by nor mistaken for the majority.
 */
import { markZeroSpread } from './generation';
import { denseGroups } from './grouping';
import { checkEpsilon, checkOptionKeys, emptyResult, validateInput } from './input';
import { unbiasedStd, wholeMoments } from './moments';
import { PreferenceHistory, checkGroupState, type PreferenceGroupState, type PreferenceGroupStats } from './preference-history';
import type { AdvantageEstimator, AdvantageInput, AdvantageResult } from './types';

/** Options of {@link createPgrpoEstimator}. */
export interface PgrpoOptions {
  /**
   * `'before'` (default): the batch's rewards enter the statistics before its advantages are
   * computed, so a group's first batch is already normalised by its own rewards (as GRPO
   * normalises by the group it belongs to) instead of falling back, and every sample is compared
   * with a baseline that includes it. `'after'`: advantages use only earlier batches (a strictly
   * out-of-sample baseline); the batch is absorbed afterwards.
   */
  update?: 'before' | 'after';
  /**
   * Warm-up, default 2 (an unbiased std needs two samples; must be an integer >= 2): while the
   * statistics used for a group cover fewer rewards than this, its samples are normalised by the
   * mean and std of the whole current batch instead, and flagged `fallback = 1`. (A one-sample
   * batch has std 0, so such a sample gets advantage 0.)
   */
  min_count?: number;
  /**
   * Exponential forgetting in (0, 1]: each batch multiplies all past weights by `decay` (see
   * `PreferenceHistory` for the weighted update). Default: none (full history). Excludes `window`.
   */
  decay?: number;
  /** Keep only the last `window` rewards per group (integer >= `min_count`). Default: none. Excludes `decay`. */
  window?: number;
  /** Added to the std before dividing; default `1e-4` (TRL's GRPO value). Must be > 0 because a group's std may be 0. */
  epsilon?: number;
  /** Declared preference groups: listed in `stats()` from the start; a sample from any other group is an error. */
  groups?: readonly string[];
}

/** JSON-safe P-GRPO state, from `getState()`. */
export interface PgrpoState {
  estimator: 'pgrpo';
  version: 1;
  decay: number | null;
  window: number | null;
  groups: PreferenceGroupState[];
}

/** A P-GRPO estimator: an {@link AdvantageEstimator} whose running statistics can be inspected. */
export interface PgrpoEstimator extends AdvantageEstimator {
  /** Current statistics per preference group (count, weight, mean, std, m2). */
  stats(): Record<string, PreferenceGroupStats>;
  getState(): PgrpoState;
}

const NAME = 'pgrpo';

/** P-GRPO's defaults (`decay`, `window` and `groups` are unset by default): the registry documents and records these. */
export const PGRPO_DEFAULTS = { update: 'before', min_count: 2, epsilon: 1e-4 } as const;

/**
 * P-GRPO: `advantage = (r - mean_p) / (std_p + epsilon)`, where `mean_p` and `std_p` are running
 * statistics of the sample's preference group over the batches seen so far (see
 * {@link PgrpoOptions}). Std convention: unbiased, as GRPO (weighted variant with `decay`).
 * Baselines report `mean_p`, scales `std_p + epsilon`. Generation groups only feed the
 * `zeroStdGeneration` diagnostic here; single-sample generation groups are allowed (flagged 1).
 */
export function createPgrpoEstimator(options?: PgrpoOptions): PgrpoEstimator {
  checkOptionKeys(NAME, options, ['update', 'min_count', 'decay', 'window', 'epsilon', 'groups']);
  const update = options?.update ?? PGRPO_DEFAULTS.update;
  if (update !== 'before' && update !== 'after') throw new Error(`${NAME}: update must be 'before' or 'after', got ${String(update)}`);
  const minCount = options?.min_count ?? PGRPO_DEFAULTS.min_count;
  if (!Number.isInteger(minCount) || minCount < 2) throw new Error(`${NAME}: min_count must be an integer >= 2, got ${minCount}`);
  const { decay, window } = options ?? {};
  if (decay !== undefined && window !== undefined) throw new Error(`${NAME}: decay and window are mutually exclusive; set one`);
  if (decay !== undefined && !(typeof decay === 'number' && decay > 0 && decay <= 1)) {
    throw new Error(`${NAME}: decay must be in (0, 1], got ${decay}`);
  }
  if (window !== undefined && !(Number.isInteger(window) && window >= minCount)) {
    throw new Error(`${NAME}: window must be an integer >= min_count (${minCount}), got ${window}`);
  }
  const epsilon = checkEpsilon(NAME, options?.epsilon, PGRPO_DEFAULTS.epsilon, true);
  const declared = options?.groups === undefined ? undefined : checkDeclaredGroups(options.groups);
  const forgetting = { decay, window };

  const history = new PreferenceHistory(forgetting);
  for (const g of declared ?? []) history.declare(g);

  return {
    name: NAME,
    compute: (input) => pgrpoAdvantages(input, history, { update, minCount, epsilon, declared }),
    stats: () => history.all(),
    getState: () => ({ estimator: NAME, version: 1, decay: decay ?? null, window: window ?? null, groups: history.getState() }),
    setState(state: unknown) {
      const checked = checkState(state, forgetting, declared);
      history.setState(checked.groups);
      for (const g of declared ?? []) history.declare(g);
    },
  };
}

/**
 * P-GRPO's advantages for one batch: each reward is compared with its preference group's running
 * statistics from `history`, `(r - mean_p) / (std_p + epsilon)`; with `update: 'before'` the batch
 * enters the history first, with `'after'` afterwards. A group whose statistics cover fewer than
 * `minCount` rewards falls back to the whole batch's mean and std (`fallback = 1`).
 */
export function pgrpoAdvantages(
  input: AdvantageInput,
  history: PreferenceHistory,
  settings: { update: 'before' | 'after'; minCount: number; epsilon: number; declared?: ReadonlySet<string> },
): AdvantageResult {
  const { update, minCount, epsilon, declared } = settings;
  const n = validateInput(NAME, input);
  const { groupOf, ids: names } = denseGroups(input.preferenceGroups);
  for (const name of names) {
    if (declared !== undefined && !declared.has(name)) {
      const i = input.preferenceGroups.indexOf(name);
      throw new Error(`${NAME}: preferenceGroups[${i}] is '${name}', not one of the declared groups [${[...declared].join(', ')}]`);
    }
  }

  if (update === 'before') history.absorb(input.rewards, groupOf, names);
  const groupStats = names.map((name) => history.snapshot(name));
  const batch = wholeMoments(input.rewards);
  const result = emptyResult(n);
  markZeroSpread(input, result.zeroStdGeneration);
  for (let i = 0; i < n; i++) {
    const s = groupStats[groupOf[i]!]!;
    if (s.count >= minCount) {
      result.baselines[i] = s.mean;
      result.scales[i] = s.std + epsilon;
    } else {
      result.baselines[i] = batch.mean;
      result.scales[i] = unbiasedStd(batch.m2, batch.count) + epsilon;
      result.fallback[i] = 1;
    }
    result.advantages[i] = (input.rewards[i]! - result.baselines[i]!) / result.scales[i]!;
  }
  if (update === 'after') history.absorb(input.rewards, groupOf, names);
  return result;
}

function checkDeclaredGroups(groups: readonly string[]): ReadonlySet<string> {
  if (!Array.isArray(groups) || groups.length === 0) throw new Error(`${NAME}: groups must be a non-empty array of group names`);
  const set = new Set<string>();
  groups.forEach((g, i) => {
    if (typeof g !== 'string' || g.length === 0) throw new Error(`${NAME}: groups[${i}] must be a non-empty string`);
    if (set.has(g)) throw new Error(`${NAME}: groups[${i}] '${g}' is listed twice`);
    set.add(g);
  });
  return set;
}

function checkState(state: unknown, forgetting: { decay?: number; window?: number }, declared: ReadonlySet<string> | undefined): PgrpoState {
  if (state === null || typeof state !== 'object') throw new Error(`${NAME}: setState expects the object returned by getState()`);
  const s = state as Record<string, unknown>;
  if (s.estimator !== NAME || s.version !== 1) {
    throw new Error(`${NAME}: setState expects a pgrpo version 1 state, got estimator ${String(s.estimator)} version ${String(s.version)}`);
  }
  if (s.decay !== (forgetting.decay ?? null)) {
    throw new Error(`${NAME}: state has decay ${String(s.decay)} but this estimator has decay ${String(forgetting.decay ?? null)}`);
  }
  if (s.window !== (forgetting.window ?? null)) {
    throw new Error(`${NAME}: state has window ${String(s.window)} but this estimator has window ${String(forgetting.window ?? null)}`);
  }
  if (!Array.isArray(s.groups)) throw new Error(`${NAME}: state.groups must be an array`);
  const seen = new Set<string>();
  s.groups.forEach((entry, k) => {
    checkGroupState(entry, `${NAME}: state.groups[${k}]`, forgetting);
    if (seen.has(entry.group)) throw new Error(`${NAME}: state.groups[${k}] repeats group '${entry.group}'`);
    if (declared !== undefined && !declared.has(entry.group)) {
      throw new Error(`${NAME}: state.groups[${k}] is group '${entry.group}', not one of the declared groups [${[...declared].join(', ')}]`);
    }
    seen.add(entry.group);
  });
  return state as PgrpoState;
}
