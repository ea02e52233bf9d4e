/**
 * Pairwise multi-group data prepared once for a {@link Policy}: validated, laid out as policy
 * contexts and token rows, with the fixed reference margins computed up front (the reference
 * policy never changes during training).
 *
 * Readable path: a pair's log-ratio is the sequence log-probability of the chosen response minus that
 * of the rejected one, both from `Policy.evaluate` (chosen and rejected are the two responses of one
 * context, rows 2i and 2i+1; per-token log-probs summed over real tokens). Speed path: a policy with
 * `pairLogRatios` (the log-linear policy) precomputes what it can once per set of pairs.
 */
import * as tf from '@tensorflow/tfjs';
import type { PairResponse, PairwiseGroupData } from '../data/groupLinearBandit';
import type { Policy, PolicyContexts } from '../policy/types';
import { countGroups } from './groupWeights';
import { perPairLoss, type PreferenceLossType } from './losses';
import { hasPairLogRatios, type PairLogRatios } from './policy';

/** Validated pairs laid out for a policy. Call {@link disposePreparedPairs} when done. */
export interface PreparedPairs {
  name: string;
  size: number;
  /** Length of each pair's state (the policy's featureDim). */
  stateDim: number;
  /** States, row-major `[size, stateDim]` (the contexts' features). */
  features: Float32Array;
  /** Tokens per response row, T (1 for action indices; the longest sequence otherwise). */
  length: number;
  /** Token rows `[2 size, T]`: row 2i the chosen response of pair i, row 2i+1 the rejected one; padding 0. */
  tokens: Int32Array;
  /** 1 for a real token, 0 for padding, same layout as `tokens`. */
  mask: Float32Array;
  /** (log pi_ref(chosen|s) - log pi_ref(rejected|s)) of every pair, fixed. */
  refMargin: tf.Tensor1D;
  group_index: Int32Array;
  group_names: string[];
  /** Group name of each pair (passed to group-conditioned policies). */
  groupOfPair: string[];
  /** Pairs per group. */
  counts: number[];
  /** Log-ratio fast paths of the policies that offer one, made on first use and freed with the pairs. */
  logRatioCache: Map<Policy, PairLogRatios>;
}

/** How the reference log-probabilities are obtained: a frozen policy, or uniform over `vocabSize` tokens. */
export type PairReference = { policy: Policy } | { uniform: number };

const tokensOf = (r: PairResponse): readonly number[] => (typeof r === 'number' ? [r] : r);

/**
 * Checks pairwise data and throws an error naming the set, the pair and the field on the first problem:
 * mismatched lengths, a group index outside `group_names`, a group with no pairs, tokens outside
 * [0, num_responses), equal or empty responses, non-finite or ragged states.
 */
export function validatePairs(data: PairwiseGroupData<PairResponse>, name: string): void {
  const n = data.states.length;
  if (n === 0) throw new Error(`${name}: no pairs`);
  for (const field of ['chosen', 'rejected', 'group_index'] as const) {
    if (!Array.isArray(data[field]) || data[field].length !== n) throw new Error(`${name}: ${field} has ${data[field]?.length} entries but states has ${n}`);
  }
  const K = data.group_names.length;
  if (K === 0) throw new Error(`${name}: group_names is empty`);
  if (!Number.isInteger(data.num_responses) || data.num_responses < 2) throw new Error(`${name}: num_responses must be an integer >= 2`);
  const dim = data.states[0]!.length;
  for (let i = 0; i < n; i++) {
    const g = data.group_index[i]!;
    if (!Number.isInteger(g) || g < 0 || g >= K) {
      throw new Error(`${name} pair ${i}: group ${g} is missing from group_names (${K} groups: ${data.group_names.join(', ')})`);
    }
    const s = data.states[i]!;
    if (s.length !== dim || s.some((x) => !Number.isFinite(x))) throw new Error(`${name} pair ${i}: state must be ${dim} finite numbers`);
    for (const field of ['chosen', 'rejected'] as const) {
      const seq = tokensOf(data[field][i]!);
      if (seq.length === 0) throw new Error(`${name} pair ${i}: ${field} is an empty sequence`);
      seq.forEach((a, t) => {
        if (!Number.isInteger(a) || a < 0 || a >= data.num_responses) {
          const where = typeof data[field][i] === 'number' ? '' : ` (token ${t})`;
          throw new Error(`${name} pair ${i}: ${field} action ${a}${where} is not in [0, ${data.num_responses})`);
        }
      });
    }
    const c = tokensOf(data.chosen[i]!);
    const r = tokensOf(data.rejected[i]!);
    if (c.length === r.length && c.every((x, t) => x === r[t])) throw new Error(`${name} pair ${i}: chosen and rejected are the same ${c.length === 1 ? 'action' : 'sequence'}`);
  }
  countGroups(data.group_index, K).forEach((c, g) => {
    if (c === 0) throw new Error(`${name}: group '${data.group_names[g]}' has no pairs (every group needs at least one)`);
  });
}

