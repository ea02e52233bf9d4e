/**
 * Population training for the group-robust trainer: R runs of DPO / IPO / IS-DPO / IS-IPO / GR-DPO /
 * GR-IPO on log-linear policies, trained in lockstep as one batched computation.
 *
 * A sweep of the group-robust bandit (methods x seeds x splits) is hundreds of tiny runs whose steps
 * are a couple of dozen kernel launches over a few hundred numbers each. A population stacks the
 * runs' theta on a leading run axis `[R, d]` and takes the step of every run with one set of kernels:
 * one gather of the batches' feature differences and reference margins, one batched product with
 * theta, the per-pair losses, one read-back, one gradient and one optimiser update.
 *
 * Everything else stays per run, done by each run's own {@link GroupRobustTrainer} through its step
 * parts (`beginStep`, `weighStep`, `finishStep`): its Rng and batches, the group weights alpha and
 * their update, the per-pair weights, the evaluations (on the run's own policy, written back when one
 * is due), the metrics and the checkpoint. The batched kernels compute every run's slice exactly as
 * the single run's kernels do, so run r of a population gives the same numbers, bit for bit, as the
 * run trained alone (tested in test/robust-population.test.ts); a population of one is the single run.
 *
 * What may differ between runs ({@link GROUP_ROBUST_PER_RUN_KEYS}): the seed, the method (`loss_type`,
 * `weighting`, `importance_weights`), `beta`, `eta_alpha`, `variant`, `batch_size`, `reference`,
 * `log_every`, the learning rate with the `sgd` optimiser; the pairs (data) and the policies' feature
 * maps and initial theta. Shared: the `optimizer` (and with `adam` its `learning_rate`), the number of
 * pairs a step takes (`batch_size` for `paper`, the training set's size for `authors_code`) and
 * `feature_dim`; `pair_log_ratios` must be true (the population is the log-linear fast path).
 */
import { product } from '../nn/dense';
import * as tf from '@tensorflow/tfjs';
import type { PairResponse, PairwiseGroupData } from '../data/groupLinearBandit';
import { recordsToFrame, type MetricRecord } from '../frames';
import { Adam, runAdamState, stackAdamStates, type AdamState } from '../trainer/adam';
import type { TrainOptions } from '../trainer/grpo';
import type { GroupRobustCheckpoint } from './checkpoint';
import type { GroupRobustConfig, ResolvedGroupRobustConfig } from './config';
import { cachedLogRatios } from './pairs';
import { LogLinearPolicy } from './policy';
import { GroupRobustTrainer, type ExtraMetrics, type GroupRobustResult, type StepPart, type TrainGroupRobustArgs } from './trainer';

/** One run of a group-robust population: its own log-linear policy (trained in place), pairs and configuration. */
export interface GroupRobustRun {
  policy: LogLinearPolicy;
  /** Training pairs (as `GroupRobustTrainer`'s `pairs`). */
  pairs: PairwiseGroupData<PairResponse>;
  config?: GroupRobustConfig;
  /** Validation pairs (as `GroupRobustOptions.val`). */
  val?: PairwiseGroupData<PairResponse>;
  /** Extra metrics at each evaluation (as `GroupRobustOptions.extraMetrics`). */
  extraMetrics?: ExtraMetrics;
}

/** Configuration keys that may differ between the runs of a population (`learning_rate` with the `sgd` optimiser only). */
export const GROUP_ROBUST_PER_RUN_KEYS = [
  'seed',
  'loss_type',
  'weighting',
  'importance_weights',
  'beta',
  'eta_alpha',
  'variant',
  'batch_size',
  'reference',
  'log_every',
  'learning_rate',
] as const;

/**
 * Trains R group-robust runs on log-linear policies as one batched computation (see the module
 * comment). After {@link GroupRobustPopulation.train} every run's policy holds that run's trained theta.
 */
