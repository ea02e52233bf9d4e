/**
 * The log-linear policy of the group-robust paper's theory, as a {@link Policy} of the kit (the same
 * interface the categorical MLP and the GRU language policy implement), plus the fast path the
 * group-robust trainer uses for it.
 */
import * as tf from '@tensorflow/tfjs';
import { logSoftmaxPick } from '../nn/logSoftmaxPick';
import { flatPickIndex } from '../nn/pick';
import type { EvaluateOptions, Policy, PolicyContexts, SampledResponses, TokenEvaluation, WeightData } from '../policy/types';
import { assignData, variablesToData } from '../policy/weights';
import { Rng } from '../random';

/**
 * phi(s, a) for every state and action: states `[n, state_dim]` -> `[n, num_responses, feature_dim]`.
 * `groups` holds the preference group of each state, for group-specific feature maps (the group
 * linear bandit's `swapped` map); maps that do not depend on the group ignore it.
 */
export type LogLinearFeatures = (states: tf.Tensor2D, groups: readonly string[]) => tf.Tensor3D;

/** Initial theta drawn uniformly from [0, param_limit) per coordinate with the kit's {@link Rng} (the authors' bandit code's start). */
export interface UniformThetaInit {
  param_limit: number;
  seed: number;
}

/** Options of {@link LogLinearPolicy}. */
export interface LogLinearPolicyOptions {
  features: LogLinearFeatures;
  num_responses: number;
  feature_dim: number;
  /** Length of a state (the policy's `featureDim`: contexts carry the state as their features). */
  state_dim: number;
  /**
   * Preference groups the policy accepts. Default `[]`: the policy has no group parameters and
   * accepts any group name (passing it on to `features`).
   */
  groups?: readonly string[];
  /** Initial theta: explicit values, or drawn from U(0, param_limit). Default zeros (the uniform policy). */
  theta_init?: readonly number[] | UniformThetaInit;
}

/** Log-ratios of a fixed set of (state, chosen, rejected) pairs, from {@link LogLinearPolicy.pairLogRatios}. */
export interface PairLogRatios {
  /** log pi(chosen|s) - log pi(rejected|s) of the pairs at `indices` (all when omitted), differentiable in theta. */
  at(indices?: tf.Tensor1D): tf.Tensor1D;
  /** Frees the precomputed tensors. */
  dispose(): void;
  /**
   * The precomputed feature differences phi(s, chosen) - phi(s, rejected), `[n, feature_dim]`, where
   * the log-ratios are their products with theta (the log-linear policy; a population stacks them).
   */
  readonly differences?: tf.Tensor2D;
}

/** A {@link Policy} that can also give pair log-ratios from precomputed data (the log-linear policy). */
export interface PairLogRatioPolicy extends Policy {
  pairLogRatios(states: tf.Tensor2D, chosen: tf.Tensor1D, rejected: tf.Tensor1D, groups: readonly string[]): PairLogRatios;
}

/** Whether the policy offers the {@link PairLogRatioPolicy} fast path. */
export function hasPairLogRatios(policy: Policy): policy is PairLogRatioPolicy {
  return typeof (policy as Partial<PairLogRatioPolicy>).pairLogRatios === 'function';
}

/** theta_0 drawn from U(0, param_limit) per coordinate (the authors' random start). */
export function uniformTheta(featureDim: number, init: UniformThetaInit): number[] {
  if (!Number.isFinite(init.param_limit) || init.param_limit <= 0) throw new Error(`theta_init.param_limit must be a finite number > 0, got ${init.param_limit}`);
  const rng = new Rng(init.seed);
  return Array.from({ length: featureDim }, () => rng.uniform() * init.param_limit);
}

/**
 * The log-linear policy pi_theta(a|s) ∝ exp(theta . phi(s, a)), with theta a tf.Variable. Its score is
 * grad log pi(a|s) = phi(s, a) - E_{a'~pi}[phi(s, a')].
 *
 * As a {@link Policy}: a context's features are the state, a response is one token (the action), so
 * `maxLength` is 1 and `vocabSize` is `num_responses`.
 *
 * The normaliser cancels in a log-ratio of two actions of the same state:
 * log pi(w|s) - log pi(l|s) = theta . (phi(s, w) - phi(s, l)), so {@link LogLinearPolicy.pairLogRatios}
 * computes the feature differences once and each step is one product with theta.
 */
