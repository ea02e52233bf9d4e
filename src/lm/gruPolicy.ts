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
  private readonly w: GRUParameters;
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
    // Created in the order of GRU_WEIGHTS (the order gruParameters reads them in).
    add('token_embedding', uniformValues(rng, V * D, 0.1), [V, D]);
    if (E > 0) add('group_embedding', uniformValues(rng, arch.groups.length * E, 0.1), [arch.groups.length, E]);
    add('init/kernel', glorotUniform(rng, C, H), [C, H]);
    add('init/bias', new Float32Array(H), [H]);
    add('gru/input_kernel', glorotUniform(rng, D, 3 * H), [D, 3 * H]);
    add('gru/context_kernel', glorotUniform(rng, C, 3 * H), [C, 3 * H]);
    add('gru/input_bias', new Float32Array(3 * H), [3 * H]);
    add('gru/recurrent_kernel', glorotUniform(rng, H, 3 * H), [H, 3 * H]);
    add('gru/recurrent_bias', new Float32Array(3 * H), [3 * H]);
    add('output/kernel', glorotUniform(rng, H, V), [H, V]);
    add('output/bias', new Float32Array(V), [V]);
    this.w = gruParameters(this.vars, E > 0);
    this.forbidden = forbiddenTokens(V);
  }

  /** The architecture, for checkpoints (see `languagePolicyToJSON`). */
  architecture(): GRULanguagePolicyArchitecture {
    return { ...this.arch, groups: [...this.arch.groups], topK: this.topK };
  }

  /** Context vector of every row `[rows, C]`; row i belongs to context floor(i / perContext). Call inside a tidy. */
  private contextRows(contexts: PolicyContexts, perContext: number): tf.Tensor2D {
    const { ids, features } = contextRowData(this.groupIndex, this.featureDim, contexts, perContext);
    return gruContext(this.w, this.groups.length, ids, features, this.featureDim) as tf.Tensor2D;
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
    const draws = new TokenDraws(rows, this.maxLength, this.vocabSize);
    const { h0, ctxGates } = tf.tidy(() => gruStart(this.w, this.contextRows(contexts, perContext)));
    let h = h0;
    try {
      for (let t = 0; t < this.maxLength; t++) {
        const next = tf.tidy(() => {
          const hNew = gruCell(this.w, gruInput(this.w, this.vocabSize, tf.tensor1d(draws.prev, 'int32'), ctxGates), h);
          return { h: hNew, logp: gruNextLogProbs(this.w, hNew, this.forbidden, temperature) };
        });
        h.dispose();
        h = next.h;
        const logp = next.logp.dataSync() as Float32Array;
        next.logp.dispose();
        if (!draws.draw(logp, 0, t, this.topK, rng)) break;
      }
    } finally {
      h.dispose();
      ctxGates.dispose();
    }
    return draws.responses(draws.steps);
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
    return tf.tidy(() => {
      const { picked, entropy } = gruTokenLogProbs(this.w, this.vocabSize, this.forbidden, this.contextRows(contexts, perContext), tokens, temperature, options.entropy !== false);
      return entropy === undefined ? { logProbs: picked as tf.Tensor2D } : { logProbs: picked as tf.Tensor2D, entropy: entropy as tf.Tensor2D };
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

/*
 * The GRU's computation, shared by the single policy and a population of them
 * (src/lm/gruPopulation.ts). Every function takes the weights as {@link GRUParameters}: one run's
 * (kernels `[in, out]`, activations `[rows, ...]`) or a population's (stacked on a leading run axis
 * R: kernels `[R, in, out]`, activations `[R, rows, ...]`). Products go through the rank-generic
 * `dense`, gates are elementwise, and row-wise operations (log-softmax, pick, entropy) run on the
 * rows of all runs laid end to end, so a run's slice gets the same bits as its single policy.
 */

/** The weights of {@link GRULanguagePolicy}, in the order of its `trainableVariables()`. */
export interface GRUParameters {
  tokenEmbedding: tf.Tensor;
  groupEmbedding: tf.Tensor | null;
  initKernel: tf.Tensor;
  initBias: tf.Tensor;
  inputKernel: tf.Tensor;
  contextKernel: tf.Tensor;
  inputBias: tf.Tensor;
  recurrentKernel: tf.Tensor;
  recurrentBias: tf.Tensor;
  outputKernel: tf.Tensor;
  outputBias: tf.Tensor;
}

/** Names of {@link GRUParameters} in variable order (`groupEmbedding` only when the policy has one). */
const GRU_WEIGHTS = [
  'tokenEmbedding',
  'groupEmbedding',
  'initKernel',
  'initBias',
  'inputKernel',
  'contextKernel',
  'inputBias',
  'recurrentKernel',
  'recurrentBias',
  'outputKernel',
  'outputBias',
] as const;

/** The weights by name from variables in `trainableVariables()` order (one run's, or the stacked ones of a population). */
export function gruParameters<T extends tf.Tensor>(vars: readonly T[], hasGroupEmbedding: boolean): GRUParameters {
  const names = GRU_WEIGHTS.filter((n) => hasGroupEmbedding || n !== 'groupEmbedding');
  if (vars.length !== names.length) throw new Error(`gruParameters: expected ${names.length} weights, got ${vars.length}`);
  const params: Record<string, tf.Tensor | null> = { groupEmbedding: null };
  names.forEach((n, i) => (params[n] = vars[i]!));
  return params as unknown as GRUParameters;
}

/** The additive mask of the next-token logits `[V]`: 0 for generable tokens, -1e9 for pad and bos. */
export function forbiddenTokens(vocabSize: number): tf.Tensor1D {
  const forbid = new Float32Array(vocabSize);
  forbid[PAD_ID] = -1e9;
  forbid[BOS_ID] = -1e9;
  return tf.tensor1d(forbid, 'float32');
}

/** Number of runs R of stacked parameters, or null for one run's. */
function runsOf(params: GRUParameters): number | null {
  return params.initKernel.rank === 3 ? params.initKernel.shape[0]! : null;
}

/** `[R * n, k]` as `[R, n, k]` for stacked parameters; unchanged for one run's. */
function perRun(x: tf.Tensor, runs: number | null): tf.Tensor {
  return runs === null ? x : tf.reshape(x, [runs, -1, x.shape[x.rank - 1]!]);
}

/**
 * The group id and features of every row, row i belonging to context floor(i / perContext); an
 * unknown group or a wrong number of features is an error naming it.
 */
export function contextRowData(
  groupIndex: ReadonlyMap<string, number>,
  featureDim: number,
  contexts: PolicyContexts,
  perContext: number,
): { ids: Int32Array; features: Float32Array } {
  if (contexts.groups.length !== contexts.size) {
    throw new Error(`contexts.groups has ${contexts.groups.length} entries, expected contexts.size = ${contexts.size}`);
  }
  const F = featureDim;
  if (contexts.features.length !== contexts.size * F) {
    throw new Error(`contexts.features has ${contexts.features.length} values, expected size * featureDim = ${contexts.size} * ${F}`);
  }
  const rows = contexts.size * perContext;
  const ids = new Int32Array(rows);
  const features = new Float32Array(rows * F);
  for (let p = 0; p < contexts.size; p++) {
    const id = groupIndex.get(contexts.groups[p]!);
    if (id === undefined) {
      throw new Error(`unknown preference group '${contexts.groups[p]}' (context ${p}); the policy knows: ${[...groupIndex.keys()].join(', ')}`);
    }
    for (let g = 0; g < perContext; g++) {
      ids[p * perContext + g] = id;
      features.set(contexts.features.subarray(p * F, (p + 1) * F), (p * perContext + g) * F);
    }
  }
  return { ids, features };
}

/**
 * Context vectors `[rows, C]` (`[R, rows, C]`), `C = [group embedding, features]`, from the rows'
 * group ids and features (run-major for a population). Call inside a tidy.
 */
export function gruContext(params: GRUParameters, numGroups: number, ids: Int32Array, features: Float32Array, featureDim: number): tf.Tensor {
  const runs = runsOf(params);
  const rows = ids.length / (runs ?? 1);
  const parts: tf.Tensor[] = [];
  if (params.groupEmbedding !== null) {
    // One-hot times table, not tf.gather: gather's gradient has no wasm kernel.
    const oneHot = perRun(tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), numGroups), 'float32'), runs);
    parts.push(dense(oneHot as tf.Tensor2D, params.groupEmbedding as tf.Tensor2D, null, { inputGradient: false }));
  }
  if (featureDim > 0) parts.push(tf.tensor(features, runs === null ? [rows, featureDim] : [runs, rows, featureDim], 'float32'));
  return parts.length === 1 ? parts[0]! : tf.concat(parts, -1);
}

