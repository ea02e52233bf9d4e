/**
 * The synthetic comparison of the paper: DPO, IS-DPO, GR-DPO, IPO, IS-IPO and GR-IPO with the
 * log-linear policy on the group linear bandit, over several seeds.
 */
import type { DataFrame } from 'danfojs-node';
import { ALL_GROUPS, type MetricRecord, recordsToFrame } from '../frames';
import { bySize } from '../runtime';
import {
  BANDIT_FEATURE_DIM,
  BANDIT_STATE_DIM,
  banditFeatures,
  banditFeatureTensor,
  generateGroupLinearBandit,
  type GroupLinearBandit,
  type GroupLinearBanditOptions,
} from '../data/groupLinearBandit';
import type { GroupRobustConfig } from './config';
import type { GroupWeighting } from './groupWeights';
import type { PreferenceLossType } from './losses';
import { closedFormGrIpo, ipoGroupLosses, pairFeatureDifferences } from './closedForm';
import { LogLinearPolicy, type LogLinearPolicyOptions, uniformTheta } from './policy';
import { banditRewardErrors } from './rewardError';
import { type ExtraMetrics, trainGroupRobust } from './trainer';

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
        bandit.num_actions,
        bandit.feature_map,
        groupFree ? undefined : groups.map((g) => index.get(g)!),
      ),
    num_actions: bandit.num_actions,
    feature_dim: BANDIT_FEATURE_DIM,
    state_dim: BANDIT_STATE_DIM,
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
      bandit.num_actions,
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

/** The methods of the comparison. */
export type RobustMethod = 'dpo' | 'is_dpo' | 'gr_dpo' | 'ipo' | 'is_ipo' | 'gr_ipo';

/** Loss and weighting of each method. */
export const ROBUST_METHODS: Record<RobustMethod, { loss_type: PreferenceLossType; weighting: GroupWeighting }> = {
  dpo: { loss_type: 'sigmoid', weighting: 'uniform' },
  is_dpo: { loss_type: 'sigmoid', weighting: 'importance' },
  gr_dpo: { loss_type: 'sigmoid', weighting: 'robust' },
  ipo: { loss_type: 'ipo', weighting: 'uniform' },
  is_ipo: { loss_type: 'ipo', weighting: 'importance' },
  gr_ipo: { loss_type: 'ipo', weighting: 'robust' },
};

/** Options of {@link runGroupRobustComparison}; training settings not given take {@link GROUP_ROBUST_DEFAULTS} (reference: `uniform`). */
export interface GroupRobustComparisonOptions extends Omit<GroupRobustConfig, 'loss_type' | 'weighting' | 'seed'> {
  split: 'even' | 'uneven';
  /** Default: all six methods. */
  methods?: RobustMethod[];
  /** A count n (seeds 0..n-1) or explicit seeds. Default `bySize(2, 20)`. */
  seeds?: number | number[];
  /** Optimiser steps per run. Default `bySize(100, 1000)`. */
  steps?: number;
  /** Bandit data options other than seed and split. */
  data?: Omit<GroupLinearBanditOptions, 'seed' | 'split'>;
  /** Initial theta drawn from U(0, param_limit), seeded by the run's seed (default: theta = 0). */
  theta_param_limit?: number;
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
 * Trains every method on the same bandit data for each seed (seed s draws the data, the batches and,
 * with `theta_param_limit`, the initial theta; otherwise theta starts at 0, the uniform policy) with
 * {@link trainGroupRobust}, and summarises the last logged step.
 */
export function runGroupRobustComparison(options: GroupRobustComparisonOptions): GroupRobustComparison {
  const { split, methods = Object.keys(ROBUST_METHODS) as RobustMethod[], seeds: seedsOption, steps, data, theta_param_limit: paramLimit, ...training } = options;
  if (split !== 'even' && split !== 'uneven') throw new Error(`split must be 'even' or 'uneven', got '${split as string}'`);
  methods.forEach((m) => {
    if (!(m in ROBUST_METHODS)) throw new Error(`unknown method '${m}'; use one of ${Object.keys(ROBUST_METHODS).join(', ')}`);
  });
  const seedCount = seedsOption ?? bySize(2, 20);
  const seeds = typeof seedCount === 'number' ? Array.from({ length: seedCount }, (_, i) => i) : seedCount;
  if (seeds.length === 0) throw new Error('seeds must name at least one seed');
  const maxSteps = steps ?? bySize(100, 1000);

  const records: MetricRecord[] = [];
  const finals = new Map<RobustMethod, { worst: number[]; reward: number[] }>();
  for (const seed of seeds) {
    const bandit = generateGroupLinearBandit({ ...data, seed, split });
    for (const method of methods) {
      const policy = banditLogLinearPolicy(bandit, paramLimit === undefined ? undefined : { param_limit: paramLimit, seed });
      try {
        const result = trainGroupRobust({
          policy,
          train: bandit.train,
          val: bandit.val,
          config: { reference: 'uniform', ...training, ...ROBUST_METHODS[method], seed, max_steps: maxSteps },
          extra_metrics: banditRewardMetrics(bandit),
        });
        for (const r of result.records) records.push({ ...r, method, seed, split });
        const last = result.records[result.records.length - 1]!.step;
        const at = (metric: string) => result.records.find((r) => r.step === last && r.metric === metric)!.value;
        const entry = finals.get(method) ?? { worst: [], reward: [] };
        entry.worst.push(at('worst_group_val_loss'));
        entry.reward.push(at('max_reward_error'));
        finals.set(method, entry);
      } finally {
        policy.dispose();
      }
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
  const s = AUTHORS_SCENARIO_I;
  const steps = options.steps ?? s.steps;
  const logEvery = options.log_every ?? 100;
  if (!(AUTHORS_SCENARIO_METHODS as readonly string[]).includes(method)) throw new Error(`unknown method '${method}'; use one of ${AUTHORS_SCENARIO_METHODS.join(', ')}`);
  const data: Omit<GroupLinearBanditOptions, 'seed' | 'split'> = { group_counts: [...s.group_counts], feature_map: s.feature_map };
  if (method !== 'gr_ipo_closed_form') {
    const out = runGroupRobustComparison({
      split: 'uneven',
      methods: [method],
      seeds: [seed],
      steps,
      data,
      theta_param_limit: s.theta_param_limit,
      beta: s.beta,
      learning_rate: s.learning_rate,
      eta_alpha: s.eta_alpha,
      variant: s.variant,
      optimizer: s.optimizer,
      importance_weights: s.importance_weights,
      log_every: logEvery,
    });
    return out.records.map(({ step, group, metric, value }) => ({ step, group, metric, value }));
  }
  const bandit = generateGroupLinearBandit({ ...data, seed });
  const features = (state: readonly number[], action: number, group: number) => banditFeatures(state, action, bandit.num_actions, bandit.feature_map, group);
  const valDifferences = pairFeatureDifferences(bandit.val, features);
  const names = bandit.train.group_names;
  const policy = banditLogLinearPolicy(bandit);
  const rewardMetrics = banditRewardMetrics(bandit);
  try {
    return closedFormGrIpo(bandit.train, features, {
      beta: s.beta,
      eta_alpha: s.eta_alpha,
      iterations: steps,
      theta_init: uniformTheta(BANDIT_FEATURE_DIM, { param_limit: s.theta_param_limit, seed }),
      log_every: logEvery,
      extra_metrics: (theta) => {
        const val = ipoGroupLosses(valDifferences, bandit.val.group_index, names.length, theta, s.beta);
        policy.setWeights([{ name: 'theta', shape: [BANDIT_FEATURE_DIM], values: theta }]);
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
