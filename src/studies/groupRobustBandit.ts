/**
 * The group-robust paper's synthetic study: DPO, IS-DPO, GR-DPO, IPO, IS-IPO and GR-IPO with the
 * log-linear policy on the group linear bandit. {@link runBanditGroupRobust} is one run (one method,
 * one seed): the cell function of the experiments `group-robust-linear` and `group-robust-authors`
 * (src/experiments/library/groupRobust.ts), which run it over methods, seeds and splits with caching
 * and workers. {@link runGroupRobustComparison} is a small in-process loop over it for a quick look.
 * Sizes (steps, seeds) are always passed explicitly.
 */
import type { DataFrame } from 'danfojs-node';
import { ALL_GROUPS, type MetricRecord, recordsToFrame } from '../frames';
import {
  GROUP_LINEAR_BANDIT,
  banditFeatures,
  banditFeatureTensor,
  generateGroupLinearBandit,
  type GroupLinearBandit,
  type GroupLinearBanditOptions,
} from '../data/groupLinearBandit';
import type { GroupRobustConfig } from '../robust/config';
import { closedFormGrIpo, ipoGroupLosses, pairFeatureDifferences } from '../robust/closedForm';
import { checkRobustMethod, ROBUST_METHODS, type RobustMethod } from '../robust/methods';
import { LogLinearPolicy, type LogLinearPolicyOptions, uniformTheta } from '../robust/policy';
import { banditRewardErrors } from '../robust/rewardError';
import { trainGroupRobustPopulation } from '../robust/population';
import { type ExtraMetrics, trainGroupRobust } from '../robust/trainer';

/**
 * The log-linear policy of the bandit: pi(a|s, g) ∝ exp(theta . phi_g(s, a)) with the bandit's feature
 * map (group-free for `same`, so it then accepts any group name; the bandit's groups otherwise).
 */
export function banditLogLinearPolicy(bandit: GroupLinearBandit, thetaInit?: LogLinearPolicyOptions['theta_init']): LogLinearPolicy {
  const names = bandit.train.group_names;
  const index = new Map(names.map((g, i) => [g, i]));
  const groupFree = bandit.feature_map === 'same';
  return new LogLinearPolicy({
    features: (states, groups) =>
      banditFeatureTensor(
        states,
        bandit.num_responses,
        bandit.feature_map,
        groupFree ? undefined : groups.map((g) => index.get(g)!),
      ),
    num_responses: bandit.num_responses,
    feature_dim: GROUP_LINEAR_BANDIT.feature_dim,
    state_dim: GROUP_LINEAR_BANDIT.state_dim,
    groups: groupFree ? [] : names,
    theta_init: thetaInit,
  });
}

/**
 * Evaluation metrics of the bandit: per group `reward_error` and `relative_reward_error` on the
 * validation states (see ./rewardError.ts), on `all` their maxima `max_reward_error` and
 * `max_relative_reward_error`. With a group-specific feature map the policy is asked as each group.
 */
export function banditRewardMetrics(bandit: GroupLinearBandit): ExtraMetrics {
  const names = bandit.train.group_names;
  return (policy) => {
    const err = banditRewardErrors(
      policy,
      bandit.val.states,
      bandit.true_thetas,
      bandit.num_responses,
      bandit.feature_map === 'same' ? undefined : names,
      bandit.feature_map,
    );
    return [
      ...err.absolute.map((value, g) => ({ group: names[g]!, metric: 'reward_error', value })),
      { group: ALL_GROUPS, metric: 'max_reward_error', value: Math.max(...err.absolute) },
      ...err.relative.map((value, g) => ({ group: names[g]!, metric: 'relative_reward_error', value })),
      { group: ALL_GROUPS, metric: 'max_relative_reward_error', value: Math.max(...err.relative) },
    ];
  };
}

/**
 * Options of {@link runBanditGroupRobust}: the bandit split, the number of optimiser steps, and
 * training settings (those not given take `GROUP_ROBUST_DEFAULTS`; reference: `uniform`).
 */
