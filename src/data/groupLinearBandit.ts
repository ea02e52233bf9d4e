/**
 * The group linear bandit of the synthetic experiments in Group Robust Preference Optimization
 * (Ramesh et al., arXiv 2405.20304): two groups of labellers who score the same actions with
 * different linear reward parameters, and pairwise preference data drawn from them.
 *
 * Setting (as in the paper and its public bandit code):
 * - state s drawn uniformly from [0, 1]^2; 8 actions; 2 groups;
 * - true rewards r_g(s, a) = theta_g . phi(s, a) with theta_1 = (1, 3, 1, 3) and theta_2 = (3, 1, 3, 1);
 * - each pair shows two distinct actions drawn uniformly at random for one state; the chosen one is the
 *   action with the higher true reward of the pair's group (deterministic), or, with
 *   `preference: 'bradley_terry'`, is drawn with P(a preferred to b) = sigmoid(r_g(s, a) - r_g(s, b)).
 *
 * Feature map (documented in {@link banditFeatures}): the paper only says phi is a feature map of state
 * and action; the kit's default is the map of the authors' public bandit code (feature type `same`),
 * which does not depend on the group:
 *   phi(s, a) = [ c(a) cos(pi s0), sin(pi s0) / c(a), c(a) cos(pi s1), sin(pi s1) / c(a) ],  c(a) = 1 + a / A.
 * With this map neither theta_1 nor theta_2 can be matched by one policy parameter for both groups,
 * which is what makes the worst group matter.
 *
 * Group-specific maps (the authors' other feature types, as the issue describes them; their code is
 * not available here, so these are the kit's reading): with `swapped`, the first group (index 0) sees
 * phi and every other group the same features in reversed order, [f3, f2, f1, f0]; with `flipped`,
 * every other group sees -phi. A group's true reward uses its own map, r_g(s, a) = theta_g . phi_g(s, a),
 * and so does the log-linear policy asked as that group. (For the paper's theta_1 = (1,3,1,3) and
 * theta_2 = (3,1,3,1), reversing the order and swapping each coordinate's two features give the same
 * rewards; they differ for the policy's learned theta only by a relabelling of coordinates.)
 */
import { DataFrame } from 'danfojs-node';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../random';

/** A response of a pair: one action (token) index, or a token sequence (for sequence policies). */
export type PairResponse = number | readonly number[];

/**
 * Pairwise preference data over several groups, as plain arrays with one entry per pair. The
 * default response type is one action index per pair (the bandit, Polis statements); sequence
 * policies take token sequences (`PairwiseGroupData<number[]>`).
 */
export interface PairwiseGroupData<R extends PairResponse = number> {
  /** State of each pair: the prompt features the policy conditions on (here two coordinates in [0, 1]; may be empty rows). */
  states: number[][];
  /** The preferred response (an action index, or a token sequence). */
  chosen: R[];
  /** The other response. */
  rejected: R[];
  /** Group index of the labeller, into `group_names`. */
  group_index: number[];
  /** Name of each group, in index order. */
  group_names: string[];
  /** Number of actions (tokens) the indices refer to. */
  num_responses: number;
}

/** Feature maps of the group linear bandit (see module docs). */
export type BanditFeatureMap = 'same' | 'swapped' | 'flipped';

/**
 * The group linear bandit's fixed settings, as in the paper: state dimension 2, feature length 4,
 * 8 actions by default, the two groups' true reward parameters theta_1 = (1,3,1,3) and
 * theta_2 = (3,1,3,1), their names in frames and metrics, the feature maps, and the training pairs
 * per group of the named splits (300 pairs in all).
 */
export const GROUP_LINEAR_BANDIT: {
  readonly state_dim: number;
  readonly feature_dim: number;
  readonly num_responses: number;
  readonly true_thetas: readonly (readonly number[])[];
  readonly group_names: readonly string[];
  readonly feature_maps: readonly BanditFeatureMap[];
  readonly splits: Readonly<Record<'even' | 'uneven', readonly number[]>>;
} = {
  state_dim: 2,
  feature_dim: 4,
  num_responses: 8,
  true_thetas: [
    [1, 3, 1, 3],
    [3, 1, 3, 1],
  ],
  group_names: ['group_1', 'group_2'],
  feature_maps: ['same', 'swapped', 'flipped'],
  splits: { even: [150, 150], uneven: [60, 240] },
};