export class LogLinearPolicy implements PairLogRatioPolicy {
  readonly theta: tf.Variable<tf.Rank.R1>;
  readonly num_responses: number;
  readonly feature_dim: number;
  readonly groups: readonly string[];
  readonly featureDim: number;
  readonly vocabSize: number;
  readonly maxLength = 1;
  private readonly features: LogLinearFeatures;

  constructor(options: LogLinearPolicyOptions) {
    if (!Number.isInteger(options.num_responses) || options.num_responses < 2) {
      throw new Error(`num_responses must be an integer >= 2, got ${options.num_responses}`);
    }
    if (!Number.isInteger(options.feature_dim) || options.feature_dim < 1) {
      throw new Error(`feature_dim must be a positive integer, got ${options.feature_dim}`);
    }
    if (!Number.isInteger(options.state_dim) || options.state_dim < 0) {
      throw new Error(`state_dim must be a non-negative integer, got ${options.state_dim}`);
    }
    const initOption = options.theta_init ?? new Array<number>(options.feature_dim).fill(0);
    const init = Array.isArray(initOption) ? [...(initOption as readonly number[])] : uniformTheta(options.feature_dim, initOption as UniformThetaInit);
    if (init.length !== options.feature_dim || init.some((x) => !Number.isFinite(x))) {
      throw new Error(`theta_init must be ${options.feature_dim} finite numbers`);
    }
    const groups = [...(options.groups ?? [])];
    const dup = groups.find((g, i) => groups.indexOf(g) !== i);
    if (dup !== undefined) throw new Error(`groups lists '${dup}' twice`);
    this.num_responses = options.num_responses;
    this.feature_dim = options.feature_dim;
    this.featureDim = options.state_dim;
    this.vocabSize = options.num_responses;
    this.groups = groups;
    this.features = options.features;
    this.theta = tf.tidy(() => tf.variable(tf.tensor1d(init), true)); // tidy frees the initial value tensor
  }

  /** phi for the given states and groups, shape-checked. */
  private featureTensor(states: tf.Tensor2D, groups: readonly string[]): tf.Tensor3D {
    if (groups.length !== states.shape[0]) throw new Error(`got ${groups.length} group names for ${states.shape[0]} states`);
    if (this.groups.length > 0) {
      groups.forEach((g, i) => {
        if (!this.groups.includes(g)) throw new Error(`unknown preference group '${g}' (state ${i}); the policy knows: ${this.groups.join(', ')}`);
      });
    }
    const phi = this.features(states, groups);
    const [, a, d] = phi.shape;
    if (phi.rank !== 3 || phi.shape[0] !== states.shape[0] || a !== this.num_responses || d !== this.feature_dim) {
      phi.dispose();
      throw new Error(`features returned shape [${phi.shape}], expected [${states.shape[0]}, ${this.num_responses}, ${this.feature_dim}]`);
    }
    return phi;
  }

  /** Logits theta . phi(s, a): `[n, num_responses]` (call inside a tidy). */
  private logits(states: tf.Tensor2D, groups: readonly string[]): tf.Tensor2D {
    const phi = this.featureTensor(states, groups);
    const [n, a, d] = phi.shape;
    return tf.matMul(phi.reshape([n * a, d]), this.theta.reshape([d, 1])).reshape([n, a]) as tf.Tensor2D;
  }

  private statesOf(contexts: PolicyContexts): tf.Tensor2D {
    if (contexts.groups.length !== contexts.size) {
      throw new Error(`contexts.groups has ${contexts.groups.length} entries, expected contexts.size = ${contexts.size}`);
    }
    if (contexts.features.length !== contexts.size * this.featureDim) {
      throw new Error(`contexts.features has ${contexts.features.length} values, expected size * featureDim = ${contexts.size} * ${this.featureDim}`);
    }
    return tf.tensor2d(contexts.features, [contexts.size, this.featureDim], 'float32');
  }

  /** log pi(. | s) for every state: `[n, num_responses]`. `groups` defaults to '' for every state (group-free feature maps). */
  allLogProbs(states: tf.Tensor2D, groups?: readonly string[]): tf.Tensor2D {
    return tf.tidy(() => tf.logSoftmax(this.logits(states, groups ?? new Array<string>(states.shape[0]).fill(''))) as tf.Tensor2D);
  }