/** Checks that the pairs fit the policy: state length, token range, response length, group names. */
function checkPolicyFit(policy: Policy, data: PairwiseGroupData<PairResponse>, name: string, length: number): void {
  const dim = data.states[0]!.length;
  if (dim !== policy.featureDim) throw new Error(`${name}: states have ${dim} values but policy.featureDim = ${policy.featureDim}`);
  if (data.num_responses > policy.vocabSize) throw new Error(`${name}: num_responses = ${data.num_responses} exceeds the policy's vocabSize (${policy.vocabSize})`);
  if (length > policy.maxLength) throw new Error(`${name}: a response has ${length} tokens, more than the policy's maxLength (${policy.maxLength})`);
  if (policy.groups.length > 0) {
    for (const g of data.group_names) {
      if (!policy.groups.includes(g)) throw new Error(`${name}: group '${g}' is unknown to the policy (policy groups: ${policy.groups.join(', ')})`);
    }
  }
}

/** The contexts of the pairs at `indices` (all when omitted). */
export function pairContexts(pairs: PreparedPairs, indices?: ArrayLike<number>): PolicyContexts {
  const D = pairs.stateDim;
  if (indices === undefined) return { size: pairs.size, features: pairs.features, groups: pairs.groupOfPair };
  const features = new Float32Array(indices.length * D);
  const groups: string[] = new Array<string>(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j]!;
    features.set(pairs.features.subarray(i * D, (i + 1) * D), j * D);
    groups[j] = pairs.groupOfPair[i]!;
  }
  return { size: indices.length, features, groups };
}

/** Token rows and mask of the pairs at `indices` (all when omitted), `[2 n, T]`. */
function pairRows(pairs: PreparedPairs, indices?: ArrayLike<number>): { tokens: Int32Array; mask: Float32Array; rows: number } {
  if (indices === undefined) return { tokens: pairs.tokens, mask: pairs.mask, rows: 2 * pairs.size };
  const T = pairs.length;
  const tokens = new Int32Array(2 * indices.length * T);
  const mask = new Float32Array(2 * indices.length * T);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j]!;
    tokens.set(pairs.tokens.subarray(2 * i * T, 2 * (i + 1) * T), 2 * j * T);
    mask.set(pairs.mask.subarray(2 * i * T, 2 * (i + 1) * T), 2 * j * T);
  }
  return { tokens, mask, rows: 2 * indices.length };
}

/**
 * log pi(chosen|s) - log pi(rejected|s) of the pairs at `indices` through `Policy.evaluate` (the
 * readable path): per-token log-probs, masked, summed per response. Differentiable in the policy.
 */
export function sequenceLogRatios(policy: Policy, pairs: PreparedPairs, indices?: ArrayLike<number>): tf.Tensor1D {
  const contexts = pairContexts(pairs, indices);
  const { tokens, mask, rows } = pairRows(pairs, indices);
  const T = pairs.length;
  return tf.tidy(() => {
    const tokenTensor = tf.tensor2d(tokens, [rows, T], 'int32');
    const { logProbs } = policy.evaluate(contexts, tokenTensor, 1, { entropy: false });
    const perResponse = T === 1 ? logProbs : tf.sum(tf.mul(logProbs, tf.tensor2d(mask, [rows, T], 'float32')), 1, true);
    const both = tf.reshape(perResponse, [rows / 2, 2]);
    const [chosen, rejected] = tf.split(both, 2, 1);
    return tf.reshape(tf.sub(chosen!, rejected!), [rows / 2]) as tf.Tensor1D;
  });
}

/**
 * Validates the data against the policy and lays it out, computing the reference margins once
 * (through the reference policy's `evaluate`, or the uniform reference's token counts).
 */