/** Initial state `[rows, H]` and the per-row context part of the gate inputs `[rows, 3H]` (or with a run axis). Call inside a tidy. */
export function gruStart(params: GRUParameters, ctx: tf.Tensor): { h0: tf.Tensor; ctxGates: tf.Tensor } {
  // The context carries a gradient only through the group embedding; raw features are data.
  const inputGradient = params.groupEmbedding !== null;
  const h0 = dense(ctx as tf.Tensor2D, params.initKernel as tf.Tensor2D, params.initBias as tf.Tensor1D, { activation: 'tanh', inputGradient });
  const ctxGates = dense(ctx as tf.Tensor2D, params.contextKernel as tf.Tensor2D, params.inputBias as tf.Tensor1D, { inputGradient });
  return { h0, ctxGates };
}

/** Gate inputs `[rows, 3H]` (`[R, rows, 3H]`) of int32 token ids `[rows]` (`[R * rows]`, run-major): their embedding (one-hot product) through the input kernel, plus the context part. Call inside a tidy. */
export function gruInput(params: GRUParameters, vocabSize: number, ids: tf.Tensor1D, ctxGates: tf.Tensor): tf.Tensor {
  const oneHot = perRun(tf.cast(tf.oneHot(ids, vocabSize), 'float32'), runsOf(params));
  const embedded = dense(oneHot as tf.Tensor2D, params.tokenEmbedding as tf.Tensor2D, null, { inputGradient: false });
  return tf.add(dense(embedded, params.inputKernel as tf.Tensor2D, null), ctxGates);
}

