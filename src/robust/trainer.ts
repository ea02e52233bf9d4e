/**
 * Trainer for DPO, IPO, their importance-sampled versions and Group Robust Preference Optimization
 * (GR-DPO, GR-IPO; Algorithm 1 of arXiv 2405.20304) over pairwise multi-group data, on tfjs.
 *
 * Each step: draw a batch, compute per-pair losses at the current policy, (robust weighting only)
 * update the group weights alpha with those losses, then take one optimiser step on
 * (1/B) sum_i w_i l_i with the per-pair weights of {@link pairWeights} (using the updated alpha, as in
 * Algorithm 1). See ./groupWeights.ts for the exact formulas and the `paper` / `authors_code` variants.
 * The paper's projection of theta onto a bounded set is not applied.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataFrame } from 'danfojs-node';
import { ALL_GROUPS, type MetricRecord, recordsToFrame } from '../frames';
import { Rng } from '../random';
import type { PairwiseGroupData } from '../data/groupLinearBandit';
import {
  type GroupWeighting,
  type RobustVariant,
  groupLossEstimates,
  pairWeights,
  uniformGroupWeights,
  updateGroupWeights,
} from './groupWeights';
import { checkBeta, perPairLoss, type PreferenceLossType } from './losses';
import { disposePreparedPairs, evaluateGroups, pairMargins, preparePairs, type PreparedPairs } from './pairs';
import type { PairwisePolicy, ReferencePolicy } from './policy';

/** Training configuration (TRL's names where TRL has the concept). */
export interface GroupRobustConfig {
  /** Per-pair loss: `sigmoid` (DPO) or `ipo`. */
  loss_type: PreferenceLossType;
  /** `uniform` (DPO/IPO), `importance` (IS-DPO/IS-IPO) or `robust` (GR-DPO/GR-IPO). */
  weighting: GroupWeighting;
  /** KL strength beta of DPO/IPO (> 0). */
  beta: number;
  /** Policy step size (> 0). */
  learning_rate: number;
  /** Group-weight step size eta_alpha (> 0; used by `robust` only). */
  eta_alpha: number;
  /** Pairs per step for the `paper` variant, drawn uniformly with replacement; `authors_code` uses all pairs. */
  batch_size: number;
  /** Number of optimiser steps. */
  max_steps: number;
  /** Plain gradient descent (`sgd`) or `adam`. */
  optimizer: 'sgd' | 'adam';
  /** Which group-robust update (see ./groupWeights.ts); also decides minibatch versus full batch. */
  variant: RobustVariant;
  /** Seed of the batch sampler. */
  seed: number;
  /** Log metrics every this many steps (and at step 0 and the last step). */
  log_every: number;
}

/** Defaults: the kit's choices, fixed before any comparison was run. */
export const GROUP_ROBUST_DEFAULTS: GroupRobustConfig = {
  loss_type: 'sigmoid',
  weighting: 'robust',
  beta: 1,
  learning_rate: 0.1,
  eta_alpha: 0.05,
  batch_size: 32,
  max_steps: 1000,
  optimizer: 'sgd',
  variant: 'paper',
  seed: 0,
  log_every: 50,
};

/** Extra metrics computed at each logging step (e.g. the bandit reward error). */
export type ExtraMetrics = (policy: PairwisePolicy) => { group: string; metric: string; value: number }[];

/** Inputs of {@link trainGroupRobust}. */
export interface TrainGroupRobustArgs {
  policy: PairwisePolicy;
  reference: ReferencePolicy;
  train: PairwiseGroupData;
  /** Validation pairs (same groups); gives `val_loss`, `val_accuracy` and `worst_group_val_loss`. */
  val?: PairwiseGroupData;
  config?: Partial<GroupRobustConfig>;
  extra_metrics?: ExtraMetrics;
}

/** Output of {@link trainGroupRobust}. */
export interface GroupRobustResult {
  /** Long-form metrics: per group `train_loss`, `train_accuracy`, `val_loss`, `val_accuracy`, `alpha`;
   * on group `all`: `worst_group_train_loss`, `worst_group_val_loss`; plus the extra metrics. */
  records: MetricRecord[];
  /** The records as a DataFrame. */
  frame: DataFrame;
  /** Final group weights (1/K throughout unless `weighting` is `robust`). */
  alpha: number[];
  config: GroupRobustConfig;
}