function checkFeatureMap(map: BanditFeatureMap): void {
  if (!GROUP_LINEAR_BANDIT.feature_maps.includes(map)) throw new Error(`feature_map must be one of ${GROUP_LINEAR_BANDIT.feature_maps.join(', ')}, got '${String(map)}'`);
}

/** Options for {@link generateGroupLinearBandit}. */
export interface GroupLinearBanditOptions {
  /** Seed of the kit's {@link Rng}; equal seeds give identical data. */
  seed: number;
  /** `even`: 150/150 training pairs; `uneven`: 60/240 (group_1 is the minority). Ignored when `group_counts` is given. */
  split?: 'even' | 'uneven';
  /** Training pairs per group, overriding `split`. */
  group_counts?: number[];
  /** Validation pairs per group (balanced so that every group's validation loss is equally precise). Default 200. */
  val_pairs_per_group?: number;
  /** How the chosen action is picked: higher true reward (`deterministic`, default) or Bradley-Terry sampling. */
  preference?: 'deterministic' | 'bradley_terry';
  /** Number of actions (default 8). */
  num_responses?: number;
  /** True reward parameter per group (default `GROUP_LINEAR_BANDIT.true_thetas`); each of length 4. */
  true_thetas?: readonly (readonly number[])[];
  /** Feature map (default `same`; see module docs). */
  feature_map?: BanditFeatureMap;
}

/** A generated bandit problem: training and validation pairs plus the truth needed to score policies. */
export interface GroupLinearBandit {
  train: PairwiseGroupData;
  val: PairwiseGroupData;
  true_thetas: number[][];
  num_responses: number;
  feature_map: BanditFeatureMap;
}


function actionScale(action: number, numResponses: number): number {
  return 1 + action / numResponses;
}

/**
 * The feature map phi_g(s, a) in R^4. `same` (default, the authors' public bandit code):
 * `[c cos(pi s0), sin(pi s0) / c, c cos(pi s1), sin(pi s1) / c]` with `c = 1 + a / num_responses`, for
 * every group; `swapped` reverses the order and `flipped` negates it for groups other than index 0.
 */
export function banditFeatures(
  state: readonly number[],
  action: number,
  numResponses = GROUP_LINEAR_BANDIT.num_responses,
  featureMap: BanditFeatureMap = 'same',
  group = 0,
): number[] {
  checkFeatureMap(featureMap);
  const base = sameFeatures(state, action, numResponses);
  if (featureMap === 'same' || group === 0) return base;
  return featureMap === 'swapped' ? base.reverse() : base.map((x) => -x);
}

function sameFeatures(state: readonly number[], action: number, numResponses: number): number[] {
  if (state.length !== GROUP_LINEAR_BANDIT.state_dim) throw new Error(`state must have ${GROUP_LINEAR_BANDIT.state_dim} coordinates, got ${state.length}`);
  if (!Number.isInteger(action) || action < 0 || action >= numResponses) {
    throw new Error(`action must be an integer in [0, ${numResponses}), got ${action}`);
  }
  const c = actionScale(action, numResponses);
  const [s0, s1] = state as [number, number];
  return [c * Math.cos(Math.PI * s0), Math.sin(Math.PI * s0) / c, c * Math.cos(Math.PI * s1), Math.sin(Math.PI * s1) / c];
}

/**
 * phi_g(s, a) for every state and action as a tensor of shape [n, num_responses, 4] (the map of
 * {@link banditFeatures}). `groups` (group index of each state) is needed by the group-specific maps.
 */
