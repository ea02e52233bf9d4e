/**
 * What a trainer samples from: prompts tagged with a preference group, and weighted reward
 * functions that may depend on that group.
 */
import { describeValue } from '../checkpoint/fields';
import type { Rng } from '../random';

/** A value for a message: a number as it is, anything else with its type (`a string ("1")`). */
const shown = (value: unknown): string => (typeof value === 'number' ? String(value) : describeValue(value));

/** One prompt of a batch. */
export interface Prompt {
  /** Identifier (unique within a batch). */
  id: string;
  /** Feature vector of length `task.featureDim`. */
  features: Float32Array;
  /** Preference group of the user the prompt comes from. */
  group: string;
}

/** A response: its real tokens (padding removed); `[k]` for a categorical policy's response k. */
export type Response = readonly number[];

/** One weighted reward function; the trainer's reward is the weighted sum over the task's functions. */
export interface RewardFunction {
  /** Name used in metrics (`rewards/<name>/mean`) and error messages. */
  name: string;
  /** Weight in the sum (TRL's `reward_weights`). */
  weight: number;
  /** Reward of a response to a prompt; must be finite. The prompt carries its preference group. */
  fn: (response: Response, prompt: Prompt) => number;
}

/** A source of prompt batches and their reward functions. */
export interface Task {
  /** Every preference group the task can produce. */
  readonly groups: readonly string[];
  /** Length of every prompt's feature vector (may be 0). */
  readonly featureDim: number;
  /** The reward functions, summed with their weights. */
  readonly rewardFunctions: readonly RewardFunction[];
  /**
   * For tasks whose responses are single ids in [0, numResponses) (a categorical policy's
   * responses): how many there are. The trainer requires it to equal the policy's `vocabSize`.
   * Leave it out for token-sequence tasks.
   */
  readonly numResponses?: number;
  /** Draws `count` prompts using `rng` only (so a saved rng state reproduces the batch). */
  samplePrompts(count: number, rng: Rng): Prompt[];
}

/** Options of {@link tableTask}. */
export interface TableTaskOptions {
  /** Preference-group names. */
  groups: readonly string[];
  /** Share of prompts from each group (non-negative, same order as `groups`; normalised to sum 1). */
  shares: readonly number[];
  /** Reward of each response for each group: `rewardTable[group][k]`; every row has the same length K. */
  rewardTable: Readonly<Record<string, readonly number[]>>;
  /** Optional feature vector per group (all of one length); default: no features. */
  features?: Readonly<Record<string, readonly number[]>>;
  /** Extra reward functions added to the table reward (which has name `table` and weight 1). */
  extraRewards?: readonly RewardFunction[];
}

/**
 * The heterogeneous-preference bandit: each prompt comes from a group drawn with the given shares,
 * and response k earns `rewardTable[group][k]`.
 */
export function tableTask(options: TableTaskOptions): Task {
  const groups = [...options.groups];
  if (groups.length === 0) throw new Error('tableTask: groups must list at least one group');
  if (options.shares.length !== groups.length) {
    throw new Error(`tableTask: shares has ${options.shares.length} entries but groups has ${groups.length}`);
  }
  options.shares.forEach((s, i) => {
    if (typeof s !== 'number' || !(s >= 0) || !Number.isFinite(s)) throw new Error(`tableTask: shares[${i}] must be a finite number >= 0, got ${shown(s)}`);
  });
  if (!options.shares.some((s) => s > 0)) throw new Error('tableTask: shares must not all be zero');
  let K = -1;
  const table = groups.map((g) => {
    const row = options.rewardTable[g];
    if (row === undefined) throw new Error(`tableTask: rewardTable has no row for group '${g}'`);
    if (K === -1) K = row.length;
    if (row.length !== K || K === 0) throw new Error(`tableTask: rewardTable['${g}'] has ${row.length} entries, expected ${K} (> 0)`);
    row.forEach((r, k) => {
      if (typeof r !== 'number' || !Number.isFinite(r)) throw new Error(`tableTask: rewardTable['${g}'][${k}] is ${shown(r)}; rewards must be finite numbers`);
    });
    return Float64Array.from(row);
  });
  for (const key of Object.keys(options.rewardTable)) {
    if (!groups.includes(key)) throw new Error(`tableTask: rewardTable has a row for unknown group '${key}'`);
  }
  let featureDim = 0;
  const features = groups.map((g, i) => {
    if (options.features === undefined) return new Float32Array(0);
    const f = options.features[g];
    if (f === undefined) throw new Error(`tableTask: features has no vector for group '${g}'`);
    if (i === 0) featureDim = f.length;
    if (f.length !== featureDim) throw new Error(`tableTask: features['${g}'] has ${f.length} values, expected ${featureDim}`);
    f.forEach((x, k) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new Error(`tableTask: features['${g}'][${k}] is ${shown(x)}; features must be finite numbers`);
    });
    return Float32Array.from(f);
  });
  const index = new Map(groups.map((g, i) => [g, i]));
  const tableReward: RewardFunction = {
    name: 'table',
    weight: 1,
    fn: (response, prompt) => {
      const row = table[index.get(prompt.group) ?? -1];
      if (row === undefined) throw new Error(`tableTask: unknown preference group '${prompt.group}'`);
      const k = response[0];
      if (response.length !== 1 || k === undefined || !(k >= 0 && k < K)) {
        throw new Error(`tableTask: response [${response.join(', ')}] is not a single response id in [0, ${K})`);
      }
      return row[k]!;
    },
  };
  const shares = [...options.shares];
  return {
    groups,
    featureDim,
    rewardFunctions: [tableReward, ...(options.extraRewards ?? [])],
    numResponses: K,
    samplePrompts: (count, rng) => promptsByShare(groups, shares, features, count, rng),
  };
}

/**
 * Draws `count` prompts whose groups follow `shares` (one categorical draw per prompt from `rng`);
 * prompt i of group g has id `g#i` and the group's feature vector. Shared by the kit's tasks so
 * that equal seeds give equal prompt streams whatever the task.
 */
export function promptsByShare(
  groups: readonly string[],
  shares: readonly number[],
  features: readonly Float32Array[],
  count: number,
  rng: Rng,
): Prompt[] {
  const prompts: Prompt[] = [];
  for (let i = 0; i < count; i++) {
    const g = rng.categorical(shares);
    prompts.push({ id: `${groups[g]}#${i}`, features: features[g]!, group: groups[g]! });
  }
  return prompts;
}
