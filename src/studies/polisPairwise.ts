/**
 * Polis statements as pairwise multi-group preference data for the group-robust methods.
 *
 * Design: the preference table of {@link polisPreferenceTable} (24 most-voted statements, agree rate per
 * opinion group). Training pairs are drawn per group in proportion to its share of participants
 * (`total_pairs` in all, at least 2 per group), so the data is as unbalanced as the conversation; each
 * pair is two distinct statements whose agree rates for that group differ by at least `margin`, the
 * higher-rated one chosen. Validation: `val_pairs_per_group` pairs per group, balanced, so that every
 * group's loss is measured equally well. The policy is not told the group (one distribution over
 * statements, the setting where DPO fits the average labeller and GR-DPO the worst group).
 *
 * This is the kit's Polis experiment design. For your own training on a conversation, {@link polisPairs}
 * gives every pair of the same selection (all groups, all statement pairs at least `margin` apart) with
 * the prompt as state, and {@link polisTask} the GRPO/P-GRPO task.
 */
import * as tf from '@tensorflow/tfjs';
import { ALL_GROUPS, type MetricRecord } from '../frames';
import { Rng } from '../random';
import type { PairwiseGroupData } from '../data/groupLinearBandit';
import { LogLinearPolicy, ROBUST_METHODS, trainGroupRobust, type RobustMethod } from '../robust';
import { trainGroupRobustPopulation } from '../robust/population';
import { polisPreferenceTable, type PolisPreferenceTable } from './polisTable';

/** Options of {@link polisGroupPairs}. */
export interface PolisPairOptions {
  /** Training pairs over all groups (default 300, as in the paper's bandit). */
  total_pairs?: number;
  /** Validation pairs per group (default 100). */
  val_pairs_per_group?: number;
  /** Minimum agree-rate difference for a pair (default 0.1). */
  margin?: number;
  seed: number;
}

/** Train and validation pairs drawn from a Polis preference table. */
export function polisGroupPairs(table: PolisPreferenceTable, options: PolisPairOptions): { train: PairwiseGroupData; val: PairwiseGroupData } {
  const { total_pairs = 300, val_pairs_per_group = 100, margin = 0.1 } = options;
  const rng = new Rng(options.seed);
  const K = table.statements.length;
  const eligible = table.groups.map((g) => {
    const rates = table.rewardTable[g]!;
    const pairs: [number, number][] = [];
    for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) if (Math.abs(rates[a]! - rates[b]!) >= margin) pairs.push(rates[a]! > rates[b]! ? [a, b] : [b, a]);
    if (pairs.length === 0) throw new Error(`Polis ${table.conversation}: group ${g} has no statement pair with agree rates ${margin} apart`);
    return pairs;
  });
  const draw = (counts: number[]): PairwiseGroupData => {
    const data: PairwiseGroupData = { states: [], chosen: [], rejected: [], group_index: [], group_names: [...table.groups], num_responses: K };
    counts.forEach((n, g) => {
      for (let i = 0; i < n; i++) {
        const [c, r] = eligible[g]![rng.int(eligible[g]!.length)]!;
        data.states.push([0]);
        data.chosen.push(c);
        data.rejected.push(r);
        data.group_index.push(g);
      }
    });
    return data;
  };
  const trainCounts = table.shares.map((s) => Math.max(2, Math.round(s * total_pairs)));
  return { train: draw(trainCounts), val: draw(table.groups.map(() => val_pairs_per_group)) };
}

/** Settings of {@link runPolisGroupRobust}. */
export interface PolisGroupRobustConfig extends Omit<PolisPairOptions, 'seed'> {
  conversation: string;
  steps: number;
  max_statements?: number;
}

/**
 * One run of a group-robust method (or its DPO/IPO/IS baseline) on Polis pairs, with a log-linear
 * policy over statements (one-hot features) and a uniform reference. Records per group: train and
 * validation loss and accuracy, alpha; on `all`: worst-group losses.
 */
export function runPolisGroupRobust(method: RobustMethod, seed: number, config: PolisGroupRobustConfig): MetricRecord[] {
  return runPolisGroupRobustPopulation([{ method, seed }], config, { population: false })[0]!;
}

/**
 * {@link runPolisGroupRobust} for several (method, seed) runs on one conversation, trained as one
 * `GroupRobustPopulation` (`population: false`: one by one); each run's records equal its run alone, bit for bit.
 */
export function runPolisGroupRobustPopulation(
  cells: readonly { method: RobustMethod; seed: number }[],
  config: PolisGroupRobustConfig,
  how: { population?: boolean } = {},
): MetricRecord[][] {
  const { conversation, steps, max_statements, ...pairOptions } = config;
  const table = polisPreferenceTable(conversation, max_statements === undefined ? {} : { max_statements });
  const K = table.statements.length;
  const eye = tf.keep(tf.eye(K));
  const runs = cells.map(({ method, seed }) => {
    const { train, val } = polisGroupPairs(table, { ...pairOptions, seed });
    const policy = new LogLinearPolicy({
      features: (states) => tf.tidy(() => tf.tile(eye.expandDims(0), [states.shape[0], 1, 1]) as tf.Tensor3D),
      num_responses: K,
      feature_dim: K,
      state_dim: 1,
    });
    return { policy, train, val, config: { ...ROBUST_METHODS[method], reference: 'uniform' as const, seed, max_steps: steps } };
  });
  try {
    const results = (how.population ?? true) ? trainGroupRobustPopulation(runs) : runs.map((run) => trainGroupRobust(run));
    return results.map((result, r) => {
      const records = result.records.slice();
      table.groups.forEach((g, i) => records.push({ step: 0, group: g, metric: 'participant_share', value: table.shares[i]! }));
      records.push({ step: 0, group: ALL_GROUPS, metric: 'train_pairs', value: runs[r]!.train.chosen.length });
      return records;
    });
  } finally {
    runs.forEach((run) => run.policy.dispose());
    eye.dispose();
  }
}