export class GroupRobustPopulation {
  /** Each run's own trainer (its configuration, pairs, Rng, alpha, metrics and checkpoint). Step the population, not these. */
  readonly runs: readonly GroupRobustTrainer[];
  private readonly policies: readonly LogLinearPolicy[];
  /** theta of every run, `[R, d]`. */
  private readonly theta: tf.Variable;
  /** Every run's pair feature differences, runs end to end: `[sum_r N_r, d]`, run r's from row `offsets[r]`. */
  private readonly differences: tf.Tensor2D;
  /** Every run's reference margins, runs end to end `[sum_r N_r]`. */
  private readonly refMargins: tf.Tensor1D;
  private readonly offsets: Int32Array;
  /** Pairs per step B (every run's). */
  private readonly batchRows: number;
  /**
   * Whether every run takes all its pairs in order each step (`authors_code`): its batch is then
   * the stacked data itself, and the gathers (copies of every row, slow on wasm at R x N rows) are skipped.
   */
  private readonly fullBatch: boolean;
  /** The per-pair losses: every run's loss type, beta and (mixed loss types) which runs take DPO's. */
  private readonly loss: {
    kinds: Set<'sigmoid' | 'ipo'>;
    negBeta: tf.Tensor;
    ipoShift: tf.Tensor;
    isSigmoid: tf.Tensor | null;
  };
  private readonly optimizer: { name: 'adam'; adam: Adam } | { name: 'sgd'; negLr: tf.Tensor; step: number };
  private current = -1; // the run whose own part of the step is running, for error messages
  private stopped: Error | null = null;

