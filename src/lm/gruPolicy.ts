/**
 * A tiny autoregressive GRU language model over a word vocabulary, conditioned on the preference
 * group (a learned group embedding) and optional prompt features. It implements the kit's
 * {@link Policy} for token sequences, so the one GRPOTrainer trains it unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import type { EvaluateOptions, Policy, PolicyContexts, SampledResponses, TokenEvaluation, WeightData } from '../policy/types';
import { dense } from '../nn/dense';
import { logSoftmaxPick } from '../nn/logSoftmaxPick';
import { assignData, glorotUniform, uniformValues, variablesToData } from '../policy/weights';
import { Rng } from '../random';
import { BOS_ID, EOS_ID, PAD_ID, WordVocabulary } from './vocabulary';

/** Options of {@link GRULanguagePolicy}. */
export interface GRULanguagePolicyOptions {
  /** The word vocabulary (ids 0, 1, 2 are pad, eos, bos). */
  vocabulary: WordVocabulary;
  /** Preference-group names; each gets its own embedding. */
  groups: readonly string[];
  /** Length of the prompt feature vector (default 0). */
  featureDim?: number;
  /** Token-embedding size (default 16). */
  embeddingDim?: number;
  /** Group-embedding size (default 8; 0 disables it, then `featureDim` must be positive). */
  groupEmbeddingDim?: number;
  /** GRU state size (default 48). */
  hiddenSize?: number;
  /** Maximum completion length in tokens, EOS included (default 40). */
  maxLength?: number;
  /** Sample only among the `topK` most likely tokens (default 0: no restriction; TRL's `topK`). */
  topK?: number;
  /** Seed of the weight initialisation (default 0). */
  seed?: number;
}

/** The architecture as plain JSON (everything but the vocabulary and the weights). */
export interface GRULanguagePolicyArchitecture {
  groups: string[];
  featureDim: number;
  embeddingDim: number;
  groupEmbeddingDim: number;
  hiddenSize: number;
  maxLength: number;
  topK: number;
}

