/**
 * The group-robust preference trainer: DPO, IPO, their importance-sampled versions and Group Robust
 * Preference Optimization (GR-DPO, GR-IPO; Algorithm 1 of arXiv 2405.20304) on any {@link Policy} of
 * the kit (the categorical MLP, the GRU language policy, the log-linear policy), from sequence
 * log-probabilities, with a frozen reference copy — the GRPO trainer's shape: `trainStep`, `train`,
 * `metricsFrame`, `checkpoint` / `resume`.
 *
 * Each step: draw a batch (or take every pair), compute per-pair losses at the current policy,
 * (robust weighting only) update the group weights alpha with those losses, then take one optimiser
 * step on (1/B) sum_i w_i l_i with the per-pair weights of {@link pairWeights} (using the updated
 * alpha, as in Algorithm 1). See ./groupWeights.ts for the formulas and the `paper` / `authors_code`
 * variants. The paper's projection of theta onto a bounded set is not applied.
 *
 * Metrics (long form: step, group, metric, value). Records of step s describe the state after s
 * updates (policy and alpha), measured before update s+1, as the GRPO trainer's rewards are:
 * - every step, per group in the batch: `batch_loss` (mean per-pair loss), `batch_accuracy` (share
 *   of pairs with margin h > 0, TRL's reward accuracy), `batch_pairs`, `alpha`; on `all`: `loss`
 *   (the weighted objective), `worst_group_batch_loss` and `worst_group` (index of the group with
 *   the largest batch loss, into the pairs' `group_names`);
 * - every `log_every` steps (from step 0), on all training pairs and the validation pairs: per group
 *   `train_loss`, `train_accuracy`, `val_loss`, `val_accuracy`; on `all` `worst_group_train_loss`,
 *   `worst_group_val_loss`; plus the caller's extra metrics.
 * {@link GroupRobustTrainer.evaluate} gives the evaluation (and alpha) of the state after the last step.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataFrame } from 'danfojs-node';
import { ALL_GROUPS, type MetricRecord, recordsToFrame } from '../frames';
import type { PairResponse, PairwiseGroupData } from '../data/groupLinearBandit';
import type { Policy, WeightData } from '../policy/types';
import { Rng } from '../random';
import { Adam } from '../trainer/adam';
import { SGD } from '../trainer/sgd';
import type { TrainOptions } from '../trainer/grpo';
import { validateGroupRobustCheckpoint, type GroupRobustCheckpoint } from './checkpoint';
import { GROUP_ROBUST_KEYS, resolveGroupRobustConfig, type GroupRobustConfig, type ResolvedGroupRobustConfig } from './config';
import { countGroups, groupLossEstimates, pairWeights, uniformGroupWeights, updateGroupWeights } from './groupWeights';
import { perPairLoss } from './losses';
import { disposePreparedPairs, evaluateGroups, pairMargins, preparePairs, type PairReference, type PreparedPairs } from './pairs';

/** @internal The state of one step between its parts (see GroupRobustTrainer.beginStep). */
export interface StepPart {
  step: number;
  /** The step's records so far (the evaluation's, when due). */
  records: MetricRecord[];
  /** alpha before the step (the step's records show it). */
  alphaBefore: readonly number[];
  /** Indices of the batch's train pairs, and their groups. */
  batch: Int32Array;
  batchGroups: Int32Array;
  /** The forward pass's read-back (B margins, then B per-pair losses), set by weighStep. */
  values: Float32Array | null;
  /** The weighted objective's value (double precision), set by weighStep. */
  lossValue: number;
}

/** Extra metrics computed at each evaluation (e.g. the bandit reward error). */
export type ExtraMetrics = (policy: Policy) => { group: string; metric: string; value: number }[];

/** Further inputs of {@link GroupRobustTrainer}. */
export interface GroupRobustOptions {
  /** Validation pairs (same groups); give `val_loss`, `val_accuracy` and `worst_group_val_loss`. */
  val?: PairwiseGroupData<PairResponse>;
  /** Extra metrics at each evaluation. */
  extraMetrics?: ExtraMetrics;
  /**
   * Weights of the frozen reference (default: a copy of the policy's weights at construction).
   * {@link GroupRobustTrainer.resume} passes the checkpoint's.
   */
  referenceWeights?: readonly WeightData[];
}

