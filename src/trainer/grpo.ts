/**
 * The GRPO trainer. P-GRPO is this same trainer with the `pgrpo` advantage estimator.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataFrame } from 'danfojs-node';
import { createEstimator, resolveEstimator, type PgrpoOptions, type ResolvedEstimator } from '../advantages';
import { MAX_REWARD_MAGNITUDE, rewardProblem } from '../advantages/input';
import type { AdvantageEstimator } from '../advantages/types';
import { describeValue, FLOAT32_MAX } from '../checkpoint/fields';
import type { SavedCheckpoint } from '../checkpoint/files';
import { recordsToFrame, type MetricRecord } from '../frames';
import type { Policy, PolicyContexts, SampledResponses } from '../policy/types';
import { checkWeightData } from '../policy/weights';
import { Rng } from '../random';
import { Adam, checkAdamState } from './adam';
import { checkGrpoCheckpoint, GRPO_CHECKPOINT_FORMAT, type GRPOCheckpoint } from './checkpoint';
import { clipByGlobalNorm } from './clip';
import { GroupRobustWeights } from './groupWeights';
import { advantageName, resolveConfig, RESUME_CHECKED_KEYS, type GRPOConfig, type ResolvedGRPOConfig } from './config';
import { grpoLoss } from './loss';
import { sampleMajorStats, stepMetrics, TOKEN_STATS, tokenStatSums, type StepSamples, type TokenStatName } from './metrics';
import { trainProgress, type TrainProgressOption } from './progress';
import type { Prompt, Response, Task } from './task';

export type { GRPOCheckpoint } from './checkpoint';

/** Options of {@link GRPOTrainer.train}. */
export interface TrainOptions {
  /** Called after every step with that step's metric records. */
  onStep?: (records: MetricRecord[], step: number) => void;
  /**
   * Keep this call's records in the trainer's history and return them (default true). For long runs
   * pass false and take the records from `onStep`: memory then stays flat however many steps run.
   */
  keepHistory?: boolean;
  /**
   * Progress bar with steps/s, time left and recent reward per group (see ./progress): default on in
   * a notebook or on a terminal, off elsewhere; `false` turns it off, `true` or options turn it on.
   */
  progress?: TrainProgressOption;
}

/** @internal A step's scores and advantages (see GRPOTrainer.scoreSamples). */
export interface ScoredStep {
  rewards: Float64Array;
  parts: { name: string; values: Float64Array }[];
  generationGroups: Int32Array;
  groupOf: Int32Array;
  preferenceGroups: string[];
  /** The estimator's advantages. */
  advantages: Float64Array;
  zeroStdGeneration: StepSamples['zeroStdGeneration'];
  /** The advantages the loss uses (weighted by the group weights with `group_robust`). */
  weighted: Float64Array;
}

/** The checkpoint's record of a configuration: every checked key, and the estimator by name. */
function configRecord(config: ResolvedGRPOConfig): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const key of RESUME_CHECKED_KEYS) out[key] = config[key] as string | number;
  out.advantage = advantageName(config.advantage);
  if (config.group_robust !== null) out.group_robust_eta_alpha = config.group_robust.eta_alpha; // absent when off: older checkpoints still match
  return out;
}

/**
 * Throws when the estimator's resolved options differ from those a checkpoint was trained with,
 * naming the option and both values (null on both sides: an estimator object, compared by name only).
 */
function checkSameEstimatorOptions(now: GRPOTrainer['estimatorSpec'], saved: Record<string, unknown> | null): void {
  const where = `GRPOConfig.advantage (${now.name})`;
  if ((now.options === null) !== (saved === null)) {
    throw new Error(
      `${where}: the checkpoint was trained with ${saved === null ? 'an estimator object (options unknown)' : 'a registered estimator with options'} ` +
        `but resume was given ${now.options === null ? 'an estimator object' : 'a registered estimator by name'}`,
    );
  }
  if (now.options === null || saved === null) return;
  for (const key of new Set([...Object.keys(now.options), ...Object.keys(saved)])) {
    const a = JSON.stringify(now.options[key]);
    const b = JSON.stringify(saved[key]);
    if (a !== b) throw new Error(`${where} option '${key}' is ${a ?? 'unset'} but the checkpoint was trained with ${b ?? 'unset'}`);
  }
}