export interface BanditGroupRobustOptions extends Omit<GroupRobustConfig, 'loss_type' | 'weighting' | 'seed' | 'max_steps'> {
  split: 'even' | 'uneven';
  /** Optimiser steps of the run. */
  steps: number;
  /** Bandit data options other than seed and split. */
  data?: Omit<GroupLinearBanditOptions, 'seed' | 'split'>;
  /** Initial theta drawn from U(0, param_limit), seeded by the run's seed (default: theta = 0). */
  theta_param_limit?: number;
}

/**
 * One run of the bandit study: seed `seed` draws the bandit data, the batches and (with
 * `theta_param_limit`) the initial theta, otherwise theta starts at 0 (the uniform policy); the
 * method's loss and weighting come from {@link ROBUST_METHODS}. Returns the trainer's long-form
 * records (step, group, metric, value) with the bandit's reward errors ({@link banditRewardMetrics}).
 */
export function runBanditGroupRobust(method: RobustMethod, seed: number, options: BanditGroupRobustOptions): MetricRecord[] {
  return runBanditGroupRobustPopulation([{ method, seed }], options, { population: false })[0]!;
}

/**
 * {@link runBanditGroupRobust} for several (method, seed) cells with the same options, trained as one
 * {@link GroupRobustPopulation} (one batched step for all cells): every cell's records are the ones
 * {@link runBanditGroupRobust} gives it, bit for bit. `population: false` trains the cells one by one.
 */
