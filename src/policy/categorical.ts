/**
 * A categorical policy over K responses, conditioned on prompt features and a learned
 * preference-group embedding through a small MLP.
 */
import * as tf from '@tensorflow/tfjs';
import { dense } from '../nn/dense';
import { logSoftmaxPick } from '../nn/logSoftmaxPick';
import { Rng } from '../random';
import type { EvaluateOptions, Policy, PolicyContexts, SampledResponses, TokenEvaluation, WeightData } from './types';
import { assignData, glorotUniform, uniformValues, variablesToData } from './weights';

/** Options of {@link CategoricalMLPPolicy}. */
export interface CategoricalMLPOptions {
  /** Number of responses K (at least 2). */
  numResponses: number;
  /** Preference-group names; each gets its own embedding. */
  groups: readonly string[];
  /** Length of the prompt feature vector F (default 0: the group embedding is the only input). */
  featureDim?: number;
  /** Group-embedding size E (default 8; 0 disables the embedding, then F must be positive). */
  embeddingDim?: number;
  /** Hidden-layer sizes (default `[32]`: one hidden layer; `[]` gives a linear policy). */
  hiddenSizes?: readonly number[];
  /** Hidden activation (default `relu`). */
  activation?: 'relu' | 'tanh';
  /** Seed of the weight initialisation (default 0). */
  seed?: number;
}

/** The architecture of a {@link CategoricalMLPPolicy} (its options after defaults). */
export interface CategoricalMLPArchitecture {
  numResponses: number;
  groups: string[];
  featureDim: number;
  embeddingDim: number;
  hiddenSizes: number[];
  activation: 'relu' | 'tanh';
}

function positiveInt(value: number, name: string, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

function checkCategoricalMLPArchitecture(opts: CategoricalMLPOptions): CategoricalMLPArchitecture {
  const numResponses = positiveInt(opts.numResponses, 'numResponses', 2);
  const featureDim = positiveInt(opts.featureDim ?? 0, 'featureDim', 0);
  const embeddingDim = positiveInt(opts.embeddingDim ?? 8, 'embeddingDim', 0);
  const hiddenSizes = [...(opts.hiddenSizes ?? [32])];
  hiddenSizes.forEach((h, i) => positiveInt(h, `hiddenSizes[${i}]`, 1));
  if (!Array.isArray(opts.groups) || opts.groups.length === 0) throw new Error('groups must list at least one preference group');
  const groups = [...opts.groups];
  const dup = groups.find((g, i) => groups.indexOf(g) !== i);
  if (dup !== undefined) throw new Error(`groups lists '${dup}' twice`);
  if (featureDim + embeddingDim === 0) throw new Error('featureDim + embeddingDim must be positive (the MLP needs an input)');
  const activation = opts.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'tanh') throw new Error(`activation must be 'relu' or 'tanh', got '${activation}'`);
  return { numResponses, groups, featureDim, embeddingDim, hiddenSizes, activation };
}

/**
 * Categorical MLP policy: `logits = MLP([features, embedding[group]])`, one "token" per response.
 *
 * Weights are Glorot-uniform (embeddings U(-0.05, 0.05), biases 0), drawn from the kit's {@link Rng}
 * so that a seed fixes the initial policy on every backend.
 */
export class CategoricalMLPPolicy implements Policy {
  readonly groups: readonly string[];
  readonly featureDim: number;
  readonly vocabSize: number;
  readonly maxLength = 1;
  private readonly arch: CategoricalMLPArchitecture;
  private readonly groupIndex: Map<string, number>;
  private readonly vars: tf.Variable[];
  private readonly names: string[];
  /** Layer weights and biases, input to output. */
  private readonly layers: { w: tf.Variable; b: tf.Variable }[];
  private readonly embedding: tf.Variable | null;