/**
 * Group Relative Policy Optimisation on a {@link Task} (TRL's GRPOTrainer, one process).
 *
 * Each step: draw `prompts_per_step` prompts, sample `num_generations` responses per prompt with
 * the current policy (their log-probs are the "old" ones), score them with the task's weighted
 * reward functions, compute advantages with the configured estimator, then take `num_iterations`
 * Adam steps on the clipped surrogate plus `beta` times the k3 KL to the frozen reference, with
 * global-norm gradient clipping. Metrics are logged per preference group and for `all`, read back
 * from the device once per step.
 */
export class GRPOTrainer {
  readonly config: ResolvedGRPOConfig;
  readonly policy: Policy;
  readonly task: Task;
  readonly estimator: AdvantageEstimator;
  /**
   * The estimator's name and resolved options (every option after defaults), as checkpoints record
   * them; `options` is null for an estimator passed as a ready object.
   */
  readonly estimatorSpec: { name: string; options: ResolvedEstimator['options'] | null };
  /** Frozen copy of the initial policy (null when beta = 0). */
  readonly reference: Policy | null;
  private readonly rng: Rng;
  private readonly adam: Adam;
  private readonly records: MetricRecord[] = [];
  private readonly groupIndex: Map<string, number>;
  /** Group-robust weights alpha (`group_robust` option; null when off), see ./groupWeights. */
  private readonly groupWeights: GroupRobustWeights | null;
  private completed = 0;
  private stopped: Error | null = null;

  /**
   * @param policy - trained in place.
   * @param task - prompts and rewards; its groups must be known to the policy.
   * @param config - TRL-named settings; see {@link GRPOConfig}.
   */
  constructor(policy: Policy, task: Task, config: GRPOConfig = {}) {
    this.config = resolveConfig(config, policy.maxLength);
    checkTask(policy, task);
    this.policy = policy;
    this.task = task;
    const advantage = this.config.advantage;
    if (typeof advantage === 'object' && 'compute' in advantage) {
      this.estimator = createEstimator(advantage);
      this.estimatorSpec = { name: this.estimator.name, options: null };
    } else {
      this.estimatorSpec = resolveEstimator(advantage);
      this.estimator = createEstimator({ ...this.estimatorSpec.options, name: this.estimatorSpec.name });
    }
    this.reference = this.config.beta > 0 ? policy.clone() : null;
    this.rng = new Rng(this.config.seed);
    this.adam = new Adam(policy.trainableVariables(), { learning_rate: this.config.learning_rate });
    this.groupIndex = new Map(task.groups.map((g, i) => [g, i]));
    this.groupWeights = this.config.group_robust === null ? null : new GroupRobustWeights(this.config.group_robust, task.groups);
  }

