/**
 * Reward error of a policy on the group linear bandit.
 *
 * Definition (the kit's, following the `argmax` evaluation of the authors' bandit code): for each state s
 * and group g, the error is r_g(s, a*_g(s)) - r_g(s, a_pi(s)), where r_g is the group's true reward,
 * a*_g(s) its optimal action and a_pi(s) = argmax_a pi(a|s) the action the policy prefers (ties go to
 * the lowest index). The reported value is the mean over the given states (the validation states);
 * it is 0 when the policy's favourite action is optimal for the group everywhere, and never negative.
 */
import * as tf from '@tensorflow/tfjs';
import { banditReward } from '../data/groupLinearBandit';
import type { PairwisePolicy } from './policy';

/**
 * The action each state's policy distribution puts most mass on. Works for any {@link PairwisePolicy};
 * `group` is passed on to group-conditioned policies.
 */
export function preferredActions(policy: PairwisePolicy, states: readonly number[][], numActions: number, group?: string): number[] {
  const groups = group === undefined ? undefined : states.map(() => group);
  const scores = tf.tidy(() => {
    const s = tf.tensor2d(states as number[][]);
    if (policy.allLogProbs !== undefined) return policy.allLogProbs(s, groups).argMax(1).dataSync().slice();
    const perAction = [];
    for (let a = 0; a < numActions; a++) {
      perAction.push(policy.logProbs(s, tf.fill([states.length], a, 'int32') as tf.Tensor1D, groups));
    }
    return tf.stack(perAction, 1).argMax(1).dataSync().slice();
  });
  return Array.from(scores);
}

/**
 * Mean reward error of the policy's preferred action for each group's true theta (see module docs).
 * With `groupNames`, the policy is asked as group g when scoring group g (for group-conditioned
 * policies); without, one preferred action per state serves every group.
 */
export function banditRewardError(
  policy: PairwisePolicy,
  states: readonly number[][],
  trueThetas: readonly (readonly number[])[],
  numActions: number,
  groupNames?: readonly string[],
): number[] {
  if (states.length === 0) throw new Error('banditRewardError needs at least one state');
  if (groupNames !== undefined && groupNames.length !== trueThetas.length) {
    throw new Error(`groupNames has ${groupNames.length} names but trueThetas has ${trueThetas.length} groups`);
  }
  const shared = groupNames === undefined ? preferredActions(policy, states, numActions) : undefined;
  return trueThetas.map((theta, g) => {
    const picked = shared ?? preferredActions(policy, states, numActions, groupNames![g]);
    let total = 0;
    states.forEach((s, i) => {
      let best = -Infinity;
      for (let a = 0; a < numActions; a++) best = Math.max(best, banditReward(s, a, theta, numActions));
      total += best - banditReward(s, picked[i]!, theta, numActions);
    });
    return total / states.length;
  });
}
