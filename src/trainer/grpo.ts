/**
 * The GRPO trainer. P-GRPO is this same trainer with the `pgrpo` advantage estimator.
 */
import * as tf from '@tensorflow/tfjs';
import type { DataFrame } from 'danfojs-node';
import { createEstimator, type PgrpoOptions } from '../advantages';
import type { AdvantageEstimator } from '../advantages/types';
import { recordsToFrame, type MetricRecord } from '../frames';
import type { Policy, PolicyContexts, SampledResponses, WeightData } from '../policy/types';
import { Rng, type RngState } from '../random';
import { Adam, type AdamState } from './adam';
import { clipByGlobalNorm } from './clip';
import { advantageName, resolveConfig, RESUME_CHECKED_KEYS, type GRPOConfig, type ResolvedGRPOConfig } from './config';
import { grpoLoss } from './loss';
import { stepMetrics, TOKEN_STATS, type StepSamples } from './metrics';
import type { Prompt, Response, Task } from './task';

/** Everything needed to continue a run exactly; plain JSON. */
export interface GRPOCheckpoint {
  format: 'hpa-kit/grpo-checkpoint';
  version: 1;
  /** Steps completed. */
  step: number;
  /** The resolved configuration (the estimator by name). */
  config: Record<string, string | number>;
  policy: WeightData[];
  /** Frozen reference weights (null when beta = 0, which needs no reference). */
  reference: WeightData[] | null;
  adam: AdamState;
  estimator: unknown;
  rng: RngState;
}

/** Options of {@link GRPOTrainer.train}. */
export interface TrainOptions {
  /** Called after every step with that step's metric records. */
  onStep?: (records: MetricRecord[], step: number) => void;
  /**
   * Keep this call's records in the trainer's history and return them (default true). For long runs
   * pass false and take the records from `onStep`: memory then stays flat however many steps run.
   */
  keepHistory?: boolean;
}