  /**
   * Rebuilds a trainer from {@link GRPOTrainer.checkpoint} (or from `loadCheckpoint(path)`) so that
   * it continues exactly as the uninterrupted run would. `policy` (same architecture) receives the
   * saved weights; `config` must resolve to the saved configuration (a differing key is an error
   * naming it). The whole checkpoint is validated first (a missing or mistyped field, a non-finite
   * weight, moment or statistic, a bad RNG state, a name or shape that does not fit the policy):
   * on any error the caller's policy is left untouched.
   */
  static resume(checkpoint: GRPOCheckpoint | SavedCheckpoint, policy: Policy, task: Task, config: GRPOConfig = {}): GRPOTrainer {
    const saved = checkGrpoCheckpoint(checkpoint);
    const trainer = new GRPOTrainer(policy, task, config);
    try {
      const now = configRecord(trainer.config);
      for (const key of Object.keys(now)) {
        if (saved.config[key] !== now[key]) {
          throw new Error(`GRPOConfig.${key} is ${String(now[key])} but the checkpoint was trained with ${String(saved.config[key])}`);
        }
      }
      checkSameEstimatorOptions(trainer.estimatorSpec, saved.estimator_options);
      // Everything that depends on the policy is checked before anything is written.
      const specs = policy.getWeights().map((w) => ({ name: w.name, shape: w.shape }));
      checkWeightData(specs, saved.policy, 'checkpoint.policy');
      if (trainer.reference !== null) {
        if (saved.reference === null) throw new Error('checkpoint.reference is null (saved with beta = 0) but beta > 0 needs reference weights');
        checkWeightData(specs, saved.reference, 'checkpoint.reference');
      }
      checkAdamState(saved.adam, trainer.adam.variableSizes, 'checkpoint.adam', specs.map((w) => w.name));
      // The trainer's own parts first (each validates before it changes), the caller's policy last.
      if ((saved.group_weights !== undefined) !== (trainer.groupWeights !== null)) {
        throw new Error(`GRPOConfig.group_robust is ${trainer.groupWeights ? 'on' : 'off'} but the checkpoint was trained with it ${saved.group_weights !== undefined ? 'on' : 'off'}`);
      }
      trainer.groupWeights?.setState(saved.group_weights);
      trainer.estimator.setState(saved.estimator);
      trainer.rng.setState(saved.rng);
      trainer.adam.setState(saved.adam);
      trainer.reference?.setWeights(saved.reference!);
      policy.setWeights(saved.policy);
    } catch (err) {
      trainer.dispose();
      throw err;
    }
    trainer.completed = saved.step;
    return trainer;
  }

  /** The group-robust weights alpha in task-group order (null when `group_robust` is off). */
  get groupAlpha(): number[] | null {
    return this.groupWeights ? this.groupWeights.alpha : null;
  }

  /** Number of steps completed. */
  get stepCount(): number {
    return this.completed;
  }

  /**
   * Runs one step and returns its metric records (also kept for {@link GRPOTrainer.metricsFrame}).
   * An error inside a step (a bad reward, a non-finite loss or gradient, a failing policy) names the
   * step and stops the trainer: its state is part-way through that step, so later steps and
   * `checkpoint()` refuse; resume from a checkpoint saved before it.
   */
  trainStep(): MetricRecord[] {
    return this.runStep(true);
  }

  /** The error that stopped this trainer, or null while it can train. */
  get failure(): Error | null {
    return this.stopped;
  }

  private runStep(keep: boolean): MetricRecord[] {
    this.requireRunning('train');
    try {
      return this.stepOnce(keep);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.stopped = new Error(`GRPOTrainer step ${this.completed}: ${message}`, { cause: err });
      throw this.stopped;
    }
  }

  /** Throws when an earlier step failed, naming that failure. */
  private requireRunning(action: string): void {
    if (this.stopped !== null) {
      throw new Error(`GRPOTrainer cannot ${action}: it stopped at an error (${this.stopped.message}); resume from a checkpoint saved before it`);
    }
  }

  private stepOnce(keep: boolean): MetricRecord[] {
    const { prompts, contexts } = this.drawPrompts();
    const sampled = this.policy.sample(contexts, this.config.num_generations, this.config.temperature, this.rng);
    const scored = this.scoreSamples(prompts, sampled);
    const values = this.update(contexts, sampled, scored.weighted);
    return this.logStep(prompts, scored, values, keep);
  }

  /*
   * The three parts of a step around the policy's sampling and update, also called by
   * GRPOPopulation (./population.ts), which samples and updates all its runs at once and leaves
   * every other part of a step to each run's own trainer.
   */

  /** @internal Step part 1: draws this step's prompts with the trainer's Rng and builds their contexts. */
  drawPrompts(): { prompts: Prompt[]; contexts: PolicyContexts } {
    const prompts = this.task.samplePrompts(this.config.prompts_per_step, this.rng);
    return { prompts, contexts: this.contextsOf(prompts) };
  }

  /** @internal The trainer's random stream (a population samples every run's responses with its own). */
  get random(): Rng {
    return this.rng;
  }