  constructor(runs: readonly GroupRobustRun[]);
  /** @internal From trainers already built (by {@link GroupRobustPopulation.resume}). */
  constructor(runs: readonly GroupRobustRun[], trainers: GroupRobustTrainer[]);
  constructor(runs: readonly GroupRobustRun[], built?: GroupRobustTrainer[]) {
    if (runs.length === 0) throw new Error('GroupRobustPopulation needs at least one run');
    checkPolicies(runs);
    const trainers: GroupRobustTrainer[] = built ?? [];
    const owned: tf.Tensor[] = [];
    try {
      if (built === undefined) {
        runs.forEach((run, r) => {
          try {
            trainers.push(new GroupRobustTrainer(run.policy, run.pairs, run.config ?? {}, { val: run.val, extraMetrics: run.extraMetrics }));
          } catch (err) {
            throw new Error(`GroupRobustPopulation run ${r}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
          }
        });
      }
      this.runs = trainers;
      this.policies = runs.map((run) => run.policy);
      const configs = trainers.map((t) => t.config);
      checkSharedConfig(configs);
      this.batchRows = checkBatchRows(trainers);
      this.fullBatch = configs.every((c) => c.variant === 'authors_code');
      const steps = new Set(trainers.map((t) => t.stepCount));
      if (steps.size > 1) throw new Error(`GroupRobustPopulation: the runs are at different steps (${[...steps].join(', ')}); a population steps its runs together`);

      // Every run's precomputed pair data (its trainer's, made by its own policy), laid end to end.
      const parts = trainers.map((t) => {
        const ratios = cachedLogRatios(t.policy, t.preparedTrain);
        if (ratios?.differences === undefined) throw new Error('GroupRobustPopulation: a run has no pair feature differences (log-linear fast path)');
        return { differences: ratios.differences, ref: t.preparedTrain.refMargin };
      });
      this.offsets = new Int32Array(trainers.length);
      trainers.forEach((t, r) => (this.offsets[r] = r === 0 ? 0 : this.offsets[r - 1]! + trainers[r - 1]!.preparedTrain.size));
      this.differences = keep(owned, tf.concat(parts.map((p) => p.differences)));
      this.refMargins = keep(owned, tf.concat(parts.map((p) => p.ref)));
      this.theta = keep(owned, tf.tidy(() => tf.variable(tf.stack(runs.map((run) => run.policy.theta)), true)));

      const R = trainers.length;
      const column = (values: (c: ResolvedGroupRobustConfig) => number) => {
        const v = configs.map(values);
        // One float32 value per run (a scalar when they agree): the same float32 operand the single run's scalar is.
        return keep(owned, v.every((x) => x === v[0]) ? tf.scalar(v[0]!, 'float32') : tf.tensor2d(Float32Array.from(v), [R, 1], 'float32'));
      };
      const kinds = new Set(configs.map((c) => c.loss_type));
      this.loss = {
        kinds,
        negBeta: column((c) => -c.beta),
        ipoShift: column((c) => 1 / (2 * c.beta)),
        isSigmoid: kinds.size > 1 ? keep(owned, tf.tensor2d(configs.map((c) => (c.loss_type === 'sigmoid' ? 1 : 0)), [R, 1], 'bool')) : null,
      };
      if (configs[0]!.optimizer === 'adam') {
        const adam = new Adam([this.theta], { learning_rate: configs[0]!.learning_rate });
        this.optimizer = { name: 'adam', adam };
        try {
          // Fresh runs' moments are zeros, as the new optimiser's; resumed runs bring theirs.
          if (built !== undefined) adam.setState(stackAdamStates(trainers.map((t) => t.optimizerState.state as AdamState), 'GroupRobustPopulation'));
        } catch (err) {
          adam.dispose();
          throw err;
        }
      } else {
        const negLr = column((c) => -c.learning_rate);
        this.optimizer = { name: 'sgd', negLr, step: sgdStep(trainers) };
      }
    } catch (err) {
      tf.dispose(owned);
      trainers.forEach((t) => t.dispose());
      throw err;
    }
  }

  /**
   * Rebuilds a population from one checkpoint per run ({@link GroupRobustPopulation.checkpoint}, or
   * each run's single-run checkpoint): every run is resumed as {@link GroupRobustTrainer.resume}
   * resumes it (validated; a bad checkpoint names its run), so the population continues exactly as
   * the uninterrupted one (and each run alone) would.
   */
  static resume(checkpoints: readonly GroupRobustCheckpoint[], runs: readonly GroupRobustRun[]): GroupRobustPopulation {
    if (checkpoints.length !== runs.length) throw new Error(`GroupRobustPopulation.resume: ${checkpoints.length} checkpoints for ${runs.length} runs`);
    checkPolicies(runs);
    const trainers: GroupRobustTrainer[] = [];
    try {
      runs.forEach((run, r) => {
        try {
          trainers.push(GroupRobustTrainer.resume(checkpoints[r]!, run.policy, run.pairs, run.config ?? {}, { val: run.val, extraMetrics: run.extraMetrics }));
        } catch (err) {
          throw new Error(`GroupRobustPopulation.resume run ${r}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
      });
    } catch (err) {
      trainers.forEach((t) => t.dispose());
      throw err;
    }
    return new GroupRobustPopulation(runs, trainers);
  }

  /** Number of runs R. */
  get size(): number {
    return this.runs.length;
  }

  /** Steps completed (the same for every run). */
  get stepCount(): number {
    return this.runs[0]!.stepCount;
  }

  /** Run r's logged records (as `runs[r].metrics()`). */
  metrics(r: number): MetricRecord[] {
    return this.run(r).metrics();
  }

  /** Run r's group weights alpha. */
  alpha(r: number): number[] {
    return this.run(r).alpha;
  }

  /** One step of every run; returns each run's records (run order). */
  trainStep(): MetricRecord[][] {
    return this.stepOnce(true);
  }

  /** Runs `steps` steps of every run (calling `onStep` with each run's records), then writes the trained theta back into each run's policy. */
  train(steps: number, options: Omit<TrainOptions, 'onStep' | 'progress'> & { onStep?: (records: MetricRecord[][], step: number) => void } = {}): MetricRecord[][] {
    if (!Number.isInteger(steps) || steps < 0) throw new Error(`steps must be a non-negative integer, got ${steps}`);
    const keepHistory = options.keepHistory ?? true;
    const out: MetricRecord[][] = this.runs.map(() => []);
    for (let s = 0; s < steps; s++) {
      const records = this.stepOnce(keepHistory);
      options.onStep?.(records, this.stepCount - 1);
      if (keepHistory) records.forEach((rs, r) => out[r]!.push(...rs));
    }
    this.writeBack();
    return out;
  }

  /** Every run's {@link GroupRobustTrainer.evaluate} of the current state (after the last step). */
  evaluate(options: { keepHistory?: boolean } = {}): MetricRecord[][] {
    this.writeBack();
    return this.runs.map((t) => t.evaluate(options));
  }

  /** Copies every run's current theta into its own policy. */
  writeBack(): void {
    this.requireRunning('write back');
    this.writeBackRuns(this.runs.map((_, r) => r));
  }

  /**
   * One checkpoint per run, each the single-run checkpoint of {@link GroupRobustTrainer.checkpoint}:
   * it resumes as a population ({@link GroupRobustPopulation.resume}) or as that run alone
   * ({@link GroupRobustTrainer.resume}).
   */
  checkpoint(): GroupRobustCheckpoint[] {
    this.requireRunning('checkpoint');
    this.writeBack();
    const opt = this.optimizer;
    const adam = opt.name === 'adam' ? opt.adam.getState() : null;
    const d = this.theta.shape[1]!;
    return this.runs.map((trainer, r) => {
      trainer.optimizerState =
        adam !== null
          ? { name: 'adam', state: runAdamState(adam, r, [d]) }
          : { name: 'sgd', state: { step: (opt as { step: number }).step } };
      return trainer.checkpoint();
    });
  }

  /** Frees the population's stacked tensors, its optimiser and every run's trainer (not the runs' policies). */
  dispose(): void {
    tf.dispose([this.theta, this.differences, this.refMargins, this.loss.negBeta, this.loss.ipoShift]);
    if (this.loss.isSigmoid) this.loss.isSigmoid.dispose();
    if (this.optimizer.name === 'adam') this.optimizer.adam.dispose();
    else this.optimizer.negLr.dispose();
    this.runs.forEach((t) => t.dispose());
  }

  private run(r: number): GroupRobustTrainer {
    const trainer = this.runs[r];
    if (!Number.isInteger(r) || trainer === undefined) throw new Error(`run must be an integer in [0, ${this.size - 1}], got ${r}`);
    return trainer;
  }

  private requireRunning(action: string): void {
    if (this.stopped !== null) {
      throw new Error(`GroupRobustPopulation cannot ${action}: it stopped at an error (${this.stopped.message}); resume from checkpoints saved before it`);
    }
  }

  /** Copies the theta of the given runs into their policies (slices of the stacked variable; no read-back). */
  private writeBackRuns(runs: readonly number[]): void {
    if (runs.length === 0) return;
    const d = this.theta.shape[1]!;
    tf.tidy(() => {
      for (const r of runs) this.policies[r]!.theta.assign(tf.reshape(tf.slice(this.theta, [r, 0], [1, d]), [d]) as tf.Tensor1D);
    });
  }

  private stepOnce(keepHistory: boolean): MetricRecord[][] {
    this.requireRunning('train');
    const step = this.stepCount;
    this.current = -1;
    try {
      // A run evaluates its own policy at its evaluation steps: give it the current theta first.
      this.writeBackRuns(this.runs.flatMap((t, r) => (step % t.config.log_every === 0 ? [r] : [])));
      const parts = this.runs.map((t, r) => ((this.current = r), t.beginStep()));
      this.current = -1;
      this.update(parts);
      return this.runs.map((t, r) => ((this.current = r), t.finishStep(parts[r]!, keepHistory)));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const c = this.current;
      const who = c >= 0 ? `run ${c} (seed ${this.runs[c]!.config.seed})` : 'batched update';
      this.stopped = new Error(`GroupRobustPopulation step ${step}, ${who}: ${message}`, { cause: err });
      throw this.stopped;
    }
  }

  /**
   * Every run's forward pass, weighing and optimiser step, as {@link GroupRobustTrainer}'s step with
   * a leading run axis: margins `[R, B]` from one gather and one batched product with theta, the
   * per-pair losses, one read-back; each run checks its values, moves its alpha and gives its pair
   * weights; the gradient of the sum of the runs' objectives is every run's own gradient (run r's
   * objective depends on its theta only), and the optimiser is element-wise, so one update over the
   * stacked theta is R updates.
   */
  private update(parts: readonly StepPart[]): void {
    const R = this.size;
    const B = this.batchRows;
    const d = this.theta.shape[1]!;
    let index: Int32Array | null = null;
    if (!this.fullBatch) {
      index = new Int32Array(R * B);
      parts.forEach((p, r) => {
        const offset = this.offsets[r]!;
        for (let i = 0; i < B; i++) index![r * B + i] = offset + p.batch[i]!;
      });
    }
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        // As the single run's pairMargins: ratios = differences[batch] theta, minus the reference
        // margins[batch] (a full batch in order is the data itself: gathering it would copy it).
        const rows = index === null ? null : tf.tensor1d(index, 'int32');
        const pick = <T extends tf.Tensor>(x: T) => (rows === null ? x : (tf.gather(x, rows) as T));
        const picked = tf.reshape(pick(this.differences), [R, B, d]);
        const ratios = tf.reshape(product(picked, tf.reshape(this.theta, [R, d, 1])), [R, B]); // exact per run at any d (see nn/dense.ts)
        const margins = tf.sub(ratios, tf.reshape(pick(this.refMargins), [R, B]));
        const losses = this.perPairLosses(margins);
        const read = tf.concat([margins, losses], 1).dataSync() as Float32Array;
        const values = (r: number) => read.subarray(r * 2 * B, (r + 1) * 2 * B);
        // Every run checks its values before any run's alpha moves, so a failure changes nothing.
        this.runs.forEach((t, r) => ((this.current = r), t.checkStep(parts[r]!, values(r))));
        const weights = new Float32Array(R * B);
        this.runs.forEach((t, r) => ((this.current = r), weights.set(t.weighStep(parts[r]!, values(r)), r * B)));
        this.current = -1;
        // Each run's objective is the single run's mean(w * losses); their sum's gradient is every run's own.
        return tf.sum(tf.mean(tf.mul(losses, tf.tensor2d(weights, [R, B], 'float32')), 1)) as tf.Scalar;
      }, [this.theta]);
      const grad = grads[this.theta.name]!;
      const opt = this.optimizer;
      if (opt.name === 'adam') {
        opt.adam.apply([grad]);
      } else {
        // The kit's SGD, w <- w + (-lr) g, with each run's own learning rate.
        this.theta.assign(tf.add(tf.mul(grad, opt.negLr), this.theta));
        opt.step += 1;
      }
    });
  }

  /** The per-pair losses of ./losses.ts (perPairLoss) for every run, `[R, B]` (call inside a tidy): DPO's softplus(-beta h) or IPO's (h - 1/(2 beta))^2, by run. */
  private perPairLosses(margins: tf.Tensor): tf.Tensor {
    const { kinds, negBeta, ipoShift, isSigmoid } = this.loss;
    const dpo = () => tf.softplus(tf.mul(margins, negBeta));
    const ipo = () => tf.square(tf.sub(margins, ipoShift));
    if (isSigmoid === null) return kinds.has('sigmoid') ? dpo() : ipo();
    // Element-wise either way: each run's losses are computed exactly as alone; the other branch gets zero gradient.
    return tf.where(isSigmoid, dpo(), ipo());
  }
}

