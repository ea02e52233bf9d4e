/**
 * The policy interface shared by categorical (one-token) policies and, later, token-sequence
 * policies (a tiny language model).
 *
 * A response is a row of `T` token ids plus a padding mask; a categorical policy has `T = 1` and
 * its "token" is the chosen response. Rows are grouped by context: a batch of `P` contexts with
 * `G` responses each has `N = P * G` rows, and rows `p*G .. p*G+G-1` belong to context `p`.
 */
/*
 * Names for the number of possible responses (one name per concept):
 * - `vocabSize` on a {@link Policy}: how many distinct tokens it can emit. A categorical policy emits
 *   one token, its response, so there `vocabSize` is the number of responses; for the GRU language
 *   model it is the word vocabulary. It stays the Policy-level name because the trainer and the
 *   losses only ever see tokens.
 * - `numResponses` in code that builds a task or a one-token policy (camelCase: `CategoricalMLPPolicy`
 *   options, `Task.numResponses`, `ScoredTask.numResponses`); the trainer checks
 *   `task.numResponses === policy.vocabSize`.
 * - `num_responses` in snake_case option objects and data (data generators, study configurations,
 *   pairwise data, `LogLinearPolicy` options), which follow the configurations' TRL-style naming.
 *   (The group-robust paper says "action"; the kit calls it a response everywhere.)
 * Option objects are camelCase for architecture (`hiddenSize`, `maxLength`, `topK`) and snake_case
 * only for TRL-named training configurations (`GRPOConfig`).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../random';

/** A batch of `size` contexts (prompts) the policy conditions on. */
export interface PolicyContexts {
  /** Number of contexts. */
  size: number;
  /** Prompt features, row-major `[size, featureDim]` (empty when `featureDim` is 0). */
  features: Float32Array;
  /** Preference group of each context (length `size`). */
  groups: readonly string[];
}

/** Responses drawn by {@link Policy.sample}: row-major `[rows, length]` arrays. */
export interface SampledResponses {
  /** Number of rows `N` (contexts times responses per context). */
  rows: number;
  /** Tokens per row `T` (1 for a categorical policy). */
  length: number;
  /** Token ids; padding positions hold 0. */
  tokens: Int32Array;
  /** 1 for a real token, 0 for padding. */
  mask: Float32Array;
  /** Log-probability of each token under the sampling distribution (the "old" log-probs); 0 at padding. */
  logProbs: Float32Array;
}

/** Per-token log-probabilities and entropies of given responses (both `[N, T]`). */
export interface TokenEvaluation {
  /** Differentiable log-probability of each given token. */
  logProbs: tf.Tensor2D;
  /** Entropy of the policy's next-token distribution at each position; absent when not asked for. */
  entropy?: tf.Tensor2D;
}

/** Options of {@link Policy.evaluate}. */
export interface EvaluateOptions {
  /**
   * Whether to compute the entropies (default true). Callers that need only log-probs (a frozen
   * reference, supervised fitting) pass false: the entropy costs an exp and a reduction over the
   * whole vocabulary at every position.
   */
  entropy?: boolean;
}

/** One weight array as plain numbers, for JSON checkpoints. */
export interface WeightData {
  name: string;
  shape: number[];
  values: number[];
}

/** A stochastic policy that can be sampled, scored and trained. */
export interface Policy {
  /** Preference groups the policy knows (it has one embedding per group). */
  readonly groups: readonly string[];
  /** Length of a prompt's feature vector (may be 0). */
  readonly featureDim: number;
  /** Number of distinct tokens (responses, for a categorical policy); see the naming note at the top of this file. */
  readonly vocabSize: number;
  /** Maximum response length `T` (1 for a categorical policy). */
  readonly maxLength: number;

  /**
   * Draws `perContext` responses for each context at `temperature`, using `rng` only (the
   * probabilities are read from the device once per call), so equal seeds give equal samples.
   */
  sample(contexts: PolicyContexts, perContext: number, temperature: number, rng: Rng): SampledResponses;

  /**
   * Per-token log-probabilities (differentiable w.r.t. {@link Policy.trainableVariables}) and
   * entropies of the given responses. `tokens` is int32 `[N, T]` with `N` a multiple of
   * `contexts.size`, rows grouped by context as described in the module comment. Padding
   * positions get values too; callers mask them.
   */
  evaluate(contexts: PolicyContexts, tokens: tf.Tensor2D, temperature: number, options?: EvaluateOptions): TokenEvaluation;

  /** The variables an optimiser updates. */
  trainableVariables(): tf.Variable[];
  /** An independent copy with equal weights (e.g. the frozen reference policy). */
  clone(): Policy;
  /** The weights as plain arrays, in {@link Policy.trainableVariables} order. */
  getWeights(): WeightData[];
  /**
   * Restores weights returned by {@link Policy.getWeights}; names and shapes must match and every
   * value must be a finite float32 number. The kit's policies validate everything before writing
   * any variable (`checkWeightData`), so a refused call changes nothing.
   */
  setWeights(weights: readonly WeightData[]): void;
  /** Frees the policy's variables. */
  dispose(): void;
}