  /**
   * @internal Step part 2: scores the sampled responses, computes their advantages with the
   * estimator and (with `group_robust`) weighs them by the group weights.
   */
  scoreSamples(prompts: readonly Prompt[], sampled: SampledResponses): ScoredStep {
    const N = this.config.prompts_per_step * this.config.num_generations;
    if (sampled.rows !== N) throw new Error(`policy.sample returned ${sampled.rows} rows, expected ${N}`);
    const scored = this.score(prompts, sampled.tokens, sampled.mask, sampled.length);
    const adv = this.estimator.compute({
      rewards: scored.rewards,
      generationGroups: scored.generationGroups,
      preferenceGroups: scored.preferenceGroups,
    });
    // Group-robust option: alpha moves on this batch's shortfalls, then weights each sample's advantage by K alpha_g.
    const weighted = this.groupWeights ? this.groupWeights.weigh(scored.rewards, scored.groupOf, adv.advantages) : adv.advantages;
    return { ...scored, advantages: adv.advantages, zeroStdGeneration: adv.zeroStdGeneration, weighted };
  }

  /**
   * @internal Step part 3: checks the update's read-back (`values`: per-sample token statistics,
   * then each update's loss, then each update's gradient norm), logs the step's records and counts
   * the step.
   */
  logStep(prompts: readonly Prompt[], scored: ScoredStep, values: Float32Array, keep: boolean): MetricRecord[] {
    const cfg = this.config;
    const G = cfg.num_generations;
    const N = cfg.prompts_per_step * G;
    const mu = cfg.num_iterations;
    const tail = values.subarray(N * TOKEN_STATS);
    // Every update's loss and gradient norm were read back with the statistics: one branch-free
    // check over 2 * mu numbers; the cause is looked for only when it fails.
    let finite = 0;
    for (let k = 0; k < tail.length; k++) finite += tail[k]! - tail[k]!;
    if (finite !== 0) throw new Error(nonFiniteUpdateMessage(tail, mu, values.subarray(0, N * TOKEN_STATS), scored.advantages, prompts, G));
    const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / a.length;
    const step = this.completed;
    const records = stepMetrics(step, {
      groups: this.task.groups,
      groupOf: scored.groupOf,
      rewards: scored.rewards,
      rewardParts: scored.parts,
      advantages: scored.advantages,
      zeroStdGeneration: scored.zeroStdGeneration,
      tokenStats: values.subarray(0, N * TOKEN_STATS),
      hasKL: this.reference !== null,
      loss: mean(tail.subarray(0, mu)),
      gradNorm: mean(tail.subarray(mu, 2 * mu)),
    });
    if (this.groupWeights) records.push(...this.groupWeights.records(step));
    this.completed += 1;
    if (keep) for (const r of records) this.records.push(r);
    return records;
  }

  /** @internal Marks the trainer stopped by an error met in a population step (see {@link GRPOTrainer.failure}). */
  stopWith(error: Error): void {
    this.stopped = error;
  }

  /** @internal The optimiser (a population reads and writes its run's slice of the moments for checkpoints). */
  get optimizer(): Adam {
    return this.adam;
  }

  /** Runs `steps` steps, calling `onStep` after each; returns their records (none with `keepHistory: false`). */
  train(steps: number, options: TrainOptions = {}): MetricRecord[] {
    if (!Number.isInteger(steps) || steps < 0) throw new Error(`steps must be a non-negative integer, got ${steps}`);
    const keep = options.keepHistory ?? true;
    const out: MetricRecord[] = [];
    const progress = trainProgress(steps, options.progress);
    for (let s = 0; s < steps; s++) {
      const records = this.runStep(keep);
      progress?.step(records);
      options.onStep?.(records, this.completed - 1);
      if (keep) for (const r of records) out.push(r);
    }
    progress?.finish();
    return out;
  }

  /** Every record logged by this trainer object (a resumed trainer starts empty). */
  metrics(): MetricRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  /** The logged metrics as a long-form DataFrame with columns step, group, metric, value. */
  metricsFrame(): DataFrame {
    return recordsToFrame(this.records, ['step', 'group', 'metric', 'value']);
  }