/** The checkpoint's record of a configuration: every key. */
function configRecord(config: ResolvedGroupRobustConfig): Record<string, string | number | boolean> {
  return Object.fromEntries(GROUP_ROBUST_KEYS.map((k) => [k, config[k]]));
}

function sameGroups(train: PairwiseGroupData<PairResponse>, val: PairwiseGroupData<PairResponse>): void {
  if (train.group_names.join('\u0000') !== val.group_names.join('\u0000')) {
    throw new Error(`val group_names (${val.group_names.join(', ')}) differ from train group_names (${train.group_names.join(', ')})`);
  }
}

/**
 * DPO / IPO / IS-DPO / IS-IPO / GR-DPO / GR-IPO on pairwise multi-group data (see the module docs).
 * The policy is trained in place; the reference is a frozen copy (or the uniform policy).
 */
export class GroupRobustTrainer {
  readonly config: ResolvedGroupRobustConfig;
  readonly policy: Policy;
  /** Frozen reference copy (null with `reference: 'uniform'`). */
  readonly reference: Policy | null;
  /** Group names, in the pairs' index order. */
  readonly groups: readonly string[];
  private readonly train_: PreparedPairs;
  private readonly val_: PreparedPairs | null;
  private readonly extraMetrics: ExtraMetrics | undefined;
  private readonly optimizer: Adam | SGD;
  private readonly rng: Rng;
  private readonly records: MetricRecord[] = [];
  private readonly allIndices: Int32Array;
  private alphaValues: number[];
  private completed = 0;

  /**
   * @param policy - trained in place.
   * @param pairs - training pairs; groups must be known to the policy (unless it accepts any group).
   * @param config - see {@link GroupRobustConfig}; an unknown key is an error naming it.
   */
  constructor(policy: Policy, pairs: PairwiseGroupData<PairResponse>, config: GroupRobustConfig = {}, options: GroupRobustOptions = {}) {
    this.config = resolveGroupRobustConfig(config);
    if (options.val) sameGroups(pairs, options.val);
    this.policy = policy;
    this.groups = [...pairs.group_names];
    this.extraMetrics = options.extraMetrics;
    const owned: { reference?: Policy; train?: PreparedPairs } = {};
    try {
      if (this.config.reference === 'initial') {
        owned.reference = policy.clone();
        if (options.referenceWeights !== undefined) owned.reference.setWeights(options.referenceWeights);
      } else if (options.referenceWeights !== undefined) {
        throw new Error("referenceWeights given but GroupRobustConfig.reference is 'uniform'");
      }
      const reference: PairReference = owned.reference ? { policy: owned.reference } : { uniform: policy.vocabSize };
      owned.train = preparePairs(pairs, policy, reference, 'train');
      this.val_ = options.val ? preparePairs(options.val, policy, reference, 'val') : null;
    } catch (err) {
      if (owned.train) disposePreparedPairs(owned.train);
      owned.reference?.dispose();
      throw err;
    }
    this.reference = owned.reference ?? null;
    this.train_ = owned.train;
    const vars = policy.trainableVariables();
    this.optimizer = this.config.optimizer === 'adam' ? new Adam(vars, { learning_rate: this.config.learning_rate }) : new SGD(vars, { learning_rate: this.config.learning_rate });
    this.rng = new Rng(this.config.seed);
    this.alphaValues = uniformGroupWeights(this.groups.length);
    this.allIndices = Int32Array.from({ length: this.train_.size }, (_, i) => i);
  }

  /**
   * Rebuilds a trainer from {@link GroupRobustTrainer.checkpoint} so that it continues exactly as the
   * uninterrupted run would. The checkpoint is validated in full before anything is restored;
   * `config` must resolve to the saved configuration (a differing key is an error naming it).
   */
  static resume(
    checkpoint: GroupRobustCheckpoint,
    policy: Policy,
    pairs: PairwiseGroupData<PairResponse>,
    config: GroupRobustConfig = {},
    options: Omit<GroupRobustOptions, 'referenceWeights'> = {},
  ): GroupRobustTrainer {
    const resolved = resolveGroupRobustConfig(config);
    validateGroupRobustCheckpoint(checkpoint, {
      config: configRecord(resolved),
      weightsTemplate: policy.getWeights(),
      hasReference: resolved.reference === 'initial',
      numGroups: pairs.group_names.length,
    });
    // The trainer is built (pairs validated, reference restored from the checkpoint) before the
    // policy's weights change, so a failure leaves the policy as it was.
    const trainer = new GroupRobustTrainer(policy, pairs, config, { ...options, referenceWeights: checkpoint.reference ?? undefined });
    try {
      policy.setWeights(checkpoint.policy);
      if (checkpoint.optimizer.name === 'adam') (trainer.optimizer as Adam).setState(checkpoint.optimizer.state);
      else (trainer.optimizer as SGD).setState(checkpoint.optimizer.state);
      trainer.rng.setState(checkpoint.rng);
    } catch (err) {
      trainer.dispose();
      throw err;
    }
    trainer.alphaValues = [...checkpoint.alpha];
    trainer.completed = checkpoint.step;
    return trainer;
  }