export function runBanditGroupRobustPopulation(
  cells: readonly { method: RobustMethod; seed: number }[],
  options: BanditGroupRobustOptions,
  how: { population?: boolean } = {},
): MetricRecord[][] {
  const { split, steps, data, theta_param_limit: paramLimit, ...training } = options;
  if (split !== 'even' && split !== 'uneven') throw new Error(`split must be 'even' or 'uneven', got '${split as string}'`);
  cells.forEach((c) => checkRobustMethod(c.method));
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${String(steps)}`);
  const args = cells.map(({ method, seed }) => {
    const bandit = generateGroupLinearBandit({ ...data, seed, split });
    return {
      policy: banditLogLinearPolicy(bandit, paramLimit === undefined ? undefined : { param_limit: paramLimit, seed }),
      train: bandit.train,
      val: bandit.val,
      config: { reference: 'uniform' as const, ...training, ...ROBUST_METHODS[method], seed, max_steps: steps },
      extra_metrics: banditRewardMetrics(bandit),
    };
  });
  try {
    if (how.population ?? true) return trainGroupRobustPopulation(args).map((r) => r.records);
    return args.map((a) => trainGroupRobust(a).records);
  } finally {
    args.forEach((a) => a.policy.dispose());
  }
}

/** Options of {@link runGroupRobustComparison}: those of {@link runBanditGroupRobust}, methods and seeds. */
export interface GroupRobustComparisonOptions extends BanditGroupRobustOptions {
  /** Default: all six methods. */
  methods?: RobustMethod[];
  /** A count n (seeds 0..n-1) or explicit seeds. */
  seeds: number | number[];
}

/** One method's final numbers, mean (and standard deviation) over seeds. */
export interface ComparisonSummaryRow {
  method: RobustMethod;
  seeds: number;
  worst_group_val_loss: number;
  worst_group_val_loss_std: number;
  max_reward_error: number;
  max_reward_error_std: number;
}

/** Output of {@link runGroupRobustComparison}. */
export interface GroupRobustComparison {
  /** Long-form records labelled with `method`, `seed` and `split`. */
  records: MetricRecord[];
  frame: DataFrame;
  summary: ComparisonSummaryRow[];
  summaryFrame: DataFrame;
}

function meanStd(xs: number[]): [number, number] {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  const v = xs.length > 1 ? xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1) : 0;
  return [m, Math.sqrt(v)];
}

/**
 * {@link runBanditGroupRobust} for every method and seed, in this process and without caching (the
 * experiment `group-robust-linear` is the cached, parallel version), and each method's numbers at
 * the last logged step, mean and standard deviation over seeds.
 */
export function runGroupRobustComparison(options: GroupRobustComparisonOptions): GroupRobustComparison {
  const { methods = Object.keys(ROBUST_METHODS) as RobustMethod[], seeds: seedsOption, ...run } = options;
  methods.forEach((m) => checkRobustMethod(m));
  const seeds = typeof seedsOption === 'number' ? Array.from({ length: seedsOption }, (_, i) => i) : seedsOption;
  if (!Array.isArray(seeds) || seeds.length === 0) throw new Error('seeds must name at least one seed');

  const records: MetricRecord[] = [];
  const finals = new Map<RobustMethod, { worst: number[]; reward: number[] }>();
  for (const seed of seeds) {
    for (const method of methods) {
      const runRecords = runBanditGroupRobust(method, seed, run);
      for (const r of runRecords) records.push({ ...r, method, seed, split: run.split });
      const last = runRecords[runRecords.length - 1]!.step;
      const at = (metric: string) => runRecords.find((r) => r.step === last && r.metric === metric)!.value;
      const entry = finals.get(method) ?? { worst: [], reward: [] };
      entry.worst.push(at('worst_group_val_loss'));
      entry.reward.push(at('max_reward_error'));
      finals.set(method, entry);
    }
  }
  const summary = methods.map((method) => {
    const f = finals.get(method)!;
    const [worst, worstStd] = meanStd(f.worst);
    const [reward, rewardStd] = meanStd(f.reward);
    return {
      method,
      seeds: seeds.length,
      worst_group_val_loss: worst,
      worst_group_val_loss_std: worstStd,
      max_reward_error: reward,
      max_reward_error_std: rewardStd,
    };
  });
  return { records, frame: recordsToFrame(records), summary, summaryFrame: recordsToFrame(summary as unknown as Record<string, unknown>[]) };
}

/**
 * Scenario (i) of the authors' bandit setting, as the issue states it: 2 groups, 8 actions, state
 * dimension 2, 300 training pairs split by weights [0.2, 0.8] (60/240), the `swapped` feature map,
 * beta 1, SGD with learning rate 0.9, eta_alpha 0.5, full batch (the `authors_code` variant), the
 * authors' normalised importance weights, 2000 steps, 20 seeds. Not given there and chosen by the kit:
 * the initial theta's range (U(0, 1)), the uniform reference, 200 validation pairs per group.
 */
export const AUTHORS_SCENARIO_I = {
  group_counts: [60, 240],
  feature_map: 'swapped',
  beta: 1,
  learning_rate: 0.9,
  eta_alpha: 0.5,
  variant: 'authors_code',
  optimizer: 'sgd',
  importance_weights: 'normalized',
  theta_param_limit: 1,
  steps: 2000,
  seeds: 20,
} as const;

/** The methods of {@link runAuthorsScenario}: the six gradient methods and GR-IPO by closed-form regression. */
export const AUTHORS_SCENARIO_METHODS = [...(Object.keys(ROBUST_METHODS) as RobustMethod[]), 'gr_ipo_closed_form'] as const;
/** One of {@link AUTHORS_SCENARIO_METHODS}. */
export type AuthorsScenarioMethod = (typeof AUTHORS_SCENARIO_METHODS)[number];

/**
 * One run of scenario (i) ({@link AUTHORS_SCENARIO_I}): the method's records at every `log_every`-th
 * step and the last (per group `train_loss`, `val_loss`, accuracies, `alpha`, reward errors absolute
 * and relative; on `all` the worst-group losses and the largest reward errors). `gr_ipo_closed_form`
 * runs Algorithm 2 ({@link closedFormGrIpo}) for `steps` iterations from the same initial theta.
 */
export function runAuthorsScenario(method: AuthorsScenarioMethod, seed: number, options: { steps?: number; log_every?: number } = {}): MetricRecord[] {
  checkRobustMethod(method, AUTHORS_SCENARIO_METHODS);
  if (method !== 'gr_ipo_closed_form') return runAuthorsScenarioPopulation([{ method, seed }], options, { population: false })[0]!;
  return authorsClosedForm(seed, options);
}

/** The bandit options of scenario (i)'s gradient methods (see {@link AUTHORS_SCENARIO_I}). */
function authorsOptions(options: { steps?: number; log_every?: number }): BanditGroupRobustOptions {
  const s = AUTHORS_SCENARIO_I;
  return {
    split: 'uneven',
    steps: options.steps ?? s.steps,
    data: { group_counts: [...s.group_counts], feature_map: s.feature_map },
    theta_param_limit: s.theta_param_limit,
    beta: s.beta,
    learning_rate: s.learning_rate,
    eta_alpha: s.eta_alpha,
    variant: s.variant,
    optimizer: s.optimizer,
    importance_weights: s.importance_weights,
    log_every: options.log_every ?? 100,
  };
}

/**
 * {@link runAuthorsScenario} for several (method, seed) cells: the gradient methods' cells trained as
 * one {@link GroupRobustPopulation} (`population: false`: one by one), the closed form's one by one;
 * every cell's records are the ones {@link runAuthorsScenario} gives it, bit for bit.
 */
export function runAuthorsScenarioPopulation(
  cells: readonly { method: AuthorsScenarioMethod; seed: number }[],
  options: { steps?: number; log_every?: number } = {},
  how: { population?: boolean } = {},
): MetricRecord[][] {
  cells.forEach((c) => checkRobustMethod(c.method, AUTHORS_SCENARIO_METHODS));
  const gradient = cells.flatMap((c, i) => (c.method === 'gr_ipo_closed_form' ? [] : [{ method: c.method, seed: c.seed, i }]));
  const out: MetricRecord[][] = new Array(cells.length);
  if (gradient.length > 0) runBanditGroupRobustPopulation(gradient, authorsOptions(options), how).forEach((records, k) => (out[gradient[k]!.i] = records));
  cells.forEach((c, i) => {
    if (c.method === 'gr_ipo_closed_form') out[i] = authorsClosedForm(c.seed, options);
  });
  return out;
}

/** Scenario (i)'s GR-IPO by closed-form regression (Algorithm 2). */
function authorsClosedForm(seed: number, options: { steps?: number; log_every?: number }): MetricRecord[] {
  const s = AUTHORS_SCENARIO_I;
  const steps = options.steps ?? s.steps;
  const logEvery = options.log_every ?? 100;
  const data: Omit<GroupLinearBanditOptions, 'seed' | 'split'> = { group_counts: [...s.group_counts], feature_map: s.feature_map };
  const bandit = generateGroupLinearBandit({ ...data, seed });
  const features = (state: readonly number[], action: number, group: number) => banditFeatures(state, action, bandit.num_responses, bandit.feature_map, group);
  const valDifferences = pairFeatureDifferences(bandit.val, features);
  const names = bandit.train.group_names;
  const policy = banditLogLinearPolicy(bandit);
  const rewardMetrics = banditRewardMetrics(bandit);
  try {
    return closedFormGrIpo(bandit.train, features, {
      beta: s.beta,
      eta_alpha: s.eta_alpha,
      iterations: steps,
      theta_init: uniformTheta(GROUP_LINEAR_BANDIT.feature_dim, { param_limit: s.theta_param_limit, seed }),
      log_every: logEvery,
      extra_metrics: (theta) => {
        const val = ipoGroupLosses(valDifferences, bandit.val.group_index, names.length, theta, s.beta);
        policy.setWeights([{ name: 'theta', shape: [GROUP_LINEAR_BANDIT.feature_dim], values: theta }]);
        return [
          ...val.map((value, g) => ({ group: names[g]!, metric: 'val_loss', value })),
          { group: ALL_GROUPS, metric: 'worst_group_val_loss', value: Math.max(...val) },
          ...rewardMetrics(policy),
        ];
      },
    }).records;
  } finally {
    policy.dispose();
  }
}