  /**
   * A JSON-serialisable snapshot: weights, Adam state, reference, estimator state, Rng state.
   * Validated before it is returned: a non-finite weight, moment or statistic is an error naming
   * the variable and the index (JSON would store it as null, and a restore would read 0).
   * Write it with `saveCheckpoint(path, checkpoint)`.
   */
  checkpoint(): GRPOCheckpoint {
    this.requireRunning('checkpoint');
    return checkGrpoCheckpoint({
      format: GRPO_CHECKPOINT_FORMAT,
      version: 1,
      step: this.completed,
      config: configRecord(this.config),
      policy: this.policy.getWeights(),
      reference: this.reference ? this.reference.getWeights() : null,
      adam: this.adam.getState(),
      estimator_options: this.estimatorSpec.options,
      estimator: this.estimator.getState(),
      ...(this.groupWeights ? { group_weights: this.groupWeights.getState() } : {}),
      rng: this.rng.getState(),
    });
  }

  /** Frees the optimiser state and the reference policy (not the trained policy). */
  dispose(): void {
    this.adam.dispose();
    this.reference?.dispose();
  }

  /**
   * The `num_iterations` clipped-surrogate Adam updates on one sampled batch. Returns the packed
   * read-back (one dataSync): per-sample token statistics `[N, TOKEN_STATS]` averaged over the
   * updates, then each update's loss, then each update's gradient norm. Frees every tensor it made,
   * also when a policy call throws.
   */
  private update(contexts: PolicyContexts, sampled: SampledResponses, advantageValues: Float64Array): Float32Array {
    const cfg = this.config;
    const shape: [number, number] = [sampled.rows, sampled.length];
    const owned: tf.Tensor[] = [];
    const own = <X extends tf.Tensor>(x: X): X => {
      owned.push(x);
      return x;
    };
    try {
      const tokens = own(tf.tensor2d(sampled.tokens, shape, 'int32'));
      const mask = own(tf.tensor2d(sampled.mask, shape, 'float32'));
      const oldLogProbs = own(tf.tensor2d(sampled.logProbs, shape, 'float32'));
      const advantages = own(tf.tensor1d(Float32Array.from(advantageValues), 'float32'));
      const refLogProbs = this.reference
        ? own(tf.tidy(() => this.reference!.evaluate(contexts, tokens, cfg.temperature, { entropy: false }).logProbs))
        : null;
      const vars = this.policy.trainableVariables();
      const stats: tf.Tensor[] = [];
      const losses: tf.Scalar[] = [];
      const norms: tf.Scalar[] = [];
      for (let it = 0; it < cfg.num_iterations; it++) {
        // Per-token tensors of the statistics, by name (kept past the forward tidy).
        let perToken: Record<Exclude<TokenStatName, 'tokens'>, tf.Tensor> | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const ev = this.policy.evaluate(contexts, tokens, cfg.temperature);
          const out = grpoLoss({ logProbs: ev.logProbs, oldLogProbs, refLogProbs, advantages, mask }, cfg);
          // Kept past the forward tidy; the statistics are formed after the gradient, where no tape records them.
          if (ev.entropy === undefined) throw new Error('policy.evaluate returned no entropy although the trainer asked for it (options.entropy is not false)');
          const keep = (t: tf.Tensor) => own(tf.keep(t));
          perToken = { kl: keep(out.kl), low_clipped: keep(out.lowClipped), high_clipped: keep(out.highClipped), entropy: keep(ev.entropy) };
          return out.loss;
        }, vars);
        // Per-sample token statistics, read back with everything else: statistic-major [TOKEN_STATS, N],
        // flattened, in TOKEN_STAT_NAMES order, which stepMetrics reads by name.
        const d = perToken!;
        stats.push(own(tf.tidy(() => tf.reshape(tokenStatSums(d, mask), [-1]))));
        losses.push(own(value));
        const gradList = vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
        try {
          const { clipped, norm } = clipByGlobalNorm(gradList, cfg.max_grad_norm);
          norms.push(own(norm));
          this.adam.apply(clipped);
          tf.dispose(clipped);
        } finally {
          tf.dispose(gradList);
          tf.dispose(grads);
        }
      }
      const packed = own(tf.tidy(() => tf.concat([tf.div(tf.addN(stats), cfg.num_iterations), tf.stack(losses), tf.stack(norms)])));
      // Read back outside any tidy: a tidy walks every element of a returned typed array looking for tensors.
      return sampleMajorStats(packed.dataSync() as Float32Array, sampled.rows);
    } finally {
      tf.dispose(owned);
    }
  }

  private contextsOf(prompts: readonly Prompt[]): PolicyContexts {
    const P = this.config.prompts_per_step;
    const F = this.task.featureDim;
    if (prompts.length !== P) throw new Error(`task.samplePrompts returned ${prompts.length} prompts, expected prompts_per_step = ${P}`);
    const features = new Float32Array(P * F);
    prompts.forEach((p, i) => {
      if (!this.groupIndex.has(p.group)) {
        throw new Error(`prompt '${p.id}' has unknown preference group '${p.group}' (task groups: ${this.task.groups.join(', ')})`);
      }
      if (p.features.length !== F) throw new Error(`prompt '${p.id}' has ${p.features.length} features, expected task.featureDim = ${F}`);
      features.set(p.features, i * F);
    });
    return { size: P, features, groups: prompts.map((p) => p.group) };
  }

  /** Calls every reward function on every sample; a non-finite reward is an error naming the function and sample. */
  private score(prompts: readonly Prompt[], tokens: Int32Array, mask: Float32Array, T: number) {
    const G = this.config.num_generations;
    const N = prompts.length * G;
    const fns = this.task.rewardFunctions;
    const rewards = new Float64Array(N);
    const parts = fns.map((f) => ({ name: f.name, values: new Float64Array(N) }));
    const generationGroups = new Int32Array(N);
    const groupOf = new Int32Array(N);
    const preferenceGroups: string[] = new Array<string>(N);
    for (let i = 0; i < N; i++) {
      const p = Math.floor(i / G);
      const prompt = prompts[p]!;
      generationGroups[i] = p;
      groupOf[i] = this.groupIndex.get(prompt.group)!;
      preferenceGroups[i] = prompt.group;
      const response: number[] = [];
      for (let t = 0; t < T; t++) if (mask[i * T + t]! > 0) response.push(tokens[i * T + t]!);
      let total = 0;
      fns.forEach((f, j) => {
        const r: unknown = f.fn(response as Response, prompt);
        // One comparison accepts every good reward (NaN fails it too); the message is built only on failure.
        if (typeof r !== 'number' || !(Math.abs(r) <= MAX_REWARD_MAGNITUDE)) throw badReward(`reward function '${f.name}' returned`, r, i, prompt, response, p);
        parts[j]!.values[i] = r;
        total += f.weight * r;
      });
      if (!(Math.abs(total) <= MAX_REWARD_MAGNITUDE)) throw badReward('the weighted reward is', total, i, prompt, response, p);
      rewards[i] = total;
    }
    return { rewards, parts, generationGroups, groupOf, preferenceGroups };
  }
}