/** One GRU step from gate inputs `x` `[rows, 3H]` and state `h` `[rows, H]` (or with a run axis). Call inside a tidy. */
export function gruCell(params: GRUParameters, x: tf.Tensor, h: tf.Tensor): tf.Tensor {
  const axis = h.rank - 1;
  const H = h.shape[axis]!;
  const hg = dense(h as tf.Tensor2D, params.recurrentKernel as tf.Tensor2D, params.recurrentBias as tf.Tensor1D);
  const [xz, xr, xn] = tf.split(x, [H, H, H], axis);
  const [hz, hr, hn] = tf.split(hg, [H, H, H], axis);
  const z = tf.sigmoid(tf.add(xz!, hz!));
  const r = tf.sigmoid(tf.add(xr!, hr!));
  const n = tf.tanh(tf.add(xn!, tf.mul(r, hn!)));
  // h' = (1 - z) n + z h
  return tf.add(n, tf.mul(z, tf.sub(h, n)));
}

/** Next-token logits `[rows, V]` (`[R, rows, V]`) from states, divided by `temperature`, forbidden tokens pushed out. Call inside a tidy. */
export function gruLogits(params: GRUParameters, h: tf.Tensor, forbidden: tf.Tensor1D, temperature: number): tf.Tensor {
  const logits = tf.add(dense(h as tf.Tensor2D, params.outputKernel as tf.Tensor2D, params.outputBias as tf.Tensor1D), forbidden);
  return temperature === 1 ? logits : tf.div(logits, temperature);
}

/** Next-token log-probabilities `[rows, V]`, or `[R * rows, V]` (all runs' rows end to end), from states. Call inside a tidy. */
export function gruNextLogProbs(params: GRUParameters, h: tf.Tensor, forbidden: tf.Tensor1D, temperature: number): tf.Tensor2D {
  const logits = gruLogits(params, h, forbidden, temperature);
  return tf.logSoftmax(logits.rank === 2 ? (logits as tf.Tensor2D) : (tf.reshape(logits, [-1, logits.shape[2]!]) as tf.Tensor2D));
}

/**
 * Teacher-forced log-probabilities (and entropies) of int32 `tokens` `[N, T]` (`[R, N, T]`), shaped
 * as `tokens`, from the rows' context vectors `ctx` `[N, C]` (`[R, N, C]`). The input at position t
 * is token t-1 (BOS at t = 0), so a position's value depends only on earlier tokens. Call inside a tidy.
 */
export function gruTokenLogProbs(
  params: GRUParameters,
  vocabSize: number,
  forbidden: tf.Tensor1D,
  ctx: tf.Tensor,
  tokens: tf.Tensor,
  temperature: number,
  wantEntropy: boolean,
): { picked: tf.Tensor; entropy?: tf.Tensor } {
  const lead = tokens.shape.slice(0, -1); // [N] or [R, N]
  const T = tokens.shape[tokens.rank - 1]!;
  const rows = lead.reduce((a, b) => a * b, 1); // all runs' rows
  const { h0, ctxGates } = gruStart(params, ctx);
  // Step by step, as sampling does: the input at step t is token t-1 (BOS at t = 0). Each step
  // slices its column of ids rather than unstacking precomputed [N, T, 3H] gate inputs:
  // slicing runs element by element on wasm, and the ids are 3H times smaller.
  const bos = tf.fill([rows], BOS_ID, 'int32') as tf.Tensor1D;
  let h = h0;
  const states: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const ids = t === 0 ? bos : (tf.reshape(tf.slice(tokens, [...lead.map(() => 0), t - 1], [...lead, 1]), [rows]) as tf.Tensor1D);
    h = gruCell(params, gruInput(params, vocabSize, ids, ctxGates), h);
    states.push(h);
  }
  const H = h.shape[h.rank - 1]!;
  const hs = tf.stack(states, h.rank - 1); // [N, T, H] or [R, N, T, H]
  const logits = gruLogits(params, tf.reshape(hs, lead.length === 1 ? [rows * T, H] : [lead[0]!, lead[1]! * T, H]), forbidden, temperature);
  // One row per position (all runs' rows end to end), picking that position's own token. Forbidden
  // tokens have p = 0 exactly, so p * logp is 0 there and the entropy stays finite.
  const out = logSoftmaxPick(tf.reshape(logits, [rows * T, vocabSize]) as tf.Tensor2D, tf.reshape(tokens, [rows * T, 1]) as tf.Tensor2D, { entropy: wantEntropy });
  const picked = tf.reshape(out.picked, tokens.shape);
  return out.entropy === undefined ? { picked } : { picked, entropy: tf.reshape(out.entropy, tokens.shape) };
}

