/**
 * A population of {@link GRULanguagePolicy} runs (see src/policy/population.ts): R GRU language
 * models of one architecture and vocabulary, their weights stacked on a leading run axis, sampled
 * and evaluated as one batched computation.
 *
 * The computation is the single policy's own (the shared `gruContext`, `gruStart`, `gruInput`,
 * `gruCell`, `gruNextLogProbs`, `gruTokenLogProbs` and `TokenDraws` of ./gruPolicy, called with
 * stacked weights), so run r of a population gives the same bits as the run alone (tested in
 * test/gru-population.test.ts).
 *
 * Sampling takes one batched forward pass and one read-back per token position for all runs; then
 * each run draws its rows' tokens with its own Rng, exactly as its single policy does, and stops
 * drawing when all its rows have ended. The runs' responses have different lengths, and a
 * population's update needs one `[R, N, T]` batch: every run's responses are padded to the longest
 * run's length (token 0, mask 0, log-prob 0, as a single policy pads its shorter rows). Padding
 * changes nothing: a position's log-prob depends only on earlier tokens, the loss masks padding,
 * and every reduction over positions only adds zeros.
 *
 * Exactness on wasm: the products go through the rank-generic `dense`. tfjs-wasm computes a product
 * of several runs with its own loop, which sums the shared axis in blocks of 48 and then adds the
 * block sums, while a single run's 2-D product goes to XNNPACK, which sums in order: the two agree
 * bit for bit only while every shared axis has at most 48 entries (the vocabulary and 3 * hiddenSize
 * in the gradients into the states, rows * length in the output layer's weight gradient; the
 * one-hot products of the embeddings are exact at any size). Beyond, run r differs from its single
 * run by float rounding (measured at the one-workflow persona sizes, vocabulary 142, hiddenSize 48:
 * weights differ by at most 5.2e-6 after 3 steps). At those sizes the population is also slower
 * than the runs one by one (the batched loop is much slower than XNNPACK); it pays for small GRUs.
 */
import * as tf from '@tensorflow/tfjs';
import { registerPopulation, stackVariables, writeBackStacked, type PolicyPopulation, type PopulationEvaluation } from '../policy/population';
import type { EvaluateOptions, PolicyContexts, SampledResponses } from '../policy/types';
import type { Rng } from '../random';
import {
  GRULanguagePolicy,
  TokenDraws,
  contextRowData,
  forbiddenTokens,
  gruCell,
  gruContext,
  gruInput,
  gruNextLogProbs,
  gruParameters,
  gruStart,
  gruTokenLogProbs,
  type GRUParameters,
} from './gruPolicy';

function checkTemperature(temperature: number): void {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`temperature must be a positive number, got ${temperature}`);
}

/** A policy's architecture without `topK`, which only the JS-side drawing uses (each run keeps its own). */
function stackKey(policy: GRULanguagePolicy): string {
  const { topK: _, ...arch } = policy.architecture();
  return JSON.stringify({ ...arch, vocabulary: policy.vocabulary.tokens });
}

/** A population of {@link GRULanguagePolicy} runs of one architecture and vocabulary. */
export class GRULanguagePopulation implements PolicyPopulation {
  readonly size: number;
  readonly policies: readonly GRULanguagePolicy[];
  readonly maxLength: number;
  private readonly vocabSize: number;
  private readonly featureDim: number;
  private readonly groups: readonly string[];
  private readonly groupIndex: Map<string, number>;
  private readonly names: string[];
  private readonly vars: tf.Variable[];
  private readonly params: GRUParameters;
  private readonly forbidden: tf.Tensor1D;
  private readonly frozen: boolean;

  /**
   * Stacks `policies` (their current weights); they must share one architecture and vocabulary
   * (an error names the first run that differs). `topK` may differ: each run samples with its own.
   */
  constructor(policies: readonly GRULanguagePolicy[], stacked?: tf.Variable[]) {
    if (policies.length === 0) throw new Error('a population needs at least one policy');
    const first = policies[0]!;
    const key = stackKey(first);
    policies.forEach((p, r) => {
      const other = stackKey(p);
      if (other === key) return;
      const a = p.architecture();
      const b = first.architecture();
      const what =
        JSON.stringify(p.vocabulary.tokens) !== JSON.stringify(first.vocabulary.tokens)
          ? `its vocabulary (${p.vocabulary.size} tokens) differs from run 0's (${first.vocabulary.size} tokens)`
          : `its GRULanguagePolicy architecture ${JSON.stringify({ ...a, topK: undefined })} differs from run 0's ${JSON.stringify({ ...b, topK: undefined })}`;
      throw new Error(`run ${r}: ${what}; a population needs one architecture and vocabulary`);
    });
    this.size = policies.length;
    this.policies = [...policies];
    this.maxLength = first.maxLength;
    this.vocabSize = first.vocabSize;
    this.featureDim = first.featureDim;
    this.groups = first.groups;
    this.groupIndex = new Map(first.groups.map((g, i) => [g, i]));
    const arch = first.architecture();
    this.frozen = stacked !== undefined;
    this.names = first.getWeights().map((w) => w.name);
    this.vars = stacked ?? stackVariables(policies);
    this.params = gruParameters(this.vars, arch.groupEmbeddingDim > 0);
    this.forbidden = forbiddenTokens(this.vocabSize);
  }