  constructor(options: CategoricalMLPOptions) {
    const arch = checkCategoricalMLPArchitecture(options);
    this.arch = arch;
    this.groups = arch.groups;
    this.featureDim = arch.featureDim;
    this.vocabSize = arch.numResponses;
    this.groupIndex = new Map(arch.groups.map((g, i) => [g, i]));
    const rng = new Rng(options.seed ?? 0, 'CategoricalMLPPolicy options.seed');
    this.vars = [];
    this.names = [];
    const add = (name: string, values: Float32Array, shape: number[]) => {
      // tidy frees the initial tensor; the variable keeps its own reference to the data.
      const v = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true));
      this.vars.push(v);
      this.names.push(name);
      return v;
    };
    this.embedding =
      arch.embeddingDim > 0
        ? add('embedding', uniformValues(rng, arch.groups.length * arch.embeddingDim, 0.05), [arch.groups.length, arch.embeddingDim])
        : null;
    const sizes = [arch.featureDim + arch.embeddingDim, ...arch.hiddenSizes, arch.numResponses];
    this.layers = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fanIn = sizes[l]!;
      const fanOut = sizes[l + 1]!;
      const w = add(`dense${l}/kernel`, glorotUniform(rng, fanIn, fanOut), [fanIn, fanOut]);
      const b = add(`dense${l}/bias`, new Float32Array(fanOut), [fanOut]);
      this.layers.push({ w, b });
    }
  }

  private checkFeatures(contexts: PolicyContexts): void {
    if (contexts.features.length !== contexts.size * this.featureDim) {
      throw new Error(
        `contexts.features has ${contexts.features.length} values, expected size * featureDim = ${contexts.size} * ${this.featureDim}`,
      );
    }
  }

  /** Logits `[P, K]` at temperature 1 for a batch of contexts (call inside a tidy). */
  private logits(contexts: PolicyContexts): tf.Tensor2D {
    this.checkFeatures(contexts);
    const features = this.featureDim > 0 ? tf.tensor2d(contexts.features, [contexts.size, this.featureDim], 'float32') : null;
    return mlpLogits(this.arch, this.parameters(), features, contextGroupIds(this.groupIndex, contexts)) as tf.Tensor2D;
  }

  /** The weights as the tensors {@link mlpLogits} takes. */
  private parameters(): MLPParameters {
    return { embedding: this.embedding, layers: this.layers };
  }

  /** Logits `[P, K]` divided by `temperature` (call inside a tidy). */
  private temperedLogits(contexts: PolicyContexts, temperature: number): tf.Tensor2D {
    if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`temperature must be a positive number, got ${temperature}`);
    const logits = this.logits(contexts);
    return temperature === 1 ? logits : tf.div<tf.Tensor2D>(logits, temperature);
  }

  /** Log-probabilities `[P, K]` of the responses at `temperature` (call inside a tidy). */
  private logProbsAt(contexts: PolicyContexts, temperature: number): tf.Tensor2D {
    return tf.logSoftmax(this.temperedLogits(contexts, temperature));
  }

  /** Response probabilities per context, as plain arrays `[P][K]` (one read-back; for analysis and figures). */
  responseProbabilities(contexts: PolicyContexts, temperature = 1): number[][] {
    const probs = tf.tidy(() => tf.exp(this.logProbsAt(contexts, temperature)));
    const flat = probs.dataSync();
    probs.dispose();
    const K = this.vocabSize;
    return Array.from({ length: contexts.size }, (_, p) => Array.from(flat.subarray(p * K, (p + 1) * K)));
  }

  sample(contexts: PolicyContexts, perContext: number, temperature: number, rng: Rng): SampledResponses {
    positiveInt(perContext, 'perContext', 1);
    const K = this.vocabSize;
    // Read back outside the tidy: a tidy walks every element of a returned typed array looking for tensors.
    const logpTensor = tf.tidy(() => this.logProbsAt(contexts, temperature));
    const logp = logpTensor.dataSync() as Float32Array;
    logpTensor.dispose();
    return drawResponses(logp, 0, K, contexts, perContext, rng, 'CategoricalMLPPolicy.sample');
  }

  evaluate(contexts: PolicyContexts, tokens: tf.Tensor2D, temperature: number, options: EvaluateOptions = {}): TokenEvaluation {
    const [rows, length] = tokens.shape;
    if (tokens.dtype !== 'int32') throw new Error(`tokens must be an int32 tensor, got ${tokens.dtype}`);
    if (length !== 1) throw new Error(`a categorical policy scores responses of length 1, got tokens of shape [${tokens.shape}]`);
    if (contexts.size === 0 || rows % contexts.size !== 0) {
      throw new Error(`tokens has ${rows} rows, not a multiple of the ${contexts.size} contexts`);
    }
    const perContext = rows / contexts.size;
    return tf.tidy(() => {
      // Each row's token read from its context's log-probs (one gather; no [N, K] table is formed).
      const wantEntropy = options.entropy !== false;
      const { picked, entropy } = logSoftmaxPick(this.temperedLogits(contexts, temperature), tf.reshape(tokens, [contexts.size, perContext]) as tf.Tensor2D, {
        entropy: wantEntropy,
      }); // [P, G], [P]
      const logProbs = tf.reshape(picked, [rows, 1]) as tf.Tensor2D;
      if (!wantEntropy) return { logProbs };
      return { logProbs, entropy: tf.reshape(tf.tile(tf.expandDims(entropy!, 1), [1, perContext]), [rows, 1]) as tf.Tensor2D };
    });
  }

  trainableVariables(): tf.Variable[] {
    return [...this.vars];
  }

  /** The architecture (options after defaults; a copy), e.g. to check that policies can be stacked into a population. */
  get architecture(): CategoricalMLPArchitecture {
    return { ...this.arch, groups: [...this.arch.groups], hiddenSizes: [...this.arch.hiddenSizes] };
  }

  clone(): CategoricalMLPPolicy {
    const copy = new CategoricalMLPPolicy({ ...this.arch });
    copy.vars.forEach((v, i) => v.assign(this.vars[i]!));
    return copy;
  }

  getWeights(): WeightData[] {
    return variablesToData(this.vars, this.names);
  }

  setWeights(weights: readonly WeightData[]): void {
    assignData(this.vars, this.names, weights, 'CategoricalMLPPolicy.setWeights');
  }

  dispose(): void {
    this.vars.forEach((v) => v.dispose());
  }
}