/** The error for a reward that is not a number, not finite, or beyond {@link MAX_REWARD_MAGNITUDE}, naming the sample and its groups. */
function badReward(what: string, value: unknown, i: number, prompt: Prompt, response: readonly number[], generationGroup: number): Error {
  const where = `sample ${i} (prompt '${prompt.id}', group '${prompt.group}', response [${response.join(', ')}]) in generation group ${generationGroup}`;
  if (typeof value !== 'number') return new Error(`${what} ${describeValue(value)} for ${where}; rewards must be finite numbers`);
  return new Error(`${what} ${value} for ${where}; ${rewardProblem(value) ?? 'rewards must be finite numbers'}`);
}

/**
 * The message for a step whose loss or gradient norm came back non-finite: which update, both
 * values, and the most likely cause found on the JavaScript side: an advantage beyond float32
 * range (naming the sample and its groups), or the preference groups whose samples had non-finite
 * KL or entropy (the policy's log-probabilities overflowed).
 */
function nonFiniteUpdateMessage(
  tail: Float32Array,
  mu: number,
  tokenStats: Float32Array,
  advantages: Float64Array,
  prompts: readonly Prompt[],
  G: number,
): string {
  let it = 0;
  while (it < mu && Number.isFinite(tail[it]!) && Number.isFinite(tail[mu + it]!)) it++;
  const head = `the loss is ${tail[it]} and the gradient norm ${tail[mu + it]} at update ${it + 1} of ${mu} (num_iterations)`;
  const stopNote = '; the trainer stopped (its policy and optimiser already hold this update: resume from a checkpoint saved before it)';
  const sampleAt = (i: number) => {
    const prompt = prompts[Math.floor(i / G)]!;
    return `sample ${i} (prompt '${prompt.id}', generation group ${Math.floor(i / G)}, group '${prompt.group}')`;
  };
  for (let i = 0; i < advantages.length; i++) {
    if (!(Math.abs(advantages[i]!) <= FLOAT32_MAX)) {
      return `${head}: the advantage of ${sampleAt(i)} is ${advantages[i]}, beyond float32 range (rewards too large for an unscaled estimator)${stopNote}`;
    }
  }
  const groups = new Set<string>();
  for (let i = 0; i * TOKEN_STATS < tokenStats.length; i++) {
    for (let k = 0; k < TOKEN_STATS; k++) {
      if (!Number.isFinite(tokenStats[i * TOKEN_STATS + k]!)) groups.add(prompts[Math.floor(i / G)]!.group);
    }
  }
  const cause =
    groups.size > 0
      ? `the policy's log-probabilities, KL or entropy overflowed for samples of group(s) ${[...groups].map((g) => `'${g}'`).join(', ')}`
      : 'the policy overflowed (too large a learning_rate, or weights already extreme)';
  return `${head}: ${cause}${stopNote}`;
}