  sample(contexts: PolicyContexts, perContext: number, temperature: number, rng: Rng): SampledResponses {
    if (!Number.isInteger(perContext) || perContext < 1) throw new Error(`perContext must be an integer >= 1, got ${perContext}`);
    if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`temperature must be a positive number, got ${temperature}`);
    const A = this.num_responses;
    const logpTensor = tf.tidy(() => tf.logSoftmax(tf.div(this.logits(this.statesOf(contexts), contexts.groups), temperature)));
    const logp = logpTensor.dataSync() as Float32Array;
    logpTensor.dispose();
    const rows = contexts.size * perContext;
    const tokens = new Int32Array(rows);
    const logProbs = new Float32Array(rows);
    const probs = new Float64Array(A);
    for (let p = 0; p < contexts.size; p++) {
      for (let a = 0; a < A; a++) probs[a] = Math.exp(logp[p * A + a]!);
      for (let g = 0; g < perContext; g++) {
        const token = rng.categorical(probs);
        tokens[p * perContext + g] = token;
        logProbs[p * perContext + g] = logp[p * A + token]!;
      }
    }
    return { rows, length: 1, tokens, mask: new Float32Array(rows).fill(1), logProbs };
  }

  evaluate(contexts: PolicyContexts, tokens: tf.Tensor2D, temperature: number, options: EvaluateOptions = {}): TokenEvaluation {
    const [rows, length] = tokens.shape;
    if (tokens.dtype !== 'int32') throw new Error(`tokens must be an int32 tensor, got ${tokens.dtype}`);
    if (length !== 1) throw new Error(`a log-linear policy scores responses of length 1, got tokens of shape [${tokens.shape}]`);
    if (contexts.size === 0 || rows % contexts.size !== 0) throw new Error(`tokens has ${rows} rows, not a multiple of the ${contexts.size} contexts`);
    if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`temperature must be a positive number, got ${temperature}`);
    const perContext = rows / contexts.size;
    return tf.tidy(() => {
      const logits = this.logits(this.statesOf(contexts), contexts.groups);
      const tempered = temperature === 1 ? logits : (tf.div(logits, temperature) as tf.Tensor2D);
      const wantEntropy = options.entropy !== false;
      const { picked, entropy } = logSoftmaxPick(tempered, tf.reshape(tokens, [contexts.size, perContext]) as tf.Tensor2D, { entropy: wantEntropy });
      const logProbs = tf.reshape(picked, [rows, 1]) as tf.Tensor2D;
      if (!wantEntropy) return { logProbs };
      return { logProbs, entropy: tf.reshape(tf.tile(tf.expandDims(entropy!, 1), [1, perContext]), [rows, 1]) as tf.Tensor2D };
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.theta];
  }

  /**
   * The fast path for a fixed set of pairs: the feature differences phi(s, w) - phi(s, l) are computed
   * once, and each call is one product with theta.
   */
  pairLogRatios(states: tf.Tensor2D, chosen: tf.Tensor1D, rejected: tf.Tensor1D, groups: readonly string[]): PairLogRatios {
    const differences = tf.tidy(() => {
      const phi = this.featureTensor(states, groups);
      const [n, a, d] = phi.shape;
      // Row i*A + a of the flattened features is phi(s_i, a).
      const flat = phi.reshape([n * a, d]);
      const rows = (actions: tf.Tensor1D) => tf.gather(flat, tf.reshape(flatPickIndex(tf.reshape(tf.cast(actions, 'int32'), [n, 1]) as tf.Tensor2D, a), [n]));
      return tf.keep(tf.sub(rows(chosen), rows(rejected)) as tf.Tensor2D);
    });
    const d = this.feature_dim;
    return {
      at: (indices) =>
        tf.tidy(() => {
          const picked = indices === undefined ? differences : tf.gather(differences, indices);
          return tf.matMul(picked, this.theta.reshape([d, 1])).reshape([-1]) as tf.Tensor1D;
        }),
      dispose: () => differences.dispose(),
      differences,
    };
  }

  /** Current theta as plain numbers. */
  thetaValues(): number[] {
    return Array.from(this.theta.dataSync());
  }

  clone(): LogLinearPolicy {
    return new LogLinearPolicy({
      features: this.features,
      num_responses: this.num_responses,
      feature_dim: this.feature_dim,
      state_dim: this.featureDim,
      groups: this.groups,
      theta_init: this.thetaValues(),
    });
  }

  getWeights(): WeightData[] {
    return variablesToData([this.theta], ['theta']);
  }

  setWeights(weights: readonly WeightData[]): void {
    assignData([this.theta], ['theta'], weights, 'LogLinearPolicy.setWeights');
  }

  /** Frees the variable. */
  dispose(): void {
    this.theta.dispose();
  }
}
