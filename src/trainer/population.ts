/**
 * Population training: R independent GRPO runs trained in lockstep as one batched computation.
 *
 * A sweep of many small runs (seeds x methods x settings) pays, at every step of every run, the same
 * fixed cost of launching some two hundred small kernels for very little arithmetic. A population
 * stacks the runs' weights on a leading run axis and takes each step of all runs with one set of
 * kernels: one forward pass for sampling, one loss and gradient, one clipping and one Adam update.
 *
 * Everything else stays per run, done by each run's own {@link GRPOTrainer}: its Rng (prompts and
 * responses), reward scoring, advantage estimator (P-GRPO's per-group history), group-robust
 * weights, metrics, step count and checkpoint. The batched kernels compute every run's slice exactly
 * as the single run's kernels do, so run r of a population gives the same numbers, bit for bit, as
 * the same run trained alone with {@link GRPOTrainer} (tested in test/population.test.ts); a
 * population of one is the single run.
 *
 * What may differ between runs: the seed, the advantage estimator (`advantage`), `group_robust`, the
 * task, and the policy's initial weights. Everything else (the policy architecture, batch shape,
 * loss and optimiser settings) is shared; a differing key is an error naming it and the runs.
 */
import * as tf from '@tensorflow/tfjs';
import type { SavedCheckpoint } from '../checkpoint/files';
import type { MetricRecord } from '../frames';
import { stackPolicies, type PolicyPopulation } from '../policy/population';
import '../lm/gruPopulation'; // registers the GRU language policy's population with stackPolicies
import type { PolicyContexts, Policy, SampledResponses } from '../policy/types';
import { Adam, runAdamState, stackAdamStates } from './adam';
import { clipByGlobalNormPerRun } from './clip';
import type { GRPOConfig, ResolvedGRPOConfig } from './config';
import { GRPOTrainer, type GRPOCheckpoint, type ScoredStep } from './grpo';
import { grpoLoss, type GRPOLossInput } from './loss';
import { trainProgress, type TrainProgressOption } from './progress';
import { sampleMajorStats, TOKEN_STATS, tokenStatSums, type TokenStatName } from './metrics';
import type { Prompt, Task } from './task';

/** One run of a population: its own policy (trained in place), task and configuration. */
export interface PopulationRun {
  policy: Policy;
  task: Task;
  config?: GRPOConfig;
}

/** Options of {@link GRPOPopulation.train}. */
export interface PopulationTrainOptions {
  /** Called after every step with each run's records of that step (run order). */
  onStep?: (records: MetricRecord[][], step: number) => void;
  /** Keep this call's records in each run's history and return them (default true); false keeps memory flat. */
  keepHistory?: boolean;
  /** Progress bar as `GRPOTrainer.train`'s (reward per group over all runs' samples); same defaults. */
  progress?: TrainProgressOption;
}

/** Configuration keys that may differ between the runs of a population. */
export const PER_RUN_KEYS = ['seed', 'advantage', 'group_robust'] as const;

/**
 * Trains R GRPO runs as one batched computation (see the module comment). Build it from the runs'
 * own policies, tasks and configurations; after {@link GRPOPopulation.train} every run's policy
 * holds that run's trained weights.
 */
export class GRPOPopulation {
  /** Each run's own trainer (its configuration, task, estimator, metrics and checkpoint). */
  readonly runs: readonly GRPOTrainer[];
  private readonly policies: PolicyPopulation;
  private readonly reference: PolicyPopulation | null;
  private readonly adam: Adam;
  private readonly shared: ResolvedGRPOConfig;
  private stopped: Error | null = null;

