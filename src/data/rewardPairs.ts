/**
 * Preference pairs from rewards: the bridge from a reward-based task (GRPO's input) to the
 * group-robust trainer's pairwise input (DPO / GR-DPO), so that both method families can train on
 * the same rewards.
 *
 * Within each group, every two scored responses whose rewards differ by more than `margin` give one
 * pair, the higher-rewarded response chosen (equal rewards never pair). Responses of different
 * groups are never paired. Pairs carry an empty state (the policy sees the group only), as the
 * kit's categorical and language policies without prompt features expect.
 */
import type { PairResponse, PairwiseGroupData } from './groupLinearBandit';

/** One scored response of a group. */
export interface ScoredGroupResponse<R extends PairResponse = PairResponse> {
  group: string;
  /** An action index, or a token sequence. */
  response: R;
  reward: number;
}

/** Options of {@link pairsFromScoredResponses} and {@link pairsFromRewardTable}. */
export interface RewardPairsOptions {
  /** Two rewards pair only when they differ by more than this (default 0: any difference). */
  margin?: number;
  /** Group order (default: order of first appearance). Every listed group must get at least one pair. */
  groups?: readonly string[];
}

/**
 * Pairs from scored responses (see module docs). A non-finite reward, a group outside `groups`, or
 * a group left without any pair is an error naming it; nothing is dropped silently.
 * @param numResponses - the policy's vocabulary size (the pairs' `num_responses`).
 */
export function pairsFromScoredResponses<R extends PairResponse>(
  scored: readonly ScoredGroupResponse<R>[],
  numResponses: number,
  options: RewardPairsOptions = {},
): PairwiseGroupData<R> {
  const margin = options.margin ?? 0;
  if (!(margin >= 0) || !Number.isFinite(margin)) throw new Error(`pairsFromScoredResponses: margin must be a finite number >= 0, got ${margin}`);
  const groups = options.groups ? [...options.groups] : [...new Set(scored.map((s) => s.group))];
  const index = new Map(groups.map((g, i) => [g, i]));
  const byGroup: ScoredGroupResponse<R>[][] = groups.map(() => []);
  scored.forEach((s, i) => {
    if (!Number.isFinite(s.reward)) throw new Error(`pairsFromScoredResponses: response ${i} (group '${s.group}') has reward ${s.reward}; rewards must be finite`);
    const g = index.get(s.group);
    if (g === undefined) throw new Error(`pairsFromScoredResponses: response ${i} has group '${s.group}', not in groups (${groups.join(', ')})`);
    byGroup[g]!.push(s);
  });
  const out: PairwiseGroupData<R> = { states: [], chosen: [], rejected: [], group_index: [], group_names: groups, num_responses: numResponses };
  byGroup.forEach((items, g) => {
    let made = 0;
    for (let a = 0; a < items.length; a++) {
      for (let b = a + 1; b < items.length; b++) {
        const [x, y] = [items[a]!, items[b]!];
        if (Math.abs(x.reward - y.reward) <= margin) continue;
        const [win, lose] = x.reward > y.reward ? [x, y] : [y, x];
        out.states.push([]);
        out.chosen.push(win.response);
        out.rejected.push(lose.response);
        out.group_index.push(g);
        made += 1;
      }
    }
    if (made === 0) throw new Error(`pairsFromScoredResponses: group '${groups[g]}' has no two responses with rewards more than ${margin} apart (${items.length} responses)`);
  });
  return out;
}

/**
 * Pairs from a reward table (a {@link tableTask}'s `rewardTable`: each group's reward for every
 * action): within each group, every two actions whose rewards differ by more than `margin`; the
 * higher-rewarded action chosen. A group with K actions of distinct rewards gives K (K - 1) / 2 pairs.
 */
export function pairsFromRewardTable(
  table: { groups: readonly string[]; rewardTable: Readonly<Record<string, readonly number[]>> },
  options: Omit<RewardPairsOptions, 'groups'> = {},
): PairwiseGroupData<number> {
  const rows = table.groups.map((g) => {
    const row = table.rewardTable[g];
    if (row === undefined) throw new Error(`pairsFromRewardTable: rewardTable has no row for group '${g}'`);
    return row;
  });
  const numResponses = rows[0]!.length;
  rows.forEach((row, g) => {
    if (row.length !== numResponses) throw new Error(`pairsFromRewardTable: group '${table.groups[g]}' has ${row.length} rewards, group '${table.groups[0]}' ${numResponses}`);
  });
  const scored = table.groups.flatMap((group, g) => rows[g]!.map((reward, response) => ({ group, response, reward })));
  return pairsFromScoredResponses(scored, numResponses, { ...options, groups: table.groups });
}