export function preparePairs(data: PairwiseGroupData<PairResponse>, policy: Policy, reference: PairReference, name: string): PreparedPairs {
  validatePairs(data, name);
  const n = data.states.length;
  const length = Math.max(...data.chosen.map((r) => tokensOf(r).length), ...data.rejected.map((r) => tokensOf(r).length));
  checkPolicyFit(policy, data, name, length);
  const stateDim = data.states[0]!.length;
  const features = new Float32Array(n * stateDim);
  data.states.forEach((s, i) => features.set(s, i * stateDim));
  const tokens = new Int32Array(2 * n * length);
  const mask = new Float32Array(2 * n * length);
  for (let i = 0; i < n; i++) {
    [data.chosen[i]!, data.rejected[i]!].forEach((r, k) => {
      tokensOf(r).forEach((tok, t) => {
        tokens[(2 * i + k) * length + t] = tok;
        mask[(2 * i + k) * length + t] = 1;
      });
    });
  }
  const groups = Int32Array.from(data.group_index);
  const prepared: Omit<PreparedPairs, 'refMargin'> = {
    name,
    size: n,
    stateDim,
    features,
    length,
    tokens,
    mask,
    group_index: groups,
    group_names: [...data.group_names],
    groupOfPair: data.group_index.map((g) => data.group_names[g]!),
    counts: countGroups(groups, data.group_names.length),
    logRatioCache: new Map(),
  };
  let refMargin: tf.Tensor1D;
  if ('policy' in reference) {
    refMargin = sequenceLogRatios(reference.policy, prepared as PreparedPairs);
  } else {
    // log pi_ref(y) = -|y| log V: the margin is -(|chosen| - |rejected|) log V (0 for one-token responses).
    const logV = Math.log(reference.uniform);
    refMargin = tf.tensor1d(Array.from({ length: n }, (_, i) => -(tokensOf(data.chosen[i]!).length - tokensOf(data.rejected[i]!).length) * logV));
  }
  return { ...prepared, refMargin };
}

/** Frees the tensors of {@link preparePairs}, including the policies' precomputed log-ratio data. */
export function disposePreparedPairs(pairs: PreparedPairs): void {
  pairs.refMargin.dispose();
  for (const ratios of pairs.logRatioCache.values()) ratios.dispose();
  pairs.logRatioCache.clear();
}

/** The policy's log-ratio fast path for these pairs (made once), or undefined when it has none or responses are sequences. */
export function cachedLogRatios(policy: Policy, pairs: PreparedPairs): PairLogRatios | undefined {
  if (!hasPairLogRatios(policy) || pairs.length !== 1) return undefined;
  let ratios = pairs.logRatioCache.get(policy);
  if (ratios === undefined) {
    const n = pairs.size;
    const chosen = new Int32Array(n);
    const rejected = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      chosen[i] = pairs.tokens[2 * i]!;
      rejected[i] = pairs.tokens[2 * i + 1]!;
    }
    const inputs = [tf.tensor2d(pairs.features, [n, pairs.stateDim], 'float32'), tf.tensor1d(chosen, 'int32'), tf.tensor1d(rejected, 'int32')] as const;
    try {
      ratios = policy.pairLogRatios(inputs[0], inputs[1], inputs[2], pairs.groupOfPair);
    } finally {
      tf.dispose([...inputs]);
    }
    pairs.logRatioCache.set(policy, ratios);
  }
  return ratios;
}

/**
 * The margins h = (log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l)) of the pairs at
 * `indices` (all pairs when omitted); differentiable in the policy. `fast` (default true) uses the
 * policy's pair log-ratio path when it has one.
 */
export function pairMargins(policy: Policy, pairs: PreparedPairs, indices?: Int32Array, fast = true): tf.Tensor1D {
  const ratios = fast ? cachedLogRatios(policy, pairs) : undefined;
  return tf.tidy(() => {
    const index = indices === undefined ? undefined : tf.tensor1d(indices, 'int32');
    const ref = index === undefined ? pairs.refMargin : (tf.gather(pairs.refMargin, index) as tf.Tensor1D);
    if (ratios !== undefined) return tf.sub(ratios.at(index), ref) as tf.Tensor1D;
    return tf.sub(sequenceLogRatios(policy, pairs, indices), ref) as tf.Tensor1D;
  });
}

/** Mean per-pair loss and preference accuracy (share of pairs with h > 0) of each group, over all pairs. */
export function evaluateGroups(
  policy: Policy,
  pairs: PreparedPairs,
  lossType: PreferenceLossType,
  beta: number,
  fast = true,
): { loss: number[]; accuracy: number[] } {
  const packed = tf.tidy(() => {
    const h = pairMargins(policy, pairs, undefined, fast);
    return tf.concat([h, perPairLoss(lossType, h, beta)]);
  });
  const values = packed.dataSync();
  packed.dispose();
  const K = pairs.group_names.length;
  const lossSum = new Array<number>(K).fill(0);
  const correct = new Array<number>(K).fill(0);
  for (let i = 0; i < pairs.size; i++) {
    const g = pairs.group_index[i]!;
    lossSum[g]! += values[pairs.size + i]!;
    if (values[i]! > 0) correct[g]! += 1;
  }
  return {
    loss: lossSum.map((s, g) => s / pairs.counts[g]!),
    accuracy: correct.map((c, g) => c / pairs.counts[g]!),
  };
}
