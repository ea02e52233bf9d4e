/**
 * GR-IPO by closed-form weighted regression for log-linear policies (Algorithm 2 of arXiv 2405.20304).
 *
 * For a log-linear policy and a log-linear reference, a pair's margin is linear in theta:
 * h_i = (theta - theta_ref) . x_i with x_i = phi_g(s_i, y_w) - phi_g(s_i, y_l). The IPO loss
 * (h_i - 1/(2 beta))^2 is then a squared loss, and the alpha-weighted objective
 *   sum_g alpha_g L_g(theta),   L_g(theta) = (1/N_g) sum_{i in g} (x_i . delta - c)^2,   delta = theta - theta_ref, c = 1/(2 beta)
 * is a weighted least-squares problem with pair weights w_i = alpha_{g_i} / N_{g_i}. Its minimiser
 * solves the normal equations (sum_i w_i x_i x_i^T + ridge I) delta = c sum_i w_i x_i.
 *
 * The iteration (the kit's reading of Algorithm 2): start from `theta_init` and alpha = 1/K; each
 * iteration t computes every group's loss L_g(theta_{t-1}), updates alpha_g <- alpha_g exp(eta_alpha L_g)
 * (normalised, as the gradient version does), then sets theta_t to the weighted least-squares solution
 * for the new alpha. Everything is in double precision on the JS side (a 4 x 4 solve per iteration on
 * the bandit).
 */
import { ALL_GROUPS, type MetricRecord } from '../frames';
import type { PairwiseGroupData } from '../data/groupLinearBandit';
import { countGroups, uniformGroupWeights, updateGroupWeights } from './groupWeights';
import { checkBeta } from './losses';
import { validatePairs } from './pairs';

/** phi_g(s, a) of one state, action and group index, as plain numbers (e.g. the bandit's `banditFeatures`). */
export type PlainFeatures = (state: readonly number[], action: number, group: number) => number[];

/** Options of {@link closedFormGrIpo}. */
export interface ClosedFormGrIpoOptions {
  beta: number;
  eta_alpha: number;
  /** Alternations of the alpha update and the regression solve. */
  iterations: number;
  /** theta before the first iteration (default: theta_ref); only the first alpha update sees it. */
  theta_init?: readonly number[];
  /** Reference parameter theta_ref (default zeros: the uniform reference). */
  theta_ref?: readonly number[];
  /** Ridge added to the normal equations' diagonal (default 0; > 0 when the features do not span R^d). */
  ridge?: number;
  /** Record every this many iterations (and the last; default 1). */
  log_every?: number;
  /** Extra metrics of theta at each logged iteration (e.g. validation losses, reward errors). */
  extra_metrics?: (theta: number[]) => { group: string; metric: string; value: number }[];
}

/** Output of {@link closedFormGrIpo}. */
export interface ClosedFormGrIpoResult {
  theta: number[];
  alpha: number[];
  /** Per logged iteration t (t = 0 is the start): per group `train_loss`, `alpha`; on `all` `worst_group_train_loss`. */
  records: MetricRecord[];
}

/** The pair feature differences x_i = phi_g(s_i, chosen) - phi_g(s_i, rejected). */
export function pairFeatureDifferences(data: PairwiseGroupData, features: PlainFeatures): number[][] {
  return data.states.map((s, i) => {
    const g = data.group_index[i]!;
    const w = features(s, data.chosen[i]!, g);
    const l = features(s, data.rejected[i]!, g);
    if (w.length !== l.length || w.some((x) => !Number.isFinite(x)) || l.some((x) => !Number.isFinite(x))) {
      throw new Error(`pair ${i}: features must return equally long arrays of finite numbers`);
    }
    return w.map((x, k) => x - l[k]!);
  });
}

/** Each group's mean IPO loss at delta = theta - theta_ref. */
export function ipoGroupLosses(differences: readonly (readonly number[])[], groups: readonly number[], numGroups: number, delta: readonly number[], beta: number): number[] {
  const c = 1 / (2 * beta);
  const sums = new Array<number>(numGroups).fill(0);
  const counts = countGroups(groups, numGroups);
  differences.forEach((x, i) => {
    let h = 0;
    for (let k = 0; k < x.length; k++) h += x[k]! * delta[k]!;
    sums[groups[i]!]! += (h - c) ** 2;
  });
  return sums.map((s, g) => s / counts[g]!);
}