  /** Number of steps completed. */
  get stepCount(): number {
    return this.completed;
  }

  /** The current group weights alpha (1/K throughout unless `weighting` is `robust`). */
  get alpha(): number[] {
    return [...this.alphaValues];
  }

  /** Runs one step and returns its metric records (also kept for {@link GroupRobustTrainer.metricsFrame}). */
  trainStep(): MetricRecord[] {
    return this.runStep(true);
  }

  /** Runs `steps` steps, calling `onStep` after each; returns their records (none with `keepHistory: false`). */
  train(steps: number, options: TrainOptions = {}): MetricRecord[] {
    if (!Number.isInteger(steps) || steps < 0) throw new Error(`steps must be a non-negative integer, got ${steps}`);
    const keep = options.keepHistory ?? true;
    const out: MetricRecord[] = [];
    for (let s = 0; s < steps; s++) {
      const records = this.runStep(keep);
      options.onStep?.(records, this.completed - 1);
      if (keep) for (const r of records) out.push(r);
    }
    return out;
  }

  /**
   * Evaluation records (losses and accuracies on all training and validation pairs, extra metrics)
   * and the current alpha, at step = steps completed: the state after the last step. Kept in the
   * history unless `keepHistory` is false.
   */
  evaluate(options: { keepHistory?: boolean } = {}): MetricRecord[] {
    const step = this.completed;
    const records = this.evaluationRecords(step);
    this.groups.forEach((g, k) => records.push({ step, group: g, metric: 'alpha', value: this.alphaValues[k]! }));
    if (options.keepHistory ?? true) for (const r of records) this.records.push(r);
    return records;
  }

  /** Every record logged by this trainer object (a resumed trainer starts empty). */
  metrics(): MetricRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  /** The logged metrics as a long-form DataFrame with columns step, group, metric, value. */
  metricsFrame(): DataFrame {
    return recordsToFrame(this.records, ['step', 'group', 'metric', 'value']);
  }

  /** A JSON-serialisable snapshot: weights, reference, optimiser state, alpha, Rng state. */
  checkpoint(): GroupRobustCheckpoint {
    const optimizer = this.optimizerState;
    return {
      format: 'hpa-kit/group-robust-checkpoint',
      version: 1,
      step: this.completed,
      config: configRecord(this.config),
      policy: this.policy.getWeights(),
      reference: this.reference ? this.reference.getWeights() : null,
      optimizer,
      alpha: [...this.alphaValues],
      rng: this.rng.getState(),
    };
  }

  /** Frees the prepared pairs, the optimiser state and the reference policy (not the trained policy). */
  dispose(): void {
    disposePreparedPairs(this.train_);
    if (this.val_) disposePreparedPairs(this.val_);
    this.optimizer.dispose();
    this.reference?.dispose();
  }

  private evaluationRecords(step: number): MetricRecord[] {
    const cfg = this.config;
    const records: MetricRecord[] = [];
    const push = (group: string, metric: string, value: number) => records.push({ step, group, metric, value });
    const sets: [string, PreparedPairs | null][] = [
      ['train', this.train_],
      ['val', this.val_],
    ];
    for (const [name, pairs] of sets) {
      if (!pairs) continue;
      const { loss, accuracy } = evaluateGroups(this.policy, pairs, cfg.loss_type, cfg.beta, cfg.pair_log_ratios);
      this.groups.forEach((g, k) => {
        push(g, `${name}_loss`, loss[k]!);
        push(g, `${name}_accuracy`, accuracy[k]!);
      });
      push(ALL_GROUPS, `worst_group_${name}_loss`, Math.max(...loss));
    }
    for (const m of this.extraMetrics?.(this.policy) ?? []) push(m.group, m.metric, m.value);
    return records;
  }