function checkTask(policy: Policy, task: Task): void {
  for (const g of task.groups) {
    if (!policy.groups.includes(g)) throw new Error(`task group '${g}' is unknown to the policy (policy groups: ${policy.groups.join(', ')})`);
  }
  if (task.featureDim !== policy.featureDim) {
    throw new Error(`task.featureDim = ${task.featureDim} but policy.featureDim = ${policy.featureDim}`);
  }
  if (task.numResponses !== undefined && task.numResponses !== policy.vocabSize) {
    throw new Error(
      `the task scores ${task.numResponses} responses (task.numResponses, e.g. its reward table's columns) but the policy chooses ` +
        `among ${policy.vocabSize} (policy.vocabSize); the counts must be equal (with fewer, some responses could never be chosen; ` +
        'with more, the policy would sample responses the task cannot score)',
    );
  }
  if (task.rewardFunctions.length === 0) throw new Error('task.rewardFunctions is empty');
  const names = new Set<string>();
  task.rewardFunctions.forEach((f, i) => {
    if (typeof f.fn !== 'function') throw new Error(`task.rewardFunctions[${i}].fn is not a function`);
    if (typeof f.name !== 'string' || f.name === '') throw new Error(`task.rewardFunctions[${i}].name must be a non-empty string`);
    if (names.has(f.name)) throw new Error(`task.rewardFunctions has two functions named '${f.name}'`);
    names.add(f.name);
    if (typeof f.weight !== 'number' || !Number.isFinite(f.weight)) {
      throw new Error(`task.rewardFunctions['${f.name}'].weight must be a finite number, got ${typeof f.weight === 'number' ? f.weight : describeValue(f.weight)}`);
    }
  });
}

/**
 * P-GRPO (personalised GRPO): the {@link GRPOTrainer} with the `pgrpo` advantage estimator, whose
 * baselines are per preference group. `pgrpo` holds the estimator's options (update, min_count,
 * decay, window, epsilon); everything else is the same trainer.
 */
export function createPGRPOTrainer(
  policy: Policy,
  task: Task,
  config: Omit<GRPOConfig, 'advantage'> = {},
  pgrpo: PgrpoOptions = {},
): GRPOTrainer {
  if ('advantage' in config) throw new Error("GRPOConfig.advantage is set by createPGRPOTrainer; pass P-GRPO options as its fourth argument");
  return new GRPOTrainer(policy, task, { ...config, advantage: { ...pgrpo, name: 'pgrpo' } });
}