  /** Context vectors `[R, rows, C]` of every run's rows (`perContext` rows per context). Call inside a tidy. */
  private contextRows(contexts: readonly PolicyContexts[], perContext: number): tf.Tensor {
    if (contexts.length !== this.size) throw new Error(`got contexts for ${contexts.length} runs, the population has ${this.size}`);
    const P = contexts[0]!.size;
    const rows = P * perContext;
    const F = this.featureDim;
    const ids = new Int32Array(this.size * rows);
    const features = new Float32Array(this.size * rows * F);
    contexts.forEach((c, r) => {
      if (c.size !== P) throw new Error(`run ${r} has ${c.size} contexts, run 0 has ${P}; the runs of a population step together`);
      let data: ReturnType<typeof contextRowData>;
      try {
        data = contextRowData(this.groupIndex, F, c, perContext);
      } catch (err) {
        throw new Error(`run ${r}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      ids.set(data.ids, r * rows);
      features.set(data.features, r * rows * F);
    });
    return gruContext(this.params, this.groups.length, ids, features, F);
  }

  /**
   * Every run's `perContext` completions per context: per position one batched forward pass and
   * one read-back for all runs, then run r draws its rows' tokens with `rngs[r]` (and its own
   * policy's `topK`) exactly as `policies[r].sample` does. Responses are padded to the longest run's
   * length (see the module comment).
   */
  sample(contexts: readonly PolicyContexts[], perContext: number, temperature: number, rngs: readonly Rng[]): SampledResponses[] {
    if (!Number.isInteger(perContext) || perContext < 1) throw new Error(`GRULanguagePopulation: perContext must be an integer >= 1, got ${perContext}`);
    checkTemperature(temperature);
    if (rngs.length !== this.size) throw new Error(`got ${rngs.length} random streams for a population of ${this.size}`);
    const R = this.size;
    const V = this.vocabSize;
    const rows = (contexts[0]?.size ?? 0) * perContext;
    const { h0, ctxGates } = tf.tidy(() => gruStart(this.params, this.contextRows(contexts, perContext)));
    const draws = contexts.map(() => new TokenDraws(rows, this.maxLength, V));
    const running = draws.map(() => true);
    const topK = this.policies.map((p) => p.topK);
    const prev = new Int32Array(R * rows);
    let h = h0;
    try {
      for (let t = 0; t < this.maxLength && running.includes(true); t++) {
        // Runs that have ended feed their last tokens on; their rows are computed and never read.
        draws.forEach((d, r) => prev.set(d.prev, r * rows));
        const next = tf.tidy(() => {
          const hNew = gruCell(this.params, gruInput(this.params, V, tf.tensor1d(prev, 'int32'), ctxGates), h);
          return { h: hNew, logp: gruNextLogProbs(this.params, hNew, this.forbidden, temperature) };
        });
        h.dispose();
        h = next.h;
        const logp = next.logp.dataSync() as Float32Array;
        next.logp.dispose();
        draws.forEach((d, r) => {
          if (running[r]) running[r] = d.draw(logp, r * rows * V, t, topK[r]!, rngs[r]!);
        });
      }
    } finally {
      h.dispose();
      ctxGates.dispose();
    }
    const width = Math.max(...draws.map((d) => d.steps));
    return draws.map((d) => d.responses(width));
  }

  /**
   * Teacher-forced log-probabilities and entropies `[R, N, T]` of int32 `tokens` `[R, N, T]`, run
   * r's rows under run r's weights and contexts, as `policies[r].evaluate` computes them.
   */
  evaluate(contexts: readonly PolicyContexts[], tokens: tf.Tensor3D, temperature: number, options: EvaluateOptions = {}): PopulationEvaluation {
    const [R, N, T] = tokens.shape;
    if (tokens.rank !== 3) throw new Error(`tokens must be [runs, rows, length], got shape [${tokens.shape}]`);
    if (tokens.dtype !== 'int32') throw new Error(`tokens must be an int32 tensor, got ${tokens.dtype}`);
    if (R !== this.size) throw new Error(`tokens has ${R} runs, the population has ${this.size}`);
    if (T < 1 || T > this.maxLength) throw new Error(`tokens has length ${T}, expected 1..maxLength (${this.maxLength})`);
    const P = contexts[0]?.size ?? 0;
    if (P === 0 || N % P !== 0) throw new Error(`tokens has ${N} rows per run, not a multiple of the ${P} contexts`);
    checkTemperature(temperature);
    return tf.tidy(() => {
      const ctx = this.contextRows(contexts, N / P);
      const { picked, entropy } = gruTokenLogProbs(this.params, this.vocabSize, this.forbidden, ctx, tokens, temperature, options.entropy !== false);
      return entropy === undefined ? { logProbs: picked as tf.Tensor3D } : { logProbs: picked as tf.Tensor3D, entropy: entropy as tf.Tensor3D };
    });
  }

  trainableVariables(): tf.Variable[] {
    return [...this.vars];
  }

  writeBack(): void {
    if (this.frozen) throw new Error('GRULanguagePopulation.writeBack: a cloned population is frozen and never writes back');
    writeBackStacked(this.vars, this.names, this.policies);
  }

  clone(): GRULanguagePopulation {
    const copies = this.vars.map((v) => tf.tidy(() => tf.variable(v.clone(), false)));
    return new GRULanguagePopulation(this.policies, copies);
  }

  dispose(): void {
    this.vars.forEach((v) => v.dispose());
    this.forbidden.dispose();
  }
}

registerPopulation(
  'GRULanguagePolicy',
  (p) => p instanceof GRULanguagePolicy,
  (policies) => new GRULanguagePopulation(policies as GRULanguagePolicy[]),
);