  private runStep(keep: boolean): MetricRecord[] {
    const cfg = this.config;
    const part = this.beginStep();
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const margins = pairMargins(this.policy, this.train_, part.batch, cfg.pair_log_ratios);
        const losses = perPairLoss(cfg.loss_type, margins, cfg.beta);
        const read = tf.concat([margins, losses]).dataSync() as Float32Array;
        const w = this.weighStep(part, read);
        return tf.mean(tf.mul(losses, tf.tensor1d(w))) as tf.Scalar;
      }, this.policy.trainableVariables());
      const vars = this.policy.trainableVariables();
      this.optimizer.apply(vars.map((v) => grads[v.name] ?? tf.zerosLike(v)));
    });
    return this.finishStep(part, keep);
  }

  /*
   * The parts of a step, in order: beginStep (evaluation records when due, the batch drawn with the
   * trainer's Rng), the forward pass (margins and per-pair losses at the current policy, one
   * read-back), weighStep (checks, alpha update, per-pair weights), the optimiser step on
   * mean(w * losses), finishStep (the batch records; the step counts). runStep does them for one
   * run; GroupRobustPopulation (./population.ts) does the forward pass and the optimiser step of
   * all its runs at once and leaves every other part to each run's own trainer.
   */

  /**
   * @internal Step part 1: the evaluation records when the step is an evaluation step (the policy
   * must hold the current weights), and the step's batch of train-pair indices (drawn with the
   * trainer's Rng for the `paper` variant, every pair for `authors_code`).
   */
  beginStep(): StepPart {
    const cfg = this.config;
    const train = this.train_;
    const step = this.completed;
    const records = step % cfg.log_every === 0 ? this.evaluationRecords(step) : [];
    const batch = cfg.variant === 'paper' ? Int32Array.from({ length: cfg.batch_size }, () => this.rng.int(train.size)) : this.allIndices;
    return { step, records, alphaBefore: this.alphaValues, batch, batchGroups: batch.map((i) => train.group_index[i]!), values: null, lossValue: NaN };
  }

  /**
   * @internal Step part 2a: throws (before anything changes) when a margin or loss of the batch is
   * not finite. `read` holds the batch's B margins, then its B per-pair losses.
   */
  checkStep(part: StepPart, read: Float32Array): void {
    const B = part.batch.length;
    for (let i = 0; i < read.length; i++) {
      if (!Number.isFinite(read[i]!)) {
        const what = i < B ? 'margin' : 'loss';
        const j = i % B;
        throw new Error(`group-robust step ${part.step}: the ${what} of train pair ${part.batch[j]} (group '${this.groups[part.batchGroups[j]!]}') is ${read[i]}; training stopped before the update`);
      }
    }
  }

  /**
   * @internal Step part 2: {@link GroupRobustTrainer.checkStep}, then (robust weighting) the alpha
   * update on the batch's losses, and the per-pair weights w of the policy objective
   * mean(w * losses), which it returns.
   */
  weighStep(part: StepPart, read: Float32Array): Float32Array {
    const cfg = this.config;
    const train = this.train_;
    const B = part.batch.length;
    this.checkStep(part, read);
    part.values = read;
    if (cfg.weighting === 'robust') {
      // alpha moves first, on the losses at the current policy; the policy step then uses the new alpha.
      const estimates = groupLossEstimates(cfg.variant, read.subarray(B), part.batchGroups, train.counts);
      this.alphaValues = updateGroupWeights(this.alphaValues, estimates, cfg.eta_alpha);
    }
    const w = pairWeights(cfg.weighting, cfg.variant, this.alphaValues, part.batchGroups, train.counts, cfg.importance_weights);
    // The objective's value for the records, on the JS side (double precision; no second read-back).
    let lossValue = 0;
    for (let i = 0; i < B; i++) lossValue += w[i]! * read[B + i]!;
    part.lossValue = lossValue / B;
    return w;
  }

  /** @internal Step part 3 (after the optimiser step): the batch records; the step counts. */
  finishStep(part: StepPart, keep: boolean): MetricRecord[] {
    const records = part.records;
    records.push(...this.batchRecords(part.step, part.values!, part.batchGroups, part.alphaBefore, part.lossValue));
    this.completed += 1;
    if (keep) for (const r of records) this.records.push(r);
    return records;
  }

  /** @internal The prepared training pairs (a population stacks every run's reference margins and feature differences). */
  get preparedTrain(): PreparedPairs {
    return this.train_;
  }

  /** @internal The optimiser's state (a population stacks its runs' states and writes each run's back for checkpoints). */
  get optimizerState(): GroupRobustCheckpoint['optimizer'] {
    return this.optimizer instanceof Adam ? { name: 'adam', state: this.optimizer.getState() } : { name: 'sgd', state: this.optimizer.getState() };
  }

  /** @internal Restores {@link GroupRobustTrainer.optimizerState} (validated by the optimiser). */
  set optimizerState(value: GroupRobustCheckpoint['optimizer']) {
    if (value.name !== this.config.optimizer) throw new Error(`optimizer state of '${value.name}' for a trainer with optimizer '${this.config.optimizer}'`);
    if (value.name === 'adam') (this.optimizer as Adam).setState(value.state);
    else (this.optimizer as SGD).setState(value.state);
  }

  /** Per-step records from the batch's margins and losses (see the module docs). */
  private batchRecords(step: number, values: Float32Array, batchGroups: Int32Array, alpha: readonly number[], loss: number): MetricRecord[] {
    const K = this.groups.length;
    const B = batchGroups.length;
    const counts = countGroups(batchGroups, K);
    const lossSum = new Array<number>(K).fill(0);
    const correct = new Array<number>(K).fill(0);
    for (let i = 0; i < B; i++) {
      const g = batchGroups[i]!;
      lossSum[g]! += values[B + i]!;
      if (values[i]! > 0) correct[g]! += 1;
    }
    const records: MetricRecord[] = [];
    let worst = -1;
    let worstLoss = -Infinity;
    this.groups.forEach((group, g) => {
      records.push({ step, group, metric: 'alpha', value: alpha[g]! });
      if (counts[g] === 0) return;
      const mean = lossSum[g]! / counts[g]!;
      records.push({ step, group, metric: 'batch_loss', value: mean });
      records.push({ step, group, metric: 'batch_accuracy', value: correct[g]! / counts[g]! });
      records.push({ step, group, metric: 'batch_pairs', value: counts[g]! });
      if (mean > worstLoss) {
        worstLoss = mean;
        worst = g;
      }
    });
    records.push({ step, group: ALL_GROUPS, metric: 'loss', value: loss });
    records.push({ step, group: ALL_GROUPS, metric: 'worst_group_batch_loss', value: worstLoss });
    records.push({ step, group: ALL_GROUPS, metric: 'worst_group', value: worst });
    return records;
  }
}