/**
 * The JS side of autoregressive sampling for `rows` rows of at most `maxLength` tokens: after each
 * step's read-back of the next-token log-probabilities, {@link TokenDraws.draw} draws one token per
 * unfinished row with the run's `rng` (among the `topK` most likely when `topK` > 0); a row ends at
 * EOS. Used by {@link GRULanguagePolicy.sample} and, one per run, by the population's sampling, so
 * both draw exactly alike.
 */
export class TokenDraws {
  /** Input token of each row at the next step (BOS first; PAD once the row has ended). */
  readonly prev: Int32Array;
  /** Steps drawn so far (the length of the longest row). */
  steps = 0;
  private readonly tokens: Int32Array;
  private readonly logProbs: Float32Array;
  private readonly done: Uint8Array;
  private readonly realLength: Int32Array;
  private readonly weights: Float64Array;

  constructor(
    readonly rows: number,
    readonly maxLength: number,
    private readonly vocabSize: number,
  ) {
    this.tokens = new Int32Array(rows * maxLength);
    this.logProbs = new Float32Array(rows * maxLength);
    this.done = new Uint8Array(rows);
    this.realLength = new Int32Array(rows);
    this.prev = new Int32Array(rows).fill(BOS_ID);
    this.weights = new Float64Array(vocabSize);
  }

  /**
   * Step `t`: draws the next token of every unfinished row from `logp[offset + i * V + k]` (row i's
   * log-probabilities, read back from the device). Returns whether some row is still unfinished.
   */
  draw(logp: Float32Array, offset: number, t: number, topK: number, rng: Rng): boolean {
    const { rows, maxLength: T, vocabSize: V, weights, done, prev } = this;
    this.steps = t + 1;
    for (let i = 0; i < rows; i++) {
      if (done[i]) {
        prev[i] = PAD_ID;
        continue;
      }
      const row = logp.subarray(offset + i * V, offset + (i + 1) * V);
      if (topK === 0 || topK >= V) {
        for (let k = 0; k < V; k++) weights[k] = Math.exp(row[k]!);
      } else {
        weights.fill(0);
        for (const k of topKIndices(row, topK)) weights[k] = Math.exp(row[k]!);
      }
      const tok = rng.categorical(weights);
      this.tokens[i * T + t] = tok;
      this.logProbs[i * T + t] = row[tok]!;
      prev[i] = tok;
      if (tok === EOS_ID) {
        done[i] = 1;
        this.realLength[i] = t + 1;
      }
    }
    return !done.every((d) => d === 1);
  }

  /**
   * The drawn responses, `width` tokens per row (at least {@link TokenDraws.steps}; more pads
   * every row with token 0, mask 0, log-prob 0). A row is real up to and including its EOS; a row
   * that never sampled EOS is real up to the steps drawn.
   */
  responses(width: number): SampledResponses {
    const { rows, maxLength: T } = this;
    if (width < this.steps || width > T) throw new Error(`TokenDraws.responses: width ${width} outside [${this.steps}, ${T}]`);
    const tokens = new Int32Array(rows * width);
    const logProbs = new Float32Array(rows * width);
    const mask = new Float32Array(rows * width);
    for (let i = 0; i < rows; i++) {
      const end = this.done[i] ? this.realLength[i]! : this.steps;
      for (let t = 0; t < end; t++) {
        tokens[i * width + t] = this.tokens[i * T + t]!;
        logProbs[i * width + t] = this.logProbs[i * T + t]!;
        mask[i * width + t] = 1;
      }
    }
    return { rows, length: width, tokens, mask, logProbs };
  }
}