function positive(value: number, name: string): void {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a finite positive number, got ${value}`);
}

/** Fills defaults and checks every field, naming the bad one. */
export function resolveGroupRobustConfig(config: Partial<GroupRobustConfig> = {}): GroupRobustConfig {
  const c = { ...GROUP_ROBUST_DEFAULTS, ...config };
  checkBeta(c.beta);
  positive(c.learning_rate, 'learning_rate');
  if (c.weighting === 'robust') positive(c.eta_alpha, 'eta_alpha');
  if (!['sigmoid', 'ipo'].includes(c.loss_type)) throw new Error(`loss_type must be 'sigmoid' (DPO) or 'ipo', got '${c.loss_type}'`);
  if (!['uniform', 'importance', 'robust'].includes(c.weighting)) {
    throw new Error(`weighting must be 'uniform', 'importance' or 'robust', got '${c.weighting}'`);
  }
  if (!['paper', 'authors_code'].includes(c.variant)) throw new Error(`variant must be 'paper' or 'authors_code', got '${c.variant}'`);
  if (!['sgd', 'adam'].includes(c.optimizer)) throw new Error(`optimizer must be 'sgd' or 'adam', got '${c.optimizer}'`);
  for (const key of ['batch_size', 'log_every'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new Error(`${key} must be a positive integer, got ${c[key]}`);
  }
  if (!Number.isInteger(c.max_steps) || c.max_steps < 0) throw new Error(`max_steps must be a non-negative integer, got ${c.max_steps}`);
  return c;
}

function sameGroups(train: PairwiseGroupData, val: PairwiseGroupData): void {
  if (train.group_names.join('\u0000') !== val.group_names.join('\u0000')) {
    throw new Error(`val group_names (${val.group_names.join(', ')}) differ from train group_names (${train.group_names.join(', ')})`);
  }
}

/**
 * Trains `policy` in place on the pairs and returns per-step long-form metrics.
 * The reference policy's log-probabilities are computed once; the policy's variables are the only ones updated.
 */
export function trainGroupRobust(args: TrainGroupRobustArgs): GroupRobustResult {
  const config = resolveGroupRobustConfig(args.config);
  if (args.val) sameGroups(args.train, args.val);
  const train = preparePairs(args.train, args.reference, 'train');
  let val: PreparedPairs | undefined;
  try {
    val = args.val ? preparePairs(args.val, args.reference, 'val') : undefined;
  } catch (err) {
    disposePreparedPairs(train);
    throw err;
  }
  const optimizer = config.optimizer === 'adam' ? tf.train.adam(config.learning_rate) : tf.train.sgd(config.learning_rate);
  const variables = args.policy.trainableVariables();
  const rng = new Rng(config.seed);
  const K = train.group_names.length;
  let alpha = uniformGroupWeights(K);
  const records: MetricRecord[] = [];

  const log = (step: number) => {
    const push = (group: string, metric: string, value: number) => records.push({ step, group, metric, value });
    const sets: [string, PreparedPairs | undefined][] = [['train', train], ['val', val]];
    for (const [name, pairs] of sets) {
      if (!pairs) continue;
      const { loss, accuracy } = evaluateGroups(args.policy, pairs, config.loss_type, config.beta);
      train.group_names.forEach((g, k) => {
        push(g, `${name}_loss`, loss[k]!);
        push(g, `${name}_accuracy`, accuracy[k]!);
      });
      push(ALL_GROUPS, `worst_group_${name}_loss`, Math.max(...loss));
    }
    train.group_names.forEach((g, k) => push(g, 'alpha', alpha[k]!));
    for (const m of args.extra_metrics?.(args.policy) ?? []) push(m.group, m.metric, m.value);
  };

  const allIndices = Int32Array.from({ length: train.size }, (_, i) => i);
  try {
    log(0);
    for (let step = 1; step <= config.max_steps; step++) {
      const batch =
        config.variant === 'paper' ? Int32Array.from({ length: config.batch_size }, () => rng.int(train.size)) : allIndices;
      const batchGroups = batch.map((i) => train.groups[i]!);
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const losses = perPairLoss(config.loss_type, pairMargins(args.policy, train, batch), config.beta);
          if (config.weighting === 'robust') {
            // alpha moves first, on the losses at the current policy; the policy step then uses the new alpha.
            const estimates = groupLossEstimates(config.variant, losses.dataSync(), batchGroups, train.counts);
            alpha = updateGroupWeights(alpha, estimates, config.eta_alpha);
          }
          const weights = tf.tensor1d(pairWeights(config.weighting, config.variant, alpha, batchGroups, train.counts));
          return tf.mean(tf.mul(losses, weights)) as tf.Scalar;
        }, variables);
        optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      });
      if (step % config.log_every === 0 || step === config.max_steps) log(step);
    }
  } finally {
    optimizer.dispose();
    disposePreparedPairs(train);
    if (val) disposePreparedPairs(val);
  }
  return { records, frame: recordsToFrame(records), alpha, config };
}
