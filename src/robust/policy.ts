/**
 * Policies that pairwise preference losses can train: anything that gives log pi(a|s) for a batch
 * of (state, action) pairs and names its trainable variables.
 */
import * as tf from '@tensorflow/tfjs';
import { flatPickIndex } from '../nn/pick';

/**
 * The minimal policy interface of the robust preference trainers. The log-linear policy below
 * satisfies it; so can a categorical MLP policy (adapted by the lead).
 */
export interface PairwisePolicy {
  /**
   * log pi(a_i | s_i) for each row: `states` is [n, state_dim], `actions` int32 [n]. Differentiable in
   * the variables. `groups` (the preference-group name of each row) is passed by the trainers for
   * group-conditioned policies; policies that ignore the group (the log-linear one) may ignore it.
   */
  logProbs(states: tf.Tensor2D, actions: tf.Tensor1D, groups?: readonly string[]): tf.Tensor1D;
  /** The variables a trainer updates. */
  trainableVariables(): tf.Variable[];
  /**
   * Optional: log pi(a | s) for every action, [n, num_actions]. When present, evaluations that need
   * every action (the preferred action of each state) make one call instead of one per action.
   */
  allLogProbs?(states: tf.Tensor2D, groups?: readonly string[]): tf.Tensor2D;
  /**
   * Optional fast path for a fixed set of pairs: precomputes what the policy can, and returns
   * {@link PairLogRatios} giving log pi(chosen_i | s_i) - log pi(rejected_i | s_i) for any subset of
   * them. Without it, trainers take the difference of two {@link logProbs} calls every step.
   */
  pairLogRatios?(states: tf.Tensor2D, chosen: tf.Tensor1D, rejected: tf.Tensor1D, groups?: readonly string[]): PairLogRatios;
}

/** Log-ratios of a fixed set of (state, chosen, rejected) pairs, from {@link PairwisePolicy.pairLogRatios}. */
export interface PairLogRatios {
  /** log pi(chosen|s) - log pi(rejected|s) of the pairs at `indices` (all when omitted), differentiable in the variables. */
  at(indices?: tf.Tensor1D): tf.Tensor1D;
  /** Frees the precomputed tensors. */
  dispose(): void;
}

/** A fixed policy used only for its log-probabilities (the reference policy of DPO and IPO). */
export interface ReferencePolicy {
  logProbs(states: tf.Tensor2D, actions: tf.Tensor1D, groups?: readonly string[]): tf.Tensor1D;
}

/** The uniform policy over `numActions` actions: log pi_ref(a|s) = -log(numActions) for every pair. */
export function uniformReference(numActions: number): ReferencePolicy {
  if (!Number.isInteger(numActions) || numActions < 1) throw new Error(`numActions must be a positive integer, got ${numActions}`);
  return { logProbs: (_states, actions) => tf.fill([actions.shape[0]], -Math.log(numActions)) as tf.Tensor1D };
}

/** Options of {@link LogLinearPolicy}. */
export interface LogLinearPolicyOptions {
  /** phi(s, a) for every state and action: [n, state_dim] -> [n, num_actions, feature_dim]. */
  features: (states: tf.Tensor2D) => tf.Tensor3D;
  num_actions: number;
  feature_dim: number;
  /** Initial theta (default zeros, i.e. the uniform policy). */
  theta_init?: readonly number[];
}

/**
 * The log-linear policy of the paper's theory: pi_theta(a|s) ∝ exp(theta . phi(s, a)), with theta
 * a tf.Variable. Its score is grad log pi(a|s) = phi(s, a) - E_{a'~pi}[phi(s, a')].
 *
 * The normaliser cancels in a log-ratio of two actions of the same state:
 * log pi(w|s) - log pi(l|s) = theta . (phi(s, w) - phi(s, l)), so {@link pairLogRatios} computes the
 * feature differences once and each step is one product with theta.
 */
export class LogLinearPolicy implements PairwisePolicy {
  readonly theta: tf.Variable<tf.Rank.R1>;
  readonly num_actions: number;
  readonly feature_dim: number;
  private readonly features: (states: tf.Tensor2D) => tf.Tensor3D;

  constructor(options: LogLinearPolicyOptions) {
    if (!Number.isInteger(options.num_actions) || options.num_actions < 2) {
      throw new Error(`num_actions must be an integer >= 2, got ${options.num_actions}`);
    }
    if (!Number.isInteger(options.feature_dim) || options.feature_dim < 1) {
      throw new Error(`feature_dim must be a positive integer, got ${options.feature_dim}`);
    }
    const init = options.theta_init ?? new Array<number>(options.feature_dim).fill(0);
    if (init.length !== options.feature_dim || init.some((x) => !Number.isFinite(x))) {
      throw new Error(`theta_init must be ${options.feature_dim} finite numbers`);
    }
    this.num_actions = options.num_actions;
    this.feature_dim = options.feature_dim;
    this.features = options.features;
    this.theta = tf.tidy(() => tf.variable(tf.tensor1d([...init]), true)); // tidy frees the initial value tensor
  }

  /** log pi(. | s) for every state: [n, num_actions]. */
  allLogProbs(states: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const phi = this.features(states);
      const [n, a, d] = phi.shape;
      if (a !== this.num_actions || d !== this.feature_dim) {
        throw new Error(`features returned shape [${phi.shape}], expected [n, ${this.num_actions}, ${this.feature_dim}]`);
      }
      const logits = tf.matMul(phi.reshape([n * a, d]), this.theta.reshape([d, 1])).reshape([n, a]);
      return tf.logSoftmax(logits) as tf.Tensor2D;
    });
  }

  logProbs(states: tf.Tensor2D, actions: tf.Tensor1D): tf.Tensor1D {
    return tf.tidy(() => {
      const mask = tf.oneHot(tf.cast(actions, 'int32'), this.num_actions);
      return tf.sum(tf.mul(this.allLogProbs(states), mask), 1) as tf.Tensor1D;
    });
  }

  trainableVariables(): tf.Variable[] {
    return [this.theta];
  }

  pairLogRatios(states: tf.Tensor2D, chosen: tf.Tensor1D, rejected: tf.Tensor1D): PairLogRatios {
    const differences = tf.tidy(() => {
      const phi = this.features(states);
      const [n, a, d] = phi.shape;
      if (a !== this.num_actions || d !== this.feature_dim) {
        throw new Error(`features returned shape [${phi.shape}], expected [n, ${this.num_actions}, ${this.feature_dim}]`);
      }
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
    };
  }

  /** Current theta as plain numbers. */
  thetaValues(): number[] {
    return Array.from(this.theta.dataSync());
  }

  /** Frees the variable. */
  dispose(): void {
    this.theta.dispose();
  }
}