/** The checkpoint's record of a configuration: every checked key, and the estimator by name. */
function configRecord(config: ResolvedGRPOConfig): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const key of RESUME_CHECKED_KEYS) out[key] = config[key] as string | number;
  out.advantage = advantageName(config.advantage);
  return out;
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
  /** Frozen copy of the initial policy (null when beta = 0). */
  readonly reference: Policy | null;
  private readonly rng: Rng;
  private readonly adam: Adam;
  private readonly records: MetricRecord[] = [];
  private readonly groupIndex: Map<string, number>;
  private completed = 0;

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
    this.estimator = createEstimator(this.config.advantage);
    this.reference = this.config.beta > 0 ? policy.clone() : null;
    this.rng = new Rng(this.config.seed);
    this.adam = new Adam(policy.trainableVariables(), { learning_rate: this.config.learning_rate });
    this.groupIndex = new Map(task.groups.map((g, i) => [g, i]));
  }

  /**
   * Rebuilds a trainer from {@link GRPOTrainer.checkpoint} so that it continues exactly as the
   * uninterrupted run would. `policy` (same architecture) receives the saved weights; `config`
   * must resolve to the saved configuration (a differing key is an error naming it).
   */
  static resume(checkpoint: GRPOCheckpoint, policy: Policy, task: Task, config: GRPOConfig = {}): GRPOTrainer {
    if (checkpoint?.format !== 'hpa-kit/grpo-checkpoint' || checkpoint.version !== 1) {
      throw new Error("checkpoint is not a version-1 'hpa-kit/grpo-checkpoint' object");
    }
    const trainer = new GRPOTrainer(policy, task, config);
    try {
      const now = configRecord(trainer.config);
      for (const key of Object.keys(now)) {
        if (checkpoint.config[key] !== now[key]) {
          throw new Error(`GRPOConfig.${key} is ${String(now[key])} but the checkpoint was trained with ${String(checkpoint.config[key])}`);
        }
      }
      if (!Number.isInteger(checkpoint.step) || checkpoint.step < 0) throw new Error(`checkpoint.step must be a non-negative integer, got ${checkpoint.step}`);
      policy.setWeights(checkpoint.policy);
      if (trainer.reference !== null) {
        if (checkpoint.reference === null) throw new Error('checkpoint has no reference weights but beta > 0');
        trainer.reference.setWeights(checkpoint.reference);
      }
      trainer.adam.setState(checkpoint.adam);
      trainer.estimator.setState(checkpoint.estimator);
      trainer.rng.setState(checkpoint.rng);
    } catch (err) {
      trainer.dispose();
      throw err;
    }
    trainer.completed = checkpoint.step;
    return trainer;
  }

  /** Number of steps completed. */
  get stepCount(): number {
    return this.completed;
  }

  /** Runs one step and returns its metric records (also kept for {@link GRPOTrainer.metricsFrame}). */
  trainStep(): MetricRecord[] {
    return this.runStep(true);
  }

  private runStep(keep: boolean): MetricRecord[] {
    const cfg = this.config;
    const P = cfg.prompts_per_step;
    const G = cfg.num_generations;
    const N = P * G;
    const prompts = this.task.samplePrompts(P, this.rng);
    const contexts = this.contextsOf(prompts);
    const sampled = this.policy.sample(contexts, G, cfg.temperature, this.rng);
    const T = sampled.length;
    if (sampled.rows !== N) throw new Error(`policy.sample returned ${sampled.rows} rows, expected ${N}`);

    const scored = this.score(prompts, sampled.tokens, sampled.mask, T);
    const adv = this.estimator.compute({
      rewards: scored.rewards,
      generationGroups: scored.generationGroups,
      preferenceGroups: scored.preferenceGroups,
    });

    const values = this.update(contexts, sampled, adv.advantages);

    const mu = cfg.num_iterations;
    const tail = values.subarray(N * TOKEN_STATS);
    const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / a.length;
    const step = this.completed;
    const records = stepMetrics(step, {
      groups: this.task.groups,
      groupOf: scored.groupOf,
      rewards: scored.rewards,
      rewardParts: scored.parts,
      advantages: adv.advantages,
      zeroStdGeneration: adv.zeroStdGeneration,
      tokenStats: values.subarray(0, N * TOKEN_STATS),
      hasKL: this.reference !== null,
      loss: mean(tail.subarray(0, mu)),
      gradNorm: mean(tail.subarray(mu, 2 * mu)),
    });
    this.completed += 1;
    if (keep) for (const r of records) this.records.push(r);
    return records;
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

  /** Every record logged by this trainer object (a resumed trainer starts empty). */
  metrics(): MetricRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  /** The logged metrics as a long-form DataFrame with columns step, group, metric, value. */
  metricsFrame(): DataFrame {
    return recordsToFrame(this.records, ['step', 'group', 'metric', 'value']);
  }

  /** A JSON-serialisable snapshot: weights, Adam state, reference, estimator state, Rng state. */
  checkpoint(): GRPOCheckpoint {
    return {
      format: 'hpa-kit/grpo-checkpoint',
      version: 1,
      step: this.completed,
      config: configRecord(this.config),
      policy: this.policy.getWeights(),
      reference: this.reference ? this.reference.getWeights() : null,
      adam: this.adam.getState(),
      estimator: this.estimator.getState(),
      rng: this.rng.getState(),
    };
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
        let diagnostics: tf.Tensor[] = [];
        const { value, grads } = tf.variableGrads(() => {
          const ev = this.policy.evaluate(contexts, tokens, cfg.temperature);
          const out = grpoLoss({ logProbs: ev.logProbs, oldLogProbs, refLogProbs, advantages, mask }, cfg);
          // Kept past the forward tidy; the statistics are formed after the gradient, where no tape records them.
          if (ev.entropy === undefined) throw new Error('policy.evaluate returned no entropy although the trainer asked for it (options.entropy is not false)');
          diagnostics = [out.kl, out.lowClipped, out.highClipped, ev.entropy].map((t) => own(tf.keep(t)));
          return out.loss;
        }, vars);
        // Per-sample token statistics, read back with everything else. Statistic-major [TOKEN_STATS, N],
        // flattened: stacking on a new first axis is a few block copies, while stacking per-sample sums
        // along axis 1 copies one number at a time on wasm (0.5 ms per step at N = 512). One sum over
        // tokens then serves all five statistics.
        const [kl, low, high, entropy] = diagnostics as tf.Tensor2D[];
        stats.push(own(tf.tidy(() => tf.reshape(tf.sum(tf.stack([mask, kl!, low!, high!, tf.mul(entropy!, mask)]), 2), [-1]))));
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
        const r = f.fn(response as Response, prompt);
        if (typeof r !== 'number' || !Number.isFinite(r)) {
          throw new Error(
            `reward function '${f.name}' returned ${String(r)} for sample ${i} (prompt '${prompt.id}', group '${prompt.group}', ` +
              `response [${response.join(', ')}]); rewards must be finite numbers`,
          );
        }
        parts[j]!.values[i] = r;
        total += f.weight * r;
      });
      rewards[i] = total;
    }
    return { rewards, parts, generationGroups, groupOf, preferenceGroups };
  }
}

/**
 * Reorders the packed read-back from statistic-major (`[TOKEN_STATS, N]`, then the tail of losses
 * and norms) to the sample-major `[N, TOKEN_STATS]` layout of {@link StepSamples.tokenStats}.
 */
function sampleMajorStats(packed: Float32Array, N: number): Float32Array {
  const out = new Float32Array(packed.length);
  for (let k = 0; k < TOKEN_STATS; k++) {
    for (let i = 0; i < N; i++) out[i * TOKEN_STATS + k] = packed[k * N + i]!;
  }
  out.set(packed.subarray(N * TOKEN_STATS), N * TOKEN_STATS);
  return out;
}

function checkTask(policy: Policy, task: Task): void {
  for (const g of task.groups) {
    if (!policy.groups.includes(g)) throw new Error(`task group '${g}' is unknown to the policy (policy groups: ${policy.groups.join(', ')})`);
  }
  if (task.featureDim !== policy.featureDim) {
    throw new Error(`task.featureDim = ${task.featureDim} but policy.featureDim = ${policy.featureDim}`);
  }
  if (task.rewardFunctions.length === 0) throw new Error('task.rewardFunctions is empty');
  const names = new Set<string>();
  task.rewardFunctions.forEach((f, i) => {
    if (typeof f.fn !== 'function') throw new Error(`task.rewardFunctions[${i}].fn is not a function`);
    if (typeof f.name !== 'string' || f.name === '') throw new Error(`task.rewardFunctions[${i}].name must be a non-empty string`);
    if (names.has(f.name)) throw new Error(`task.rewardFunctions has two functions named '${f.name}'`);
    names.add(f.name);
    if (!Number.isFinite(f.weight)) throw new Error(`task.rewardFunctions['${f.name}'].weight must be finite, got ${f.weight}`);
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