export function banditFeatureTensor(
  states: tf.Tensor2D,
  numResponses = GROUP_LINEAR_BANDIT.num_responses,
  featureMap: BanditFeatureMap = 'same',
  groups?: readonly number[],
): tf.Tensor3D {
  checkFeatureMap(featureMap);
  if (featureMap === 'same') return sameFeatureTensor(states, numResponses);
  if (groups === undefined || groups.length !== states.shape[0]) {
    throw new Error(`feature map '${featureMap}' needs the group index of each of the ${states.shape[0]} states, got ${groups?.length ?? 'none'}`);
  }
  return tf.tidy(() => {
    const base = sameFeatureTensor(states, numResponses);
    // 1 for states of groups other than the first, 0 otherwise; multiplying by 0 or 1 and adding is exact.
    const other = tf.tensor3d(groups.map((g) => (g === 0 ? 0 : 1)), [groups.length, 1, 1], 'float32');
    if (featureMap === 'swapped') return tf.add(tf.mul(base, tf.sub(1, other)), tf.mul(tf.reverse(base, 2), other)) as tf.Tensor3D;
    return tf.mul(base, tf.sub(1, tf.mul(other, 2))) as tf.Tensor3D;
  });
}

function sameFeatureTensor(states: tf.Tensor2D, numResponses: number): tf.Tensor3D {
  return tf.tidy(() => {
    const c = tf.add(1, tf.div(tf.range(0, numResponses, 1, 'float32'), numResponses)).reshape([1, numResponses]);
    const angle = tf.mul(states, Math.PI);
    const cosS = tf.cos(angle);
    const sinS = tf.sin(angle);
    const col = (t: tf.Tensor, j: number) => t.slice([0, j], [-1, 1]);
    const f0 = tf.mul(col(cosS, 0), c);
    const f1 = tf.div(col(sinS, 0), c);
    const f2 = tf.mul(col(cosS, 1), c);
    const f3 = tf.div(col(sinS, 1), c);
    // Stacked on a leading axis and transposed (both exact copies): the same tensor as tf.stack(..., 2),
    // whose wasm kernel copies one value at a time here (4x slower at 400 states).
    return tf.transpose(tf.stack([f0, f1, f2, f3], 0), [1, 2, 0]) as tf.Tensor3D;
  });
}

/** True reward r_g(s, a) = theta . phi_g(s, a) (`group` matters for the group-specific maps only). */
export function banditReward(
  state: readonly number[],
  action: number,
  theta: readonly number[],
  numResponses = GROUP_LINEAR_BANDIT.num_responses,
  featureMap: BanditFeatureMap = 'same',
  group = 0,
): number {
  if (theta.length !== GROUP_LINEAR_BANDIT.feature_dim) throw new Error(`theta must have ${GROUP_LINEAR_BANDIT.feature_dim} entries, got ${theta.length}`);
  const phi = banditFeatures(state, action, numResponses, featureMap, group);
  let r = 0;
  for (let k = 0; k < phi.length; k++) r += phi[k]! * theta[k]!;
  return r;
}