/** Solves the symmetric positive definite system A z = b by Cholesky; an error when A is not positive definite. */
export function solveSymmetricPositiveDefinite(A: readonly (readonly number[])[], b: readonly number[]): number[] {
  const d = b.length;
  const L = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      if (i === j) {
        if (!(s > 1e-12 * Math.max(1, Math.abs(A[i]![i]!)))) {
          throw new Error(`the weighted normal equations are singular (pivot ${i} is ${s}); the pair features do not span all ${d} directions: pass a ridge > 0`);
        }
        L[i]![i] = Math.sqrt(s);
      } else L[i]![j] = s / L[j]![j]!;
    }
  }
  const y = new Array<number>(d).fill(0);
  for (let i = 0; i < d; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i]![k]! * y[k]!;
    y[i] = s / L[i]![i]!;
  }
  const z = new Array<number>(d).fill(0);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < d; k++) s -= L[k]![i]! * z[k]!;
    z[i] = s / L[i]![i]!;
  }
  return z;
}

/**
 * argmin_delta sum_g alpha_g L_g for fixed alpha: builds the weighted normal equations
 * (sum_i w_i x_i x_i^T + ridge I) delta = c sum_i w_i x_i with w_i = alpha_{g_i} / N_{g_i} and solves them.
 */
export function weightedIpoSolve(
  differences: readonly (readonly number[])[],
  groups: readonly number[],
  alpha: readonly number[],
  beta: number,
  ridge = 0,
): number[] {
  checkBeta(beta);
  if (!(ridge >= 0) || !Number.isFinite(ridge)) throw new Error(`ridge must be a finite number >= 0, got ${ridge}`);
  const d = differences[0]!.length;
  const counts = countGroups(groups, alpha.length);
  const c = 1 / (2 * beta);
  const A = Array.from({ length: d }, (_, j) => Array.from({ length: d }, (__, k) => (j === k ? ridge : 0)));
  const b = new Array<number>(d).fill(0);
  differences.forEach((x, i) => {
    const g = groups[i]!;
    const w = alpha[g]! / counts[g]!;
    for (let j = 0; j < d; j++) {
      b[j]! += w * c * x[j]!;
      for (let k = 0; k < d; k++) A[j]![k]! += w * x[j]! * x[k]!;
    }
  });
  return solveSymmetricPositiveDefinite(A, b);
}

/** GR-IPO by alternating the alpha update with the closed-form weighted regression (see module docs). */
export function closedFormGrIpo(data: PairwiseGroupData, features: PlainFeatures, options: ClosedFormGrIpoOptions): ClosedFormGrIpoResult {
  validatePairs(data, 'train');
  checkBeta(options.beta);
  if (!Number.isInteger(options.iterations) || options.iterations < 0) throw new Error(`iterations must be a non-negative integer, got ${options.iterations}`);
  const logEvery = options.log_every ?? 1;
  if (!Number.isInteger(logEvery) || logEvery < 1) throw new Error(`log_every must be a positive integer, got ${logEvery}`);
  const differences = pairFeatureDifferences(data, features);
  const d = differences[0]!.length;
  const thetaRef = [...(options.theta_ref ?? new Array<number>(d).fill(0))];
  const theta = [...(options.theta_init ?? thetaRef)];
  for (const [name, v] of [['theta_ref', thetaRef], ['theta_init', theta]] as const) {
    if (v.length !== d || v.some((x) => !Number.isFinite(x))) throw new Error(`${name} must be ${d} finite numbers`);
  }
  const K = data.group_names.length;
  let alpha = uniformGroupWeights(K);
  let delta = theta.map((t, k) => t - thetaRef[k]!);
  const records: MetricRecord[] = [];
  const log = (step: number, losses: number[]) => {
    data.group_names.forEach((g, k) => {
      records.push({ step, group: g, metric: 'train_loss', value: losses[k]! });
      records.push({ step, group: g, metric: 'alpha', value: alpha[k]! });
    });
    records.push({ step, group: ALL_GROUPS, metric: 'worst_group_train_loss', value: Math.max(...losses) });
    for (const m of options.extra_metrics?.(delta.map((x, k) => x + thetaRef[k]!)) ?? []) records.push({ step, ...m });
  };
  let losses = ipoGroupLosses(differences, data.group_index, K, delta, options.beta);
  log(0, losses);
  for (let t = 1; t <= options.iterations; t++) {
    alpha = updateGroupWeights(alpha, losses, options.eta_alpha);
    delta = weightedIpoSolve(differences, data.group_index, alpha, options.beta, options.ridge ?? 0);
    losses = ipoGroupLosses(differences, data.group_index, K, delta, options.beta);
    if (t % logEvery === 0 || t === options.iterations) log(t, losses);
  }
  return { theta: delta.map((x, k) => x + thetaRef[k]!), alpha, records };
}