/** Inputs of {@link trainGroupRobustPopulation}: one {@link TrainGroupRobustArgs} per run, all with the same `max_steps`; policies log-linear. */
export type TrainGroupRobustPopulationArgs = (TrainGroupRobustArgs & { policy: LogLinearPolicy })[];

/**
 * {@link trainGroupRobust} for R runs as one population: the same records (every run's `log_every`-th
 * steps, then its final evaluation), alpha and trained policies as R separate calls would give.
 */
export function trainGroupRobustPopulation(args: TrainGroupRobustPopulationArgs): GroupRobustResult[] {
  if (args.length === 0) throw new Error('trainGroupRobustPopulation needs at least one run');
  const steps = args.map((a) => a.config?.max_steps ?? 1000);
  steps.forEach((s, r) => {
    if (!Number.isInteger(s) || s < 0) throw new Error(`run ${r}: max_steps must be a non-negative integer, got ${s}`);
    if (s !== steps[0]) throw new Error(`trainGroupRobustPopulation: max_steps is ${s} in run ${r} but ${steps[0]} in run 0; a population's runs take the same number of steps`);
  });
  const population = new GroupRobustPopulation(
    args.map((a) => {
      const { max_steps: _steps, ...config } = a.config ?? {};
      return { policy: a.policy, pairs: a.train, val: a.val, config, extraMetrics: a.extra_metrics };
    }),
  );
  try {
    const records: MetricRecord[][] = args.map(() => []);
    population.train(steps[0]!, {
      keepHistory: false,
      onStep: (stepRecords, step) => {
        stepRecords.forEach((rs, r) => {
          if (step % population.runs[r]!.config.log_every === 0) records[r]!.push(...rs);
        });
      },
    });
    population.evaluate({ keepHistory: false }).forEach((rs, r) => records[r]!.push(...rs));
    return population.runs.map((t, r) => ({
      records: records[r]!,
      frame: recordsToFrame(records[r]!, ['step', 'group', 'metric', 'value']),
      alpha: t.alpha,
      config: t.config,
    }));
  } finally {
    population.dispose();
  }
}

