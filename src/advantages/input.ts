/**
 * Checks shared by every estimator: the batch is well formed before any number is computed, and
 * option objects carry only keys the estimator knows (a misspelt `scale_reward` is an error, not a
 * silently ignored setting).
 */
import type { AdvantageInput, AdvantageResult } from './types';

/**
 * Validates one batch and returns its size.
 *
 * Throws when the batch is empty, when `generationGroups` or `preferenceGroups` has a different
 * length from `rewards` (naming both lengths), when a reward is NaN, infinite or beyond
 * {@link MAX_REWARD_MAGNITUDE} (naming index and value), or when a preference group is not a non-empty string (naming the index).
 *
 * @param estimator - estimator name, prefixed to every message.
 */
export function validateInput(estimator: string, input: AdvantageInput): number {
  const n = checkShape(estimator, input);
  checkRewards(estimator, input.rewards);
  checkPreferenceGroups(estimator, input.preferenceGroups);
  return n;
}

/** The checks of {@link validateInput} before any value is read: types, equal lengths, not empty. Returns the size. */
export function checkShape(estimator: string, input: AdvantageInput): number {
  if (input === null || typeof input !== 'object') {
    throw new Error(`${estimator}: input must be an object with rewards, generationGroups and preferenceGroups`);
  }
  const { rewards, generationGroups, preferenceGroups } = input;
  if (!(rewards instanceof Float64Array)) throw new Error(`${estimator}: rewards must be a Float64Array`);
  if (!(generationGroups instanceof Int32Array)) throw new Error(`${estimator}: generationGroups must be an Int32Array`);
  if (!Array.isArray(preferenceGroups)) throw new Error(`${estimator}: preferenceGroups must be an array of strings`);
  const n = rewards.length;
  if (n === 0) throw new Error(`${estimator}: rewards is empty; a batch needs at least one sample`);
  if (generationGroups.length !== n) {
    throw new Error(`${estimator}: generationGroups has length ${generationGroups.length} but rewards has length ${n}`);
  }
  if (preferenceGroups.length !== n) {
    throw new Error(`${estimator}: preferenceGroups has length ${preferenceGroups.length} but rewards has length ${n}`);
  }
  return n;
}

/**
 * Largest reward magnitude the estimators accept: 1e150. Their moment passes square deviations
 * from a mean and sum them over a batch; beyond about 1e154 a square overflows to Infinity, the
 * std becomes Infinity and every advantage silently 0 (near 1.7e308 even the mean overflows and
 * the advantages turn NaN). 1e150 leaves room for sums over any realistic batch (up to 1e7
 * samples). Rewards this large are a unit or scaling error in practice.
 */
export const MAX_REWARD_MAGNITUDE = 1e150;

/**
 * Why `reward` is not acceptable (not finite, or magnitude above {@link MAX_REWARD_MAGNITUDE}), or
 * null when it is.
 */
export function rewardProblem(reward: number): string | null {
  if (!Number.isFinite(reward)) return 'rewards must be finite';
  if (Math.abs(reward) > MAX_REWARD_MAGNITUDE) {
    return `rewards must have magnitude at most ${MAX_REWARD_MAGNITUDE} (MAX_REWARD_MAGNITUDE): larger ones overflow the squared deviations of the advantage computation`;
  }
  return null;
}

/**
 * Throws, naming the first index, when a reward is NaN, infinite, or larger in magnitude than
 * {@link MAX_REWARD_MAGNITUDE}.
 */
export function checkRewards(estimator: string, rewards: Float64Array): void {
  for (let i = 0; i < rewards.length; i++) {
    const problem = rewardProblem(rewards[i]!);
    if (problem !== null) throw new Error(`${estimator}: rewards[${i}] is ${rewards[i]}; ${problem}`);
  }
}

/** Throws, naming the first index, when a preference-group label is not a non-empty string. */
export function checkPreferenceGroups(estimator: string, labels: readonly unknown[]): void {
  for (let i = 0; i < labels.length; i++) {
    const p = labels[i];
    if (typeof p !== 'string' || p.length === 0) throw badPreferenceGroup(estimator, i, p);
  }
}

/** The error for a preference-group label that is not a non-empty string. */
export function badPreferenceGroup(estimator: string, i: number, label: unknown): Error {
  return new Error(`${estimator}: preferenceGroups[${i}] is ${JSON.stringify(label) ?? String(label)}; it must be a non-empty string`);
}

/** Allocates a result for `n` samples: zero advantages and baselines, unit scales, no flags. */
export function emptyResult(n: number): AdvantageResult {
  return {
    advantages: new Float64Array(n),
    baselines: new Float64Array(n),
    scales: new Float64Array(n).fill(1),
    zeroStdGeneration: new Uint8Array(n),
    fallback: new Uint8Array(n),
  };
}

/** Throws when `options` has a key outside `allowed`, naming it and listing the allowed keys. */
export function checkOptionKeys(estimator: string, options: object | undefined, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') throw new Error(`${estimator}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const known = allowed.length > 0 ? allowed.join(', ') : 'none';
      throw new Error(`${estimator}: unknown option '${key}' (known options: ${known})`);
    }
  }
}

/** Validates an `epsilon` option: finite and >= 0, or > 0 when `positive`. Returns it or the default. */
export function checkEpsilon(estimator: string, epsilon: number | undefined, fallback: number, positive: boolean): number {
  if (epsilon === undefined) return fallback;
  const ok = typeof epsilon === 'number' && Number.isFinite(epsilon) && (positive ? epsilon > 0 : epsilon >= 0);
  if (!ok) throw new Error(`${estimator}: epsilon must be a finite number ${positive ? '> 0' : '>= 0'}, got ${epsilon}`);
  return epsilon;
}

/** `setState` of a stateless estimator: accepts only `null` (what its `getState` returns). */
export function expectNullState(estimator: string, state: unknown): void {
  if (state !== null && state !== undefined) {
    throw new Error(`${estimator}: this estimator is stateless; setState expects null, got ${typeof state}`);
  }
}