function intAtLeast(value: number, name: string, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new Error(`GRULanguagePolicy: ${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

function checkOptions(o: GRULanguagePolicyOptions): GRULanguagePolicyArchitecture {
  if (!(o.vocabulary instanceof WordVocabulary)) throw new Error('GRULanguagePolicy: vocabulary must be a WordVocabulary');
  if (!Array.isArray(o.groups) || o.groups.length === 0) throw new Error('GRULanguagePolicy: groups must list at least one preference group');
  const dup = o.groups.find((g, i) => o.groups.indexOf(g) !== i);
  if (dup !== undefined) throw new Error(`GRULanguagePolicy: groups lists '${dup}' twice`);
  const arch: GRULanguagePolicyArchitecture = {
    groups: [...o.groups],
    featureDim: intAtLeast(o.featureDim ?? 0, 'featureDim', 0),
    embeddingDim: intAtLeast(o.embeddingDim ?? 16, 'embeddingDim', 1),
    groupEmbeddingDim: intAtLeast(o.groupEmbeddingDim ?? 8, 'groupEmbeddingDim', 0),
    hiddenSize: intAtLeast(o.hiddenSize ?? 48, 'hiddenSize', 1),
    maxLength: intAtLeast(o.maxLength ?? 40, 'maxLength', 1),
    topK: intAtLeast(o.topK ?? 0, 'topK', 0),
  };
  if (arch.featureDim + arch.groupEmbeddingDim === 0) {
    throw new Error('GRULanguagePolicy: featureDim + groupEmbeddingDim must be positive (the model needs a context to condition on)');
  }
  if (o.vocabulary.size < 4) throw new Error(`GRULanguagePolicy: the vocabulary has ${o.vocabulary.size} tokens; it needs at least one besides pad, eos, bos`);
  return arch;
}

/** Indices of the `k` largest entries of `row` (ties: lower index first), for top-k sampling. */
function topKIndices(row: Float32Array, k: number): number[] {
  const idx = Array.from(row.keys());
  idx.sort((a, b) => row[b]! - row[a]! || a - b);
  return idx.slice(0, k);
}

/**
 * GRU language policy. Per position `t` the input is the previous token's embedding (BOS at `t = 0`)
 * and the context vector `c = [group embedding, features]`; the initial state is `tanh(c W0 + b0)`;
 * the GRU (update gate z, reset gate r) gives `h_t`, and `logits_t = h_t Wo + bo` over the vocabulary,
 * with pad and bos forbidden. Weights are Glorot-uniform from the kit's {@link Rng}.
 *
 * A completion ends with EOS (a real token, mask 1); positions after it are padding (token 0,
 * mask 0). `sample` and `evaluate` compute each step with the same operations, so the log-probs a
 * sample reports equal those `evaluate` gives for it (up to float rounding).
 */
export class GRULanguagePolicy implements Policy {
  readonly groups: readonly string[];
  readonly featureDim: number;
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly vocabulary: WordVocabulary;
  /** Top-k restriction used by {@link GRULanguagePolicy.sample} (0: none); may be changed between calls. */
  topK: number;
  private readonly arch: GRULanguagePolicyArchitecture;
  private readonly groupIndex: Map<string, number>;
  private readonly vars: tf.Variable[] = [];
  private readonly names: string[] = [];
  private readonly w: {
    tokenEmbedding: tf.Variable;
    groupEmbedding: tf.Variable | null;
    initKernel: tf.Variable;
    initBias: tf.Variable;
    inputKernel: tf.Variable;
    contextKernel: tf.Variable;
    inputBias: tf.Variable;
    recurrentKernel: tf.Variable;
    recurrentBias: tf.Variable;
    outputKernel: tf.Variable;
    outputBias: tf.Variable;
  };
  /** 0 for generable tokens, -1e9 for pad and bos (added to the logits). */
  private readonly forbidden: tf.Tensor1D;

  constructor(options: GRULanguagePolicyOptions) {
    const arch = checkOptions(options);
    this.arch = arch;
    this.vocabulary = options.vocabulary;
    this.groups = arch.groups;
    this.featureDim = arch.featureDim;
    this.vocabSize = options.vocabulary.size;
    this.maxLength = arch.maxLength;
    this.topK = arch.topK;
    this.groupIndex = new Map(arch.groups.map((g, i) => [g, i]));
    const rng = new Rng(options.seed ?? 0, 'GRULanguagePolicy options.seed');
    const V = this.vocabSize;
    const { embeddingDim: D, groupEmbeddingDim: E, hiddenSize: H, featureDim: F } = arch;
    const C = E + F;
    const add = (name: string, values: Float32Array, shape: number[]) => {
      const v = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true));
      this.vars.push(v);
      this.names.push(name);
      return v;
    };
    this.w = {
      tokenEmbedding: add('token_embedding', uniformValues(rng, V * D, 0.1), [V, D]),
      groupEmbedding: E > 0 ? add('group_embedding', uniformValues(rng, arch.groups.length * E, 0.1), [arch.groups.length, E]) : null,
      initKernel: add('init/kernel', glorotUniform(rng, C, H), [C, H]),
      initBias: add('init/bias', new Float32Array(H), [H]),
      inputKernel: add('gru/input_kernel', glorotUniform(rng, D, 3 * H), [D, 3 * H]),
      contextKernel: add('gru/context_kernel', glorotUniform(rng, C, 3 * H), [C, 3 * H]),
      inputBias: add('gru/input_bias', new Float32Array(3 * H), [3 * H]),
      recurrentKernel: add('gru/recurrent_kernel', glorotUniform(rng, H, 3 * H), [H, 3 * H]),
      recurrentBias: add('gru/recurrent_bias', new Float32Array(3 * H), [3 * H]),
      outputKernel: add('output/kernel', glorotUniform(rng, H, V), [H, V]),
      outputBias: add('output/bias', new Float32Array(V), [V]),
    };
    const forbid = new Float32Array(V);
    forbid[PAD_ID] = -1e9;
    forbid[BOS_ID] = -1e9;
    this.forbidden = tf.tensor1d(forbid, 'float32');
  }

  /** The architecture, for checkpoints (see `languagePolicyToJSON`). */
  architecture(): GRULanguagePolicyArchitecture {
    return { ...this.arch, groups: [...this.arch.groups], topK: this.topK };
  }

  /** Context vector of every row `[rows, C]`; row i belongs to context floor(i / perContext). Call inside a tidy. */
  private contextRows(contexts: PolicyContexts, perContext: number): tf.Tensor2D {
    if (contexts.groups.length !== contexts.size) {
      throw new Error(`contexts.groups has ${contexts.groups.length} entries, expected contexts.size = ${contexts.size}`);
    }
    const F = this.featureDim;
    if (contexts.features.length !== contexts.size * F) {
      throw new Error(`contexts.features has ${contexts.features.length} values, expected size * featureDim = ${contexts.size} * ${F}`);
    }
    const rows = contexts.size * perContext;
    const ids = new Int32Array(rows);
    const feats = new Float32Array(rows * F);
    for (let p = 0; p < contexts.size; p++) {
      const id = this.groupIndex.get(contexts.groups[p]!);
      if (id === undefined) {
        throw new Error(`unknown preference group '${contexts.groups[p]}' (context ${p}); the policy knows: ${this.groups.join(', ')}`);
      }
      for (let g = 0; g < perContext; g++) {
        ids[p * perContext + g] = id;
        feats.set(contexts.features.subarray(p * F, (p + 1) * F), (p * perContext + g) * F);
      }
    }
    const parts: tf.Tensor2D[] = [];
    if (this.w.groupEmbedding !== null) {
      // One-hot times table, not tf.gather: gather's gradient has no wasm kernel.
      const oneHot = tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), this.groups.length), 'float32') as tf.Tensor2D;
      parts.push(dense(oneHot, this.w.groupEmbedding as tf.Tensor2D, null, { inputGradient: false }));
    }
    if (F > 0) parts.push(tf.tensor2d(feats, [rows, F], 'float32'));
    return parts.length === 1 ? parts[0]! : tf.concat(parts, 1);
  }

  /** Token embeddings `[n, D]` of int32 ids `[n]` (one-hot matmul). Call inside a tidy. */
  private embed(ids: tf.Tensor1D): tf.Tensor2D {
    const oneHot = tf.cast(tf.oneHot(ids, this.vocabSize), 'float32') as tf.Tensor2D;
    return dense(oneHot, this.w.tokenEmbedding as tf.Tensor2D, null, { inputGradient: false });
  }

  /** Initial state `[rows, H]` and the per-row context part of the gate inputs `[rows, 3H]`. Call inside a tidy. */
  private start(ctx: tf.Tensor2D): { h0: tf.Tensor2D; ctxGates: tf.Tensor2D } {
    // The context carries a gradient only through the group embedding; raw features are data.
    const inputGradient = this.w.groupEmbedding !== null;
    const h0 = dense(ctx, this.w.initKernel as tf.Tensor2D, this.w.initBias as tf.Tensor1D, { activation: 'tanh', inputGradient });
    const ctxGates = dense(ctx, this.w.contextKernel as tf.Tensor2D, this.w.inputBias as tf.Tensor1D, { inputGradient });
    return { h0, ctxGates };
  }

  /** One GRU step from gate inputs `x` `[rows, 3H]` and state `h` `[rows, H]`. Call inside a tidy. */
  private cell(x: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
    const H = this.arch.hiddenSize;
    const hg = dense(h, this.w.recurrentKernel as tf.Tensor2D, this.w.recurrentBias as tf.Tensor1D);
    const [xz, xr, xn] = tf.split(x, [H, H, H], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const [hz, hr, hn] = tf.split(hg, [H, H, H], 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const z = tf.sigmoid(tf.add(xz, hz));
    const r = tf.sigmoid(tf.add(xr, hr));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    // h' = (1 - z) n + z h
    return tf.add(n, tf.mul(z, tf.sub(h, n))) as tf.Tensor2D;
  }

  /** Log-probabilities `[rows, V]` of the next token at `temperature` from states `[rows, H]`. Call inside a tidy. */
  private nextLogProbs(h: tf.Tensor2D, temperature: number): tf.Tensor2D {
    return tf.logSoftmax(this.nextLogits(h, temperature));
  }

  /** Next-token logits `[rows, V]` divided by `temperature`, forbidden tokens pushed out. Call inside a tidy. */
  private nextLogits(h: tf.Tensor2D, temperature: number): tf.Tensor2D {
    const logits = tf.add(dense(h, this.w.outputKernel as tf.Tensor2D, this.w.outputBias as tf.Tensor1D), this.forbidden) as tf.Tensor2D;
    return temperature === 1 ? logits : tf.div<tf.Tensor2D>(logits, temperature);
  }

  /**
   * Samples `perContext` completions per context, token by token up to `maxLength`: one read-back
   * of the whole batch's next-token distribution per step, then one `rng` draw per unfinished row
   * (among the `topK` most likely tokens when `topK` > 0). A row ends at EOS; later positions are
   * padding. `length` is the longest row's length (at most `maxLength`).
   *
   * The reported log-probs are those of the tempered distribution *before* the top-k cut, which is
   * what `evaluate` computes (TRL likewise takes the old log-probs from a forward pass of the model
   * at the sampling temperature), so the first update's ratio is exactly 1. With `topK = 0` both coincide.
   */
  sample(contexts: PolicyContexts, perContext: number, temperature: number, rng: Rng): SampledResponses {
    intAtLeast(perContext, 'perContext', 1);
    if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`temperature must be a positive number, got ${temperature}`);
    const rows = contexts.size * perContext;
    const T = this.maxLength;
    const V = this.vocabSize;
    const tokens = new Int32Array(rows * T);
    const logProbs = new Float32Array(rows * T);
    const done = new Uint8Array(rows);
    const realLength = new Int32Array(rows);
    const prev = new Int32Array(rows).fill(BOS_ID);
    const { h0, ctxGates } = tf.tidy(() => this.start(this.contextRows(contexts, perContext)));
    let h = h0;
    let length = 0;
    const weights = new Float64Array(V);
    try {
      for (let t = 0; t < T; t++) {
        const next = tf.tidy(() => {
          const x = tf.add(dense(this.embed(tf.tensor1d(prev, 'int32')), this.w.inputKernel as tf.Tensor2D, null), ctxGates) as tf.Tensor2D;
          const hNew = this.cell(x, h);
          return { h: hNew, logp: this.nextLogProbs(hNew, temperature) };
        });
        h.dispose();
        h = next.h;
        const logp = next.logp.dataSync() as Float32Array;
        next.logp.dispose();
        length = t + 1;
        for (let i = 0; i < rows; i++) {
          if (done[i]) {
            prev[i] = PAD_ID;
            continue;
          }
          const row = logp.subarray(i * V, (i + 1) * V);
          if (this.topK === 0 || this.topK >= V) {
            for (let k = 0; k < V; k++) weights[k] = Math.exp(row[k]!);
          } else {
            weights.fill(0);
            for (const k of topKIndices(row, this.topK)) weights[k] = Math.exp(row[k]!);
          }
          const tok = rng.categorical(weights);
          tokens[i * T + t] = tok;
          logProbs[i * T + t] = row[tok]!;
          prev[i] = tok;
          if (tok === EOS_ID) {
            done[i] = 1;
            realLength[i] = t + 1;
          }
        }
        if (done.every((d) => d === 1)) break;
      }
    } finally {
      h.dispose();
      ctxGates.dispose();
    }
    // Trim to the longest row so that evaluation does not run over all-padding columns. A row is real
    // up to and including its EOS; a row that never sampled EOS is real up to maxLength (= length).
    const outTokens = new Int32Array(rows * length);
    const outLogProbs = new Float32Array(rows * length);
    const mask = new Float32Array(rows * length);
    for (let i = 0; i < rows; i++) {
      const end = done[i] ? realLength[i]! : length;
      for (let t = 0; t < end; t++) {
        outTokens[i * length + t] = tokens[i * T + t]!;
        outLogProbs[i * length + t] = logProbs[i * T + t]!;
        mask[i * length + t] = 1;
      }
    }
    return { rows, length, tokens: outTokens, mask, logProbs: outLogProbs };
  }

  /**
   * Teacher-forced per-token log-probs and entropies of `tokens` `[N, T]` (int32, `N` a multiple of
   * `contexts.size`, `T <= maxLength`). The input at position t is token t-1 (BOS at t = 0), so a
   * position's value depends only on earlier tokens: whatever sits in padding cannot change a real
   * position's value.
   */
  evaluate(contexts: PolicyContexts, tokens: tf.Tensor2D, temperature: number, options: EvaluateOptions = {}): TokenEvaluation {
    const [N, T] = tokens.shape;
    if (tokens.dtype !== 'int32') throw new Error(`tokens must be an int32 tensor, got ${tokens.dtype}`);
    if (T < 1 || T > this.maxLength) throw new Error(`tokens has length ${T}, expected 1..maxLength (${this.maxLength})`);
    if (contexts.size === 0 || N % contexts.size !== 0) throw new Error(`tokens has ${N} rows, not a multiple of the ${contexts.size} contexts`);
    if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`temperature must be a positive number, got ${temperature}`);
    const perContext = N / contexts.size;
    const H = this.arch.hiddenSize;
    return tf.tidy(() => {
      const { h0, ctxGates } = this.start(this.contextRows(contexts, perContext));
      // Step by step, as sampling does: the input at step t is token t-1 (BOS at t = 0). Each step
      // slices its [N] column of ids rather than unstacking precomputed [N, T, 3H] gate inputs:
      // slicing runs element by element on wasm, and the ids are 3H times smaller.
      const bos = tf.fill([N], BOS_ID, 'int32') as tf.Tensor1D;
      let h = h0;
      const states: tf.Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        const ids = t === 0 ? bos : (tf.reshape(tf.slice(tokens, [0, t - 1], [N, 1]), [N]) as tf.Tensor1D);
        const x = tf.add(dense(this.embed(ids), this.w.inputKernel as tf.Tensor2D, null), ctxGates) as tf.Tensor2D;
        h = this.cell(x, h);
        states.push(h);
      }
      const hs = tf.reshape(tf.stack(states, 1), [N * T, H]) as tf.Tensor2D;
      // One row per position, picking that position's own token. Forbidden tokens have p = 0
      // exactly, so p * logp is 0 there and the entropy stays finite.
      const wantEntropy = options.entropy !== false;
      const { picked, entropy } = logSoftmaxPick(this.nextLogits(hs, temperature), tf.reshape(tokens, [N * T, 1]) as tf.Tensor2D, { entropy: wantEntropy });
      const logProbs = tf.reshape(picked, [N, T]) as tf.Tensor2D;
      if (!wantEntropy) return { logProbs };
      return { logProbs, entropy: tf.reshape(entropy!, [N, T]) as tf.Tensor2D };
    });
  }

  trainableVariables(): tf.Variable[] {
    return [...this.vars];
  }

  clone(): GRULanguagePolicy {
    const copy = new GRULanguagePolicy({ ...this.architecture(), vocabulary: this.vocabulary });
    copy.vars.forEach((v, i) => v.assign(this.vars[i]!));
    return copy;
  }

  getWeights(): WeightData[] {
    return variablesToData(this.vars, this.names);
  }

  setWeights(weights: readonly WeightData[]): void {
    assignData(this.vars, this.names, weights, 'GRULanguagePolicy.setWeights');
  }

  dispose(): void {
    this.vars.forEach((v) => v.dispose());
    this.forbidden.dispose();
  }
}