function checkCounts(counts: readonly number[], name: string, numGroups: number): void {
  if (counts.length !== numGroups) throw new Error(`${name} must have one count per group (${numGroups}), got ${counts.length}`);
  counts.forEach((n, g) => {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}[${g}] must be a positive integer, got ${n}`);
  });
}

function samplePairs(
  rng: Rng,
  counts: readonly number[],
  thetas: readonly (readonly number[])[],
  numResponses: number,
  preference: 'deterministic' | 'bradley_terry',
  groupNames: string[],
  featureMap: BanditFeatureMap,
): PairwiseGroupData {
  const groups: number[] = [];
  counts.forEach((n, g) => {
    for (let i = 0; i < n; i++) groups.push(g);
  });
  rng.shuffle(groups); // interleave the groups so that data order carries no group information
  const states: number[][] = [];
  const chosen: number[] = [];
  const rejected: number[] = [];
  for (const g of groups) {
    const state = [rng.uniform(), rng.uniform()];
    const a = rng.int(numResponses);
    let b = rng.int(numResponses - 1);
    if (b >= a) b += 1; // two distinct actions, uniformly over ordered pairs
    const margin = banditReward(state, a, thetas[g]!, numResponses, featureMap, g) - banditReward(state, b, thetas[g]!, numResponses, featureMap, g);
    // Ties (probability zero) go to the first action drawn.
    const aWins = preference === 'deterministic' ? margin >= 0 : rng.uniform() < 1 / (1 + Math.exp(-margin));
    states.push(state);
    chosen.push(aWins ? a : b);
    rejected.push(aWins ? b : a);
  }
  return { states, chosen, rejected, group_index: groups, group_names: groupNames, num_responses: numResponses };
}

/**
 * Draws a training set and a validation set of preference pairs from the group linear bandit.
 * Everything is drawn from one {@link Rng} seeded with `seed`, so a seed fixes the data exactly.
 */
export function generateGroupLinearBandit(options: GroupLinearBanditOptions): GroupLinearBandit {
  const numResponses = options.num_responses ?? GROUP_LINEAR_BANDIT.num_responses;
  if (!Number.isInteger(numResponses) || numResponses < 2) throw new Error(`num_responses must be an integer >= 2, got ${numResponses}`);
  const thetas = (options.true_thetas ?? GROUP_LINEAR_BANDIT.true_thetas).map((t) => [...t]);
  thetas.forEach((t, g) => {
    if (t.length !== GROUP_LINEAR_BANDIT.feature_dim || t.some((x) => !Number.isFinite(x))) {
      throw new Error(`true_thetas[${g}] must be ${GROUP_LINEAR_BANDIT.feature_dim} finite numbers`);
    }
  });
  const numGroups = thetas.length;
  const split = options.split ?? 'even';
  if (options.group_counts === undefined && !(split in GROUP_LINEAR_BANDIT.splits)) throw new Error(`split must be 'even' or 'uneven', got '${split}'`);
  const trainCounts = options.group_counts ?? [...GROUP_LINEAR_BANDIT.splits[split]];
  checkCounts(trainCounts, 'group_counts', numGroups);
  const valPerGroup = options.val_pairs_per_group ?? 200;
  checkCounts(new Array<number>(numGroups).fill(valPerGroup), 'val_pairs_per_group', numGroups);
  const preference = options.preference ?? 'deterministic';
  if (preference !== 'deterministic' && preference !== 'bradley_terry') {
    throw new Error(`preference must be 'deterministic' or 'bradley_terry', got '${preference}'`);
  }
  const featureMap = options.feature_map ?? 'same';
  checkFeatureMap(featureMap);
  const groupNames = numGroups === GROUP_LINEAR_BANDIT.group_names.length ? [...GROUP_LINEAR_BANDIT.group_names] : thetas.map((_, g) => `group_${g + 1}`);
  const rng = new Rng(options.seed);
  const train = samplePairs(rng, trainCounts, thetas, numResponses, preference, groupNames, featureMap);
  const val = samplePairs(rng, new Array<number>(numGroups).fill(valPerGroup), thetas, numResponses, preference, groupNames, featureMap);
  return { train, val, true_thetas: thetas, num_responses: numResponses, feature_map: featureMap };
}

/** Formats a state as the prompt string of the pairwise frame, e.g. `0.12,0.80` (full precision). */
export function stateToPrompt(state: readonly number[]): string {
  return state.join(',');
}

/**
 * The pairs as a pairwise danfojs DataFrame with columns prompt_id, prompt (the state as `s0,s1`),
 * group (its name), chosen and rejected (action indices).
 */
export function pairsToFrame(data: PairwiseGroupData): DataFrame {
  const n = data.states.length;
  return new DataFrame(
    {
      prompt_id: Array.from({ length: n }, (_, i) => i),
      prompt: data.states.map(stateToPrompt),
      group: data.group_index.map((g) => data.group_names[g]!),
      chosen: [...data.chosen],
      rejected: [...data.rejected],
    },
    { columns: ['prompt_id', 'prompt', 'group', 'chosen', 'rejected'] },
  );
}