  constructor(runs: readonly PopulationRun[]);
  /** @internal From trainers already built (by {@link GRPOPopulation.resume}). */
  constructor(runs: readonly PopulationRun[], trainers: GRPOTrainer[]);
  constructor(runs: readonly PopulationRun[], built?: GRPOTrainer[]) {
    if (runs.length === 0) throw new Error('GRPOPopulation needs at least one run');
    const trainers =
      built ??
      runs.map((run, r) => {
        try {
          return new GRPOTrainer(run.policy, run.task, run.config ?? {});
        } catch (err) {
          throw new Error(`GRPOPopulation run ${r}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
      });
    this.runs = trainers;
    try {
      this.shared = checkSharedConfig(trainers.map((t) => t.config));
      // The stacked copies start from each run's current state: its policy, frozen reference and Adam moments.
      this.policies = stackPolicies(trainers.map((t) => t.policy));
      this.reference = this.shared.beta > 0 ? stackPolicies(trainers.map((t) => t.reference!)) : null;
      this.adam = new Adam(this.policies.trainableVariables(), { learning_rate: this.shared.learning_rate });
      // Fresh runs' moments are zeros, as the new optimiser's; resumed runs bring theirs.
      if (built !== undefined) this.adam.setState(stackAdamStates(trainers.map((t) => t.optimizer.getState()), 'GRPOPopulation'));
    } catch (err) {
      trainers.forEach((t) => t.dispose());
      throw err;
    }
  }

  /**
   * Rebuilds a population from one checkpoint per run ({@link GRPOPopulation.checkpoint}, or each
   * run's single-run checkpoint): every run is resumed as {@link GRPOTrainer.resume} resumes it
   * (validated; a bad checkpoint names its run), so the population continues exactly as the
   * uninterrupted one (and as each run alone) would.
   */
  static resume(checkpoints: readonly (GRPOCheckpoint | SavedCheckpoint)[], runs: readonly PopulationRun[]): GRPOPopulation {
    if (checkpoints.length !== runs.length) throw new Error(`GRPOPopulation.resume: ${checkpoints.length} checkpoints for ${runs.length} runs`);
    const trainers: GRPOTrainer[] = [];
    try {
      runs.forEach((run, r) => {
        try {
          trainers.push(GRPOTrainer.resume(checkpoints[r]!, run.policy, run.task, run.config ?? {}));
        } catch (err) {
          throw new Error(`GRPOPopulation.resume run ${r}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
      });
      const steps = new Set(trainers.map((t) => t.stepCount));
      if (steps.size > 1) throw new Error(`GRPOPopulation.resume: the checkpoints are at different steps (${[...steps].join(', ')}); a population steps its runs together`);
    } catch (err) {
      trainers.forEach((t) => t.dispose());
      throw err;
    }
    return new GRPOPopulation(runs, trainers);
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

  /** One step of every run; returns each run's records (run order). The runs' own policies are updated at the end of {@link GRPOPopulation.train} and by {@link GRPOPopulation.writeBack}. */
  trainStep(): MetricRecord[][] {
    return this.stepOnce(true);
  }

  /** Runs `steps` steps of every run, then writes the trained weights back into each run's policy. */
  train(steps: number, options: PopulationTrainOptions = {}): MetricRecord[][] {
    if (!Number.isInteger(steps) || steps < 0) throw new Error(`steps must be a non-negative integer, got ${steps}`);
    const keep = options.keepHistory ?? true;
    const out: MetricRecord[][] = this.runs.map(() => []);
    const progress = trainProgress(steps, options.progress);
    for (let s = 0; s < steps; s++) {
      const records = this.stepOnce(keep);
      progress?.step(records);
      options.onStep?.(records, this.stepCount - 1);
      if (keep) records.forEach((rs, r) => out[r]!.push(...rs));
    }
    progress?.finish();
    this.writeBack();
    return out;
  }

  /** Copies every run's current weights into its own policy object. */
  writeBack(): void {
    this.requireRunning('write back');
    this.policies.writeBack();
  }

  /**
   * One checkpoint per run, each the single-run checkpoint of {@link GRPOTrainer.checkpoint}: it
   * resumes as a population ({@link GRPOPopulation.resume}) or as that run alone ({@link GRPOTrainer.resume}).
   */
  checkpoint(): GRPOCheckpoint[] {
    this.requireRunning('checkpoint');
    this.policies.writeBack();
    const state = this.adam.getState();
    return this.runs.map((trainer, r) => {
      trainer.optimizer.setState(runAdamState(state, r, trainer.optimizer.variableSizes));
      return trainer.checkpoint();
    });
  }

  /** Frees the population's stacked weights, its optimiser and every run's trainer state (not the runs' policies). */
  dispose(): void {
    this.policies.dispose();
    this.reference?.dispose();
    this.adam.dispose();
    this.runs.forEach((t) => t.dispose());
  }

  private run(r: number): GRPOTrainer {
    const trainer = this.runs[r];
    if (!Number.isInteger(r) || trainer === undefined) throw new Error(`run must be an integer in [0, ${this.size - 1}], got ${r}`);
    return trainer;
  }

  private requireRunning(action: string): void {
    if (this.stopped !== null) {
      throw new Error(`GRPOPopulation cannot ${action}: it stopped at an error (${this.stopped.message}); resume from checkpoints saved before it`);
    }
  }

  private stepOnce(keep: boolean): MetricRecord[][] {
    this.requireRunning('train');
    const step = this.stepCount;
    let current = -1; // the run whose own part of the step is running, for the error message
    try {
      const drawn = this.runs.map((t, r) => ((current = r), t.drawPrompts()));
      current = -1;
      const contexts = drawn.map((d) => d.contexts);
      const cfg = this.shared;
      const sampled = this.policies.sample(contexts, cfg.num_generations, cfg.temperature, this.runs.map((t) => t.random));
      const scored = this.runs.map((t, r) => ((current = r), t.scoreSamples(drawn[r]!.prompts, sampled[r]!)));
      current = -1;
      const values = this.update(contexts, sampled, scored);
      return this.runs.map((t, r) => ((current = r), t.logStep(drawn[r]!.prompts, scored[r]!, values[r]!, keep)));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const who = current >= 0 ? `run ${current} (seed ${this.runs[current]!.config.seed})` : 'batched update';
      this.stopped = new Error(`GRPOPopulation step ${step}, ${who}: ${message}`, { cause: err });
      this.runs.forEach((t) => t.stopWith(this.stopped!));
      throw this.stopped;
    }
  }

  /**
   * The `num_iterations` updates of every run on its sampled batch, as {@link GRPOTrainer}'s update
   * with a leading run axis: the summed loss's gradient is each run's own gradient, clipped by its
   * own norm; Adam is element-wise, so one optimiser over the stacked weights is R optimisers.
   * Returns each run's packed read-back in the single trainer's layout.
   */
  private update(contexts: PolicyContexts[], sampled: SampledResponses[], scored: ScoredStep[]): Float32Array[] {
    const cfg = this.shared;
    const R = this.size;
    const N = sampled[0]!.rows;
    const T = sampled[0]!.length;
    sampled.forEach((s, r) => {
      if (s.rows !== N || s.length !== T) throw new Error(`run ${r} sampled [${s.rows}, ${s.length}] responses, run 0 [${N}, ${T}]`);
    });
    const owned: tf.Tensor[] = [];
    const own = <X extends tf.Tensor>(x: X): X => {
      owned.push(x);
      return x;
    };
    const joined = <A extends Int32Array | Float32Array>(parts: A[], make: (n: number) => A): A => {
      const out = make(R * N * T);
      parts.forEach((p, r) => out.set(p, r * N * T));
      return out;
    };
    try {
      const shape: [number, number, number] = [R, N, T];
      const tokens = own(tf.tensor3d(joined(sampled.map((s) => s.tokens), (n) => new Int32Array(n)), shape, 'int32'));
      const mask = own(tf.tensor3d(joined(sampled.map((s) => s.mask), (n) => new Float32Array(n)), shape, 'float32'));
      const oldLogProbs = own(tf.tensor3d(joined(sampled.map((s) => s.logProbs), (n) => new Float32Array(n)), shape, 'float32'));
      const adv = new Float32Array(R * N);
      scored.forEach((s, r) => adv.set(Float32Array.from(s.weighted), r * N));
      const advantages = own(tf.tensor2d(adv, [R, N], 'float32'));
      const refLogProbs = this.reference
        ? own(tf.tidy(() => this.reference!.evaluate(contexts, tokens, cfg.temperature, { entropy: false }).logProbs))
        : null;
      const vars = this.policies.trainableVariables();
      const stats: tf.Tensor[] = [];
      const losses: tf.Tensor[] = [];
      const norms: tf.Tensor[] = [];
      for (let it = 0; it < cfg.num_iterations; it++) {
        let perToken: Record<Exclude<TokenStatName, 'tokens'>, tf.Tensor> | null = null;
        let runLosses: tf.Tensor | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const ev = this.policies.evaluate(contexts, tokens, cfg.temperature);
          const input = { logProbs: ev.logProbs, oldLogProbs, refLogProbs, advantages, mask } as unknown as GRPOLossInput; // [R, N, T] (see grpoLoss)
          const out = grpoLoss(input, cfg);
          const keep = (t: tf.Tensor) => own(tf.keep(t));
          perToken = { kl: keep(out.kl), low_clipped: keep(out.lowClipped), high_clipped: keep(out.highClipped), entropy: keep(ev.entropy!) };
          runLosses = keep(out.loss); // [R]
          // Each run's loss depends on its own weights only, so the sum's gradient is every run's own gradient.
          return tf.sum(out.loss) as tf.Scalar;
        }, vars);
        own(value);
        const d = perToken!;
        stats.push(own(tf.tidy(() => tokenStatSums(d, mask)))); // [R, TOKEN_STATS, N]
        losses.push(runLosses!);
        const gradList = vars.map((v) => grads[v.name] ?? tf.zerosLike(v));
        try {
          const { clipped, norm } = clipByGlobalNormPerRun(gradList, cfg.max_grad_norm);
          norms.push(own(norm));
          this.adam.apply(clipped);
          tf.dispose(clipped);
        } finally {
          tf.dispose(gradList);
          tf.dispose(grads);
        }
      }
      const mu = cfg.num_iterations;
      const packed = own(
        tf.tidy(() => tf.concat([tf.reshape(tf.div(tf.addN(stats), mu), [-1]), tf.reshape(tf.stack(losses, 1), [-1]), tf.reshape(tf.stack(norms, 1), [-1])])),
      );
      const flat = packed.dataSync() as Float32Array;
      const S = TOKEN_STATS * N;
      return this.runs.map((_, r) => {
        // Run r's read-back as the single trainer packs it (statistics, then losses, then norms), then its layout.
        const packedRun = new Float32Array(S + 2 * mu);
        packedRun.set(flat.subarray(r * S, (r + 1) * S));
        packedRun.set(flat.subarray(R * S + r * mu, R * S + (r + 1) * mu), S);
        packedRun.set(flat.subarray(R * S + R * mu + r * mu, R * S + R * mu + (r + 1) * mu), S + mu);
        return sampleMajorStats(packedRun, N);
      });
    } finally {
      tf.dispose(owned);
    }
  }
}

/** The shared configuration: every key but {@link PER_RUN_KEYS} must be equal across runs (an error names the key and the runs). */
function checkSharedConfig(configs: readonly ResolvedGRPOConfig[]): ResolvedGRPOConfig {
  const first = configs[0]!;
  const perRun = new Set<string>(PER_RUN_KEYS);
  configs.forEach((c, r) => {
    for (const key of Object.keys(first) as (keyof ResolvedGRPOConfig)[]) {
      if (perRun.has(key)) continue;
      if (JSON.stringify(c[key]) !== JSON.stringify(first[key])) {
        throw new Error(
          `GRPOPopulation: GRPOConfig.${key} is ${JSON.stringify(c[key])} in run ${r} but ${JSON.stringify(first[key])} in run 0; ` +
            `the runs of a population may differ only in ${PER_RUN_KEYS.join(', ')} (train the others in another population)`,
        );
      }
    }
  });
  return first;
}


