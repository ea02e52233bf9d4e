/**
 * Populations of policies: R runs of one architecture with their weights stacked on a leading run
 * axis, so that one batched computation serves all of them (see src/trainer/population.ts).
 *
 * Every run keeps its own single-run {@link Policy} object (`policies[r]`); the population holds the
 * stacked copy that trains, and {@link PolicyPopulation.writeBack} copies run r's slice back into
 * `policies[r]`. The batched computation uses the same definitions as the single policy (the shared
 * `mlpLogits` and `drawResponses` of ./categorical, the rank-generic `dense`), and every kernel it
 * uses computes a run's slice exactly as the 2-D kernel computes the single run: run r of a
 * population gives the same bits as the run alone (tested in test/population.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { logSoftmaxPick } from '../nn/logSoftmaxPick';
import type { Rng } from '../random';
import { CategoricalMLPPolicy, contextGroupIds, drawResponses, mlpLogits, type CategoricalMLPArchitecture, type MLPParameters } from './categorical';
import type { EvaluateOptions, Policy, PolicyContexts, SampledResponses } from './types';

/** Per-token log-probabilities `[R, N, T]` (and entropies) of a population's responses. */
export interface PopulationEvaluation {
  logProbs: tf.Tensor3D;
  entropy?: tf.Tensor3D;
}

/** R policies of one architecture, trained as one batched computation. */
export interface PolicyPopulation {
  /** Number of runs R. */
  readonly size: number;
  /** Each run's own policy; receives that run's weights on {@link PolicyPopulation.writeBack}. */
  readonly policies: readonly Policy[];
  /** Maximum response length `T` (shared by the runs). */
  readonly maxLength: number;
  /**
   * Draws `perContext` responses per context for every run, from one batched forward pass and one
   * read-back; run r draws with `rngs[r]` exactly as `policies[r].sample(contexts[r], ...)` would.
   */
  sample(contexts: readonly PolicyContexts[], perContext: number, temperature: number, rngs: readonly Rng[]): SampledResponses[];
  /**
   * Log-probabilities (differentiable w.r.t. {@link PolicyPopulation.trainableVariables}) and
   * entropies of int32 `tokens` `[R, N, T]`, run r's rows scored under run r's weights and contexts.
   */
  evaluate(contexts: readonly PolicyContexts[], tokens: tf.Tensor3D, temperature: number, options?: EvaluateOptions): PopulationEvaluation;
  /** The stacked variables: each run's variable on a new leading axis, in `Policy.trainableVariables` order. */
  trainableVariables(): tf.Variable[];
  /** Copies run r's slice of every stacked variable into `policies[r]` (for every r). */
  writeBack(): void;
  /** A frozen copy of the stacked weights (e.g. the reference); it shares `policies` but never writes back. */
  clone(): PolicyPopulation;
  /** Frees the stacked variables (not the runs' own policies). */
  dispose(): void;
}

/** Builds the population of policies of one class (registered with {@link registerPopulation}). */
export type PopulationBuilder = (policies: readonly Policy[]) => PolicyPopulation;

const builders: { is: (p: Policy) => boolean; build: PopulationBuilder; name: string }[] = [];

/**
 * Makes policies of a class stackable: `is` recognises them, `build` stacks a list of them. The kit
 * registers the categorical MLP here and the GRU language policy in src/lm/gruPopulation.ts.
 */
export function registerPopulation(name: string, is: (p: Policy) => boolean, build: PopulationBuilder): void {
  builders.push({ name, is, build });
}

/**
 * Stacks R policies of one class and architecture into a {@link PolicyPopulation}. Policies of a
 * class without a population (or of different classes or architectures) are an error naming the run.
 */
export function stackPolicies(policies: readonly Policy[]): PolicyPopulation {
  if (policies.length === 0) throw new Error('a population needs at least one policy');
  const builder = builders.find((b) => b.is(policies[0]!));
  if (builder === undefined) {
    throw new Error(
      `policies of class ${policies[0]!.constructor.name} cannot be trained as a population (stackable: ${builders.map((b) => b.name).join(', ')}); train them one by one`,
    );
  }
  policies.forEach((p, r) => {
    if (!builder.is(p)) throw new Error(`run ${r}: a population's policies must all be ${builder.name}s, got ${p.constructor.name}`);
    if (policies.indexOf(p) !== r) throw new Error(`run ${r}: the same policy object is also run ${policies.indexOf(p)}; every run needs its own policy`);
  });
  return builder.build(policies);
}