function keep<T extends tf.Tensor>(owned: tf.Tensor[], t: T): T {
  owned.push(t);
  return t;
}

/** Log-linear policies (the fast path), one object per run, all of one feature dimension. */
function checkPolicies(runs: readonly GroupRobustRun[]): void {
  runs.forEach((run, r) => {
    if (!(run.policy instanceof LogLinearPolicy)) {
      const name = (run.policy as object | undefined)?.constructor?.name ?? String(run.policy);
      throw new Error(`GroupRobustPopulation run ${r}: the policy is a ${name}; a population trains LogLinearPolicy runs (train other policies one by one)`);
    }
    const other = runs.findIndex((o) => o.policy === run.policy);
    if (other !== r) throw new Error(`GroupRobustPopulation run ${r}: the same policy object is also run ${other}; every run needs its own policy`);
    const d = runs[0]!.policy.feature_dim;
    if (run.policy.feature_dim !== d) throw new Error(`GroupRobustPopulation run ${r}: the policy's feature_dim is ${run.policy.feature_dim} but run 0's is ${d}; a population needs one feature dimension`);
  });
}

/** Every key but {@link GROUP_ROBUST_PER_RUN_KEYS} must be equal; `adam` shares its learning rate; the fast path is on. */
function checkSharedConfig(configs: readonly ResolvedGroupRobustConfig[]): void {
  const first = configs[0]!;
  const perRun = new Set<string>(GROUP_ROBUST_PER_RUN_KEYS);
  const differs = (key: keyof ResolvedGroupRobustConfig, c: ResolvedGroupRobustConfig, r: number, rule: string) =>
    new Error(`GroupRobustPopulation: GroupRobustConfig.${key} is ${JSON.stringify(c[key])} in run ${r} but ${JSON.stringify(first[key])} in run 0; ${rule}`);
  configs.forEach((c, r) => {
    if (!c.pair_log_ratios) throw new Error(`GroupRobustPopulation: GroupRobustConfig.pair_log_ratios is false in run ${r}; a population computes the log-linear fast path only (train readable-path runs one by one)`);
    for (const key of Object.keys(first) as (keyof ResolvedGroupRobustConfig)[]) {
      if (perRun.has(key) || c[key] === first[key]) continue;
      throw differs(key, c, r, `the runs of a population may differ only in ${GROUP_ROBUST_PER_RUN_KEYS.join(', ')} (train the others in another population)`);
    }
    if (first.optimizer === 'adam' && c.learning_rate !== first.learning_rate) {
      throw differs('learning_rate', c, r, "with optimizer 'adam' the runs share one learning_rate (per-run learning rates need optimizer 'sgd')");
    }
  });
}

/** The pairs every run takes a step (`batch_size` for `paper`, all its training pairs for `authors_code`); they must agree. */
function checkBatchRows(trainers: readonly GroupRobustTrainer[]): number {
  const rows = trainers.map((t) => (t.config.variant === 'paper' ? t.config.batch_size : t.preparedTrain.size));
  const describe = (r: number) =>
    trainers[r]!.config.variant === 'paper' ? `batch_size ${rows[r]} (variant 'paper')` : `all its ${rows[r]} training pairs (variant 'authors_code')`;
  rows.forEach((b, r) => {
    if (b !== rows[0]) throw new Error(`GroupRobustPopulation: run ${r} takes ${describe(r)} a step but run 0 takes ${describe(0)}; a population's runs take equally many pairs a step`);
  });
  return rows[0]!;
}

/** The runs' SGD step count (equal across runs). */
function sgdStep(trainers: readonly GroupRobustTrainer[]): number {
  const steps = new Set(trainers.map((t) => t.optimizerState.state.step));
  if (steps.size > 1) throw new Error(`GroupRobustPopulation: the runs' optimisers are at different steps (${[...steps].join(', ')})`);
  return [...steps][0]!;
}