/** Inputs of {@link trainGroupRobust}. */
export interface TrainGroupRobustArgs {
  policy: Policy;
  train: PairwiseGroupData<PairResponse>;
  val?: PairwiseGroupData<PairResponse>;
  /** The trainer's configuration plus `max_steps` (default 1000), the number of steps. */
  config?: GroupRobustConfig & { max_steps?: number };
  extra_metrics?: ExtraMetrics;
}

/** Output of {@link trainGroupRobust}. */
export interface GroupRobustResult {
  /**
   * The records of every `log_every`-th step (the evaluation steps, with that step's alpha and batch
   * metrics), then the evaluation (and alpha) after the last step. Other steps' records are not kept.
   */
  records: MetricRecord[];
  frame: DataFrame;
  /** Final group weights. */
  alpha: number[];
  config: ResolvedGroupRobustConfig;
}

/**
 * A thin wrapper over {@link GroupRobustTrainer}: trains `max_steps` steps keeping the records of the
 * evaluation steps (so long runs stay small), evaluates the final state, frees the trainer and
 * returns the records.
 */
export function trainGroupRobust(args: TrainGroupRobustArgs): GroupRobustResult {
  const { max_steps: maxSteps = 1000, ...config } = args.config ?? {};
  if (!Number.isInteger(maxSteps) || maxSteps < 0) throw new Error(`max_steps must be a non-negative integer, got ${maxSteps}`);
  const trainer = new GroupRobustTrainer(args.policy, args.train, config, { val: args.val, extraMetrics: args.extra_metrics });
  try {
    const records: MetricRecord[] = [];
    trainer.train(maxSteps, {
      keepHistory: false,
      onStep: (stepRecords, step) => {
        if (step % trainer.config.log_every === 0) records.push(...stepRecords);
      },
    });
    records.push(...trainer.evaluate({ keepHistory: false }));
    return { records, frame: recordsToFrame(records, ['step', 'group', 'metric', 'value']), alpha: trainer.alpha, config: trainer.config };
  } finally {
    trainer.dispose();
  }
}