/** The weights of every run stacked on a new leading axis, one variable per weight, in the runs' order (for population classes). */
export function stackVariables(policies: readonly Policy[]): tf.Variable[] {
  const perRun = policies.map((p) => p.trainableVariables());
  return perRun[0]!.map((_, j) => tf.tidy(() => tf.variable(tf.stack(perRun.map((vars) => vars[j]!)), true)));
}

/**
 * Copies run r's slice of every stacked variable into `policies[r]` (`setWeights`, with the weights'
 * `names` in variable order): the write-back of a population class. One read-back per variable.
 */
export function writeBackStacked(vars: readonly tf.Variable[], names: readonly string[], policies: readonly Policy[]): void {
  const data = vars.map((v) => v.dataSync() as Float32Array);
  policies.forEach((policy, r) => {
    policy.setWeights(
      vars.map((v, j) => {
        const shape = v.shape.slice(1);
        const size = shape.reduce((a, b) => a * b, 1);
        return { name: names[j]!, shape, values: Array.from(data[j]!.subarray(r * size, (r + 1) * size)) };
      }),
    );
  });
}

function positiveInt(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be an integer >= 1, got ${value}`);
}

/** A population of {@link CategoricalMLPPolicy} runs of one architecture. */
export class CategoricalMLPPopulation implements PolicyPopulation {
  readonly size: number;
  readonly policies: readonly CategoricalMLPPolicy[];
  readonly maxLength = 1;
  private readonly arch: CategoricalMLPArchitecture;
  private readonly groupIndex: Map<string, number>;
  private readonly vars: tf.Variable[];
  private readonly params: MLPParameters;
  private readonly frozen: boolean;
  /** The weights' names (`getWeights` order), read once. */
  private readonly names: string[];

  /** Stacks `policies` (their current weights); they must share one architecture (an error names the first run that differs). */
  constructor(policies: readonly CategoricalMLPPolicy[], stacked?: tf.Variable[]) {
    this.size = policies.length;
    this.policies = [...policies];
    this.arch = policies[0]!.architecture;
    const key = JSON.stringify(this.arch);
    policies.forEach((p, r) => {
      const other = JSON.stringify(p.architecture);
      if (other !== key) throw new Error(`run ${r}: its CategoricalMLPPolicy architecture ${other} differs from run 0's ${key}; a population needs one architecture`);
    });
    this.groupIndex = new Map(this.arch.groups.map((g, i) => [g, i]));
    this.frozen = stacked !== undefined;
    this.names = policies[0]!.getWeights().map((w) => w.name);
    this.vars = stacked ?? stackVariables(policies);
    // Variable order of CategoricalMLPPolicy: [embedding], then kernel and bias of each layer.
    const hasEmbedding = this.arch.embeddingDim > 0;
    const rest = hasEmbedding ? this.vars.slice(1) : this.vars;
    const layers: { w: tf.Tensor; b: tf.Tensor }[] = [];
    for (let l = 0; l < rest.length; l += 2) layers.push({ w: rest[l]!, b: rest[l + 1]! });
    this.params = { embedding: hasEmbedding ? this.vars[0]! : null, layers };
  }

  /** Tempered logits `[R, P, K]` of every run's contexts (call inside a tidy). */
  private logits(contexts: readonly PolicyContexts[], temperature: number): tf.Tensor3D {
    if (contexts.length !== this.size) throw new Error(`got contexts for ${contexts.length} runs, the population has ${this.size}`);
    if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`temperature must be a positive number, got ${temperature}`);
    const P = contexts[0]!.size;
    const F = this.arch.featureDim;
    const ids = new Int32Array(this.size * P);
    const features = new Float32Array(this.size * P * F);
    contexts.forEach((c, r) => {
      if (c.size !== P) throw new Error(`run ${r} has ${c.size} contexts, run 0 has ${P}; the runs of a population step together`);
      if (c.features.length !== P * F) throw new Error(`run ${r}: contexts.features has ${c.features.length} values, expected size * featureDim = ${P} * ${F}`);
      ids.set(contextGroupIds(this.groupIndex, c), r * P);
      features.set(c.features, r * P * F);
    });
    const x = F > 0 ? tf.tensor3d(features, [this.size, P, F], 'float32') : null;
    const logits = mlpLogits(this.arch, this.params, x, ids) as tf.Tensor3D;
    return temperature === 1 ? logits : tf.div<tf.Tensor3D>(logits, temperature);
  }

  /** Response probabilities of every run's contexts, `[R][P][K]` (one read-back): `policies[r].responseProbabilities(contexts[r])` for every r. */
  responseProbabilities(contexts: readonly PolicyContexts[], temperature = 1): number[][][] {
    const probs = tf.tidy(() => tf.exp(tf.logSoftmax(this.logits(contexts, temperature))));
    const flat = probs.dataSync();
    probs.dispose();
    const P = contexts[0]!.size;
    const K = this.arch.numResponses;
    return contexts.map((_, r) => Array.from({ length: P }, (_, p) => Array.from(flat.subarray((r * P + p) * K, (r * P + p + 1) * K))));
  }

  sample(contexts: readonly PolicyContexts[], perContext: number, temperature: number, rngs: readonly Rng[]): SampledResponses[] {
    positiveInt(perContext, 'perContext');
    if (rngs.length !== this.size) throw new Error(`got ${rngs.length} random streams for a population of ${this.size}`);
    const K = this.arch.numResponses;
    const logpTensor = tf.tidy(() => tf.logSoftmax(this.logits(contexts, temperature)));
    const logp = logpTensor.dataSync() as Float32Array;
    logpTensor.dispose();
    const P = contexts[0]!.size;
    return contexts.map((c, r) => drawResponses(logp, r * P * K, K, c, perContext, rngs[r]!, `CategoricalMLPPopulation.sample (run ${r})`));
  }

  evaluate(contexts: readonly PolicyContexts[], tokens: tf.Tensor3D, temperature: number, options: EvaluateOptions = {}): PopulationEvaluation {
    const [R, rows, length] = tokens.shape;
    if (tokens.dtype !== 'int32') throw new Error(`tokens must be an int32 tensor, got ${tokens.dtype}`);
    if (R !== this.size) throw new Error(`tokens has ${R} runs, the population has ${this.size}`);
    if (length !== 1) throw new Error(`a categorical policy scores responses of length 1, got tokens of shape [${tokens.shape}]`);
    const P = contexts[0]?.size ?? 0;
    if (P === 0 || rows % P !== 0) throw new Error(`tokens has ${rows} rows per run, not a multiple of the ${P} contexts`);
    const perContext = rows / P;
    const K = this.arch.numResponses;
    return tf.tidy(() => {
      // Rows of all runs laid end to end: the log-softmax and the pick work row by row, as for one run.
      const wantEntropy = options.entropy !== false;
      const logits = tf.reshape(this.logits(contexts, temperature), [R * P, K]) as tf.Tensor2D;
      const { picked, entropy } = logSoftmaxPick(logits, tf.reshape(tokens, [R * P, perContext]) as tf.Tensor2D, { entropy: wantEntropy });
      const logProbs = tf.reshape(picked, [R, rows, 1]) as tf.Tensor3D;
      if (!wantEntropy) return { logProbs };
      return { logProbs, entropy: tf.reshape(tf.tile(tf.expandDims(entropy!, 1), [1, perContext]), [R, rows, 1]) as tf.Tensor3D };
    });
  }

  trainableVariables(): tf.Variable[] {
    return [...this.vars];
  }

  writeBack(): void {
    if (this.frozen) throw new Error('CategoricalMLPPopulation.writeBack: a cloned population is frozen and never writes back');
    writeBackStacked(this.vars, this.names, this.policies);
  }

  clone(): CategoricalMLPPopulation {
    const copies = this.vars.map((v) => tf.tidy(() => tf.variable(v.clone(), false)));
    return new CategoricalMLPPopulation(this.policies, copies);
  }

  dispose(): void {
    this.vars.forEach((v) => v.dispose());
  }
}

registerPopulation(
  'CategoricalMLPPolicy',
  (p) => p instanceof CategoricalMLPPolicy,
  (policies) => new CategoricalMLPPopulation(policies as CategoricalMLPPolicy[]),
);
