/**
 * Pairwise multi-group data turned into tensors once, validated, with the fixed reference
 * log-probabilities computed up front (the reference policy never changes during training).
 */
import * as tf from '@tensorflow/tfjs';
import type { PairwiseGroupData } from '../data/groupLinearBandit';
import { countGroups } from './groupWeights';
import { perPairLoss, type PreferenceLossType } from './losses';
import type { PairLogRatios, PairwisePolicy, ReferencePolicy } from './policy';

/** Validated pairs as tensors. Call {@link disposePreparedPairs} when done. */
export interface PreparedPairs {
  name: string;
  size: number;
  states: tf.Tensor2D;
  chosen: tf.Tensor1D;
  rejected: tf.Tensor1D;
  /** log pi_ref(chosen|s) - log pi_ref(rejected|s), fixed. */
  refMargin: tf.Tensor1D;
  groups: Int32Array;
  group_names: string[];
  /** Group name of each pair (passed to group-conditioned policies). */
  groupOfPair: string[];
  /** Pairs per group. */
  counts: number[];
  /** Log-ratio fast paths of the policies that offer one, made on first use and freed with the pairs. */
  logRatioCache: Map<PairwisePolicy, PairLogRatios>;
}

/**
 * Checks pairwise data and throws an error naming the set, the pair and the field on the first problem:
 * mismatched lengths, a group index outside `group_names`, a group with no pairs, action indices
 * outside [0, num_actions) or equal, non-finite or ragged states.
 */
export function validatePairs(data: PairwiseGroupData, name: string): void {
  const n = data.states.length;
  if (n === 0) throw new Error(`${name}: no pairs`);
  for (const field of ['chosen', 'rejected', 'groups'] as const) {
    if (data[field].length !== n) throw new Error(`${name}: ${field} has ${data[field].length} entries but states has ${n}`);
  }
  const K = data.group_names.length;
  if (K === 0) throw new Error(`${name}: group_names is empty`);
  if (!Number.isInteger(data.num_actions) || data.num_actions < 2) throw new Error(`${name}: num_actions must be an integer >= 2`);
  const dim = data.states[0]!.length;
  for (let i = 0; i < n; i++) {
    const g = data.groups[i]!;
    if (!Number.isInteger(g) || g < 0 || g >= K) {
      throw new Error(`${name} pair ${i}: group ${g} is missing from group_names (${K} groups: ${data.group_names.join(', ')})`);
    }
    const s = data.states[i]!;
    if (s.length !== dim || s.some((x) => !Number.isFinite(x))) throw new Error(`${name} pair ${i}: state must be ${dim} finite numbers`);
    for (const field of ['chosen', 'rejected'] as const) {
      const a = data[field][i]!;
      if (!Number.isInteger(a) || a < 0 || a >= data.num_actions) {
        throw new Error(`${name} pair ${i}: ${field} action ${a} is not in [0, ${data.num_actions})`);
      }
    }
    if (data.chosen[i] === data.rejected[i]) throw new Error(`${name} pair ${i}: chosen and rejected are the same action`);
  }
  countGroups(data.groups, K).forEach((c, g) => {
    if (c === 0) throw new Error(`${name}: group '${data.group_names[g]}' has no pairs (every group needs at least one)`);
  });
}

/** Validates the data and moves it to tensors, computing the reference margins once. */
export function preparePairs(data: PairwiseGroupData, reference: ReferencePolicy, name: string): PreparedPairs {
  validatePairs(data, name);
  const states = tf.tensor2d(data.states);
  const chosen = tf.tensor1d(data.chosen, 'int32');
  const rejected = tf.tensor1d(data.rejected, 'int32');
  const groupOfPair = data.groups.map((g) => data.group_names[g]!);
  let refMargin: tf.Tensor1D;
  try {
    refMargin = tf.tidy(
      () => tf.sub(reference.logProbs(states, chosen, groupOfPair), reference.logProbs(states, rejected, groupOfPair)) as tf.Tensor1D,
    );
  } catch (err) {
    tf.dispose([states, chosen, rejected]);
    throw err;
  }
  const groups = Int32Array.from(data.groups);
  return {
    name,
    size: data.states.length,
    states,
    chosen,
    rejected,
    refMargin,
    groups,
    group_names: [...data.group_names],
    groupOfPair,
    counts: countGroups(groups, data.group_names.length),
    logRatioCache: new Map(),
  };
}

/** Frees the tensors of {@link preparePairs}, including the policies' precomputed log-ratio data. */
export function disposePreparedPairs(pairs: PreparedPairs): void {
  tf.dispose([pairs.states, pairs.chosen, pairs.rejected, pairs.refMargin]);
  for (const ratios of pairs.logRatioCache.values()) ratios.dispose();
  pairs.logRatioCache.clear();
}

/** The policy's log-ratio fast path for these pairs (made once), or undefined when it has none. */
function cachedLogRatios(policy: PairwisePolicy, pairs: PreparedPairs): PairLogRatios | undefined {
  if (policy.pairLogRatios === undefined) return undefined;
  let ratios = pairs.logRatioCache.get(policy);
  if (ratios === undefined) {
    ratios = policy.pairLogRatios(pairs.states, pairs.chosen, pairs.rejected, pairs.groupOfPair);
    pairs.logRatioCache.set(policy, ratios);
  }
  return ratios;
}

/** The margins h of the pairs at `indices` (all pairs when omitted); differentiable in the policy. */
export function pairMargins(policy: PairwisePolicy, pairs: PreparedPairs, indices?: Int32Array): tf.Tensor1D {
  const fast = cachedLogRatios(policy, pairs);
  return tf.tidy(() => {
    const index = indices === undefined ? undefined : tf.tensor1d(indices, 'int32');
    const pick = <T extends tf.Tensor>(t: T): T => (index === undefined ? t : (tf.gather(t, index) as T));
    if (fast !== undefined) return tf.sub(fast.at(index), pick(pairs.refMargin)) as tf.Tensor1D;
    const states = pick(pairs.states);
    const groups = indices === undefined ? pairs.groupOfPair : Array.from(indices, (i) => pairs.groupOfPair[i]!);
    const policyMargin = tf.sub(policy.logProbs(states, pick(pairs.chosen), groups), policy.logProbs(states, pick(pairs.rejected), groups));
    return tf.sub(policyMargin, pick(pairs.refMargin)) as tf.Tensor1D;
  });
}

/** Mean per-pair loss and preference accuracy (share of pairs with h > 0) of each group, over all pairs. */
export function evaluateGroups(
  policy: PairwisePolicy,
  pairs: PreparedPairs,
  lossType: PreferenceLossType,
  beta: number,
): { loss: number[]; accuracy: number[] } {
  const [margins, losses] = tf.tidy(() => {
    const h = pairMargins(policy, pairs);
    return [h.dataSync().slice(), perPairLoss(lossType, h, beta).dataSync().slice()];
  });
  const K = pairs.group_names.length;
  const lossSum = new Array<number>(K).fill(0);
  const correct = new Array<number>(K).fill(0);
  for (let i = 0; i < pairs.size; i++) {
    const g = pairs.groups[i]!;
    lossSum[g]! += losses[i]!;
    if (margins[i]! > 0) correct[g]! += 1;
  }
  return {
    loss: lossSum.map((s, g) => s / pairs.counts[g]!),
    accuracy: correct.map((c, g) => c / pairs.counts[g]!),
  };
}