/** The weights {@link mlpLogits} reads: one run's (2-D kernels) or a population's (stacked, leading run axis). */
export interface MLPParameters {
  embedding: tf.Tensor | null;
  layers: readonly { w: tf.Tensor; b: tf.Tensor }[];
}

/**
 * The MLP's logits: `MLP([features, embedding[group]])`. One run: `features` `[P, F]`, kernels
 * `[in, out]`, logits `[P, K]`. A population of R runs: `features` `[R, P, F]`, stacked weights
 * `[R, ...]`, `groupIds` of length `R * P` (run-major), logits `[R, P, K]`; each run's slice is
 * computed as its single policy computes it (the one definition for both; call inside a tidy).
 */
export function mlpLogits(arch: CategoricalMLPArchitecture, params: MLPParameters, features: tf.Tensor | null, groupIds: Int32Array): tf.Tensor {
  const runs = params.embedding !== null ? params.embedding.rank === 3 : params.layers[0]!.w.rank === 3;
  const parts: tf.Tensor[] = [];
  if (features !== null) parts.push(features);
  if (params.embedding !== null) {
    // One-hot times table instead of tf.gather: gather's gradient (UnsortedSegmentSum) has no wasm kernel.
    // Through dense (no bias, no gradient into the one-hot data): its products are exact per run for a population.
    let oneHot = tf.cast(tf.oneHot(tf.tensor1d(groupIds, 'int32'), arch.groups.length), 'float32');
    if (runs) oneHot = tf.reshape(oneHot, [params.embedding.shape[0]!, -1, arch.groups.length]);
    parts.push(dense(oneHot as tf.Tensor2D, params.embedding as tf.Tensor2D, null, { inputGradient: false }));
  }
  let h = parts.length === 1 ? parts[0]! : tf.concat(parts, -1);
  params.layers.forEach(({ w, b }, l) => {
    const activation = l + 1 < params.layers.length ? arch.activation : 'linear';
    // Raw features feed the first layer only when there is no embedding: then nothing upstream
    // trains, and the layer can skip the gradient product into its input.
    const inputGradient = !(l === 0 && params.embedding === null);
    h = dense(h as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D, { activation, inputGradient });
  });
  return h;
}

/** Index of each context's preference group; unknown groups are an error naming the group. */
export function contextGroupIds(groupIndex: ReadonlyMap<string, number>, contexts: PolicyContexts): Int32Array {
  const ids = new Int32Array(contexts.size);
  if (contexts.groups.length !== contexts.size) {
    throw new Error(`contexts.groups has ${contexts.groups.length} entries, expected contexts.size = ${contexts.size}`);
  }
  for (let i = 0; i < contexts.size; i++) {
    const id = groupIndex.get(contexts.groups[i]!);
    if (id === undefined) {
      throw new Error(`unknown preference group '${contexts.groups[i]}' (context ${i}); the policy knows: ${[...groupIndex.keys()].join(', ')}`);
    }
    ids[i] = id;
  }
  return ids;
}

/**
 * Draws `perContext` responses per context from log-probabilities read back from the device
 * (`logp[offset + p * K + k]`), with `rng` only: the sampling of {@link CategoricalMLPPolicy.sample},
 * shared with the population, which reads all runs' log-probabilities at once.
 */
export function drawResponses(
  logp: Float32Array,
  offset: number,
  K: number,
  contexts: PolicyContexts,
  perContext: number,
  rng: Rng,
  caller: string,
): SampledResponses {
  const rows = contexts.size * perContext;
  const tokens = new Int32Array(rows);
  const logProbs = new Float32Array(rows);
  const probs = new Float64Array(K);
  for (let p = 0; p < contexts.size; p++) {
    const base = offset + p * K;
    for (let k = 0; k < K; k++) probs[k] = Math.exp(logp[base + k]!);
    for (let g = 0; g < perContext; g++) {
      let token: number;
      try {
        token = rng.categorical(probs);
      } catch {
        throw new Error(
          `${caller}: the response probabilities of context ${p} (group '${contexts.groups[p]}') are ` +
            `[${Array.from(probs).join(', ')}], not a distribution: the policy's weights or logits overflowed (too large a learning_rate?)`,
        );
      }
      tokens[p * perContext + g] = token;
      logProbs[p * perContext + g] = logp[base + token]!;
    }
  }
  return { rows, length: 1, tokens, mask: new Float32Array(rows).fill(1), logProbs };
}
