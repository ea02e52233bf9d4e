/**
 * Reward error of a policy on the group linear bandit.
 *
 * Definition (the kit's, following the `argmax` evaluation of the authors' bandit code): for each state s
 * and group g, the error is r_g(s, a*_g(s)) - r_g(s, a_pi(s)), where r_g is the group's true reward,
 * a*_g(s) its optimal action and a_pi(s) = argmax_a pi(a|s) the action the policy prefers (ties go to
 * the lowest index). The absolute error is the mean over the given states (the validation states);
 * it is 0 when the policy's favourite action is optimal for the group everywhere, and never negative.
 * The relative error divides that mean by the mean absolute optimal reward, mean_s |r_g(s, a*_g(s))|
 * (a ratio of means, so that states whose optimal reward is near 0 cannot blow it up).
 */
import * as tf from '@tensorflow/tfjs';
import { banditReward, type BanditFeatureMap } from '../data/groupLinearBandit';
import type { Policy } from '../policy/types';

/**
 * The action each state's policy distribution puts most mass on, for any one-token {@link Policy}
 * (every action is scored as a response of the state's context). `group` is the preference group the
 * policy is asked as; a policy that knows groups needs one.
 */
export function preferredActions(policy: Policy, states: readonly number[][], numResponses: number, group?: string): number[] {
  if (policy.maxLength !== 1) throw new Error(`preferredActions needs a one-token policy (maxLength 1), got maxLength ${policy.maxLength}`);
  if (group === undefined && policy.groups.length > 0) throw new Error(`preferredActions: the policy is group-conditioned (${policy.groups.join(', ')}); pass a group`);
  const n = states.length;
  const contexts = { size: n, features: Float32Array.from(states.flat()), groups: new Array<string>(n).fill(group ?? '') };
  const tokens = new Int32Array(n * numResponses);
  for (let i = 0; i < n; i++) for (let a = 0; a < numResponses; a++) tokens[i * numResponses + a] = a;
  const best = tf.tidy(() => {
    const { logProbs } = policy.evaluate(contexts, tf.tensor2d(tokens, [n * numResponses, 1], 'int32'), 1, { entropy: false });
    return tf.argMax(tf.reshape(logProbs, [n, numResponses]), 1);
  });
  const out = Array.from(best.dataSync());
  best.dispose();
  return out;
}

/** Absolute and relative reward errors of each group (see module docs). */
export interface BanditRewardErrors {
  absolute: number[];
  relative: number[];
}

/**
 * Mean reward error of the policy's preferred action for each group's true theta (see module docs),
 * absolute and relative to the optimal reward. With `groupNames`, the policy is asked as group g when
 * scoring group g (group-conditioned policies, group-specific feature maps); without, one preferred
 * action per state serves every group. `featureMap` (default `same`) is the bandit's feature map.
 */
export function banditRewardErrors(
  policy: Policy,
  states: readonly number[][],
  trueThetas: readonly (readonly number[])[],
  numResponses: number,
  groupNames?: readonly string[],
  featureMap: BanditFeatureMap = 'same',
): BanditRewardErrors {
  if (states.length === 0) throw new Error('banditRewardError needs at least one state');
  if (groupNames !== undefined && groupNames.length !== trueThetas.length) {
    throw new Error(`groupNames has ${groupNames.length} names but trueThetas has ${trueThetas.length} groups`);
  }
  const shared = groupNames === undefined ? preferredActions(policy, states, numResponses) : undefined;
  const absolute: number[] = [];
  const relative: number[] = [];
  trueThetas.forEach((theta, g) => {
    const picked = shared ?? preferredActions(policy, states, numResponses, groupNames![g]);
    let total = 0;
    let optimal = 0;
    states.forEach((s, i) => {
      let best = -Infinity;
      for (let a = 0; a < numResponses; a++) best = Math.max(best, banditReward(s, a, theta, numResponses, featureMap, g));
      total += best - banditReward(s, picked[i]!, theta, numResponses, featureMap, g);
      optimal += Math.abs(best);
    });
    absolute.push(total / states.length);
    if (!(optimal > 0)) throw new Error(`relative reward error of group ${g} is undefined: every state's optimal reward is 0`);
    relative.push(total / optimal);
  });
  return { absolute, relative };
}

/** The absolute errors of {@link banditRewardErrors} (feature map `same`). */
export function banditRewardError(
  policy: Policy,
  states: readonly number[][],
  trueThetas: readonly (readonly number[])[],
  numResponses: number,
  groupNames?: readonly string[],
): number[] {
  return banditRewardErrors(policy, states, trueThetas, numResponses, groupNames).absolute;
}
