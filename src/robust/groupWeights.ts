/**
 * Group weights of Group Robust Preference Optimization (Algorithm 1 of arXiv 2405.20304) and the
 * per-pair weights of the policy step for every weighting scheme.
 *
 * Notation: K groups, N training pairs in all, N_g of them in group g, a batch of B pairs.
 * The policy step minimises (1/B) sum_i w_i l_i over the batch, with
 * - `uniform` (plain DPO / IPO):      w_i = 1;
 * - `importance` (IS-DPO / IS-IPO):    w_i = N / (K N_g)   (`balanced`, the kit's default: the robust weight
 *                                                           with alpha frozen at 1/K, i.e. proportional to 1/N_g;
 *                                                           the objective is the mean of the group means), or
 *                                      w_i = (1/N_g) / S,  S = sum_h 1/N_h   (`normalized`, the authors' code:
 *                                                           the 1/N_g weights normalised to sum 1 over groups).
 *                                      Both are proportional to 1/N_g; `balanced` is N S / K times larger
 *                                      (3.125 on a 60/240 split), so at equal learning rate its step is larger;
 * - `robust` (GR-DPO / GR-IPO):        w_i = N alpha_g / N_g.
 *
 * Group-weight update, `paper` variant. Algorithm 1 draws one pair (g ~ N_g/N, then a pair of group g),
 * and sets alpha_g <- alpha_g exp(eta_alpha N l / N_g) for that group only, then normalises.
 * The kit uses B pairs drawn uniformly with replacement from all N and averages the B single-pair
 * estimates:  alpha_g <- alpha_g exp(eta_alpha (N / N_g) (1/B) sum_{i in batch, g_i = g} l_i), then normalises.
 * With B = 1 this is exactly Algorithm 1; (N / N_g)(1/B) sum is an unbiased estimate of group g's mean loss.
 *
 * `authors_code` variant (the authors' public bandit and LLM code): every step uses the whole training
 * set, the estimate is the group's mean loss in that batch, alpha_g <- alpha_g exp(eta_alpha mean_g),
 * and the policy minimises sum_g alpha_g mean_g, i.e. w_i = B alpha_g / n_g with n_g the group's count in
 * the batch. (The code weights each group's *mean* loss by alpha_g; per pair that is alpha_g / n_g.)
 * With a full batch (B = N, n_g = N_g) both formulas coincide, so the variants differ in sampling:
 * stochastic uniform minibatches (paper) versus the deterministic full batch (authors' code).
 */

/** How pairs of different groups are weighted in the policy step. */
export type GroupWeighting = 'uniform' | 'importance' | 'robust';
/** Which version of the group-robust update to run (see module docs). */
export type RobustVariant = 'paper' | 'authors_code';
/** Scale of the importance weights (see module docs): `balanced` N / (K N_g) or `normalized` (1/N_g) / sum_h 1/N_h. */
export type ImportanceConvention = 'balanced' | 'normalized';

/** The importance weight of each group under a convention (see module docs). */
export function importanceGroupWeights(convention: ImportanceConvention, dataCounts: readonly number[]): number[] {
  const K = dataCounts.length;
  const N = dataCounts.reduce((s, n) => s + n, 0);
  if (convention === 'balanced') return dataCounts.map((Ng) => N / (K * Ng));
  if (convention === 'normalized') {
    const S = dataCounts.reduce((s, n) => s + 1 / n, 0);
    return dataCounts.map((Ng) => 1 / Ng / S);
  }
  throw new Error(`importance_weights must be 'balanced' or 'normalized', got '${convention as string}'`);
}

/** Uniform weights 1/K. */
export function uniformGroupWeights(numGroups: number): number[] {
  if (!Number.isInteger(numGroups) || numGroups < 1) throw new Error(`numGroups must be a positive integer, got ${numGroups}`);
  return new Array<number>(numGroups).fill(1 / numGroups);
}

/**
 * One exponentiated-gradient (mirror ascent) step on the simplex:
 * alpha_g <- alpha_g exp(eta_alpha * estimate_g), then normalise. Computed in log space so that large
 * exponents cannot overflow.
 */
export function updateGroupWeights(alpha: readonly number[], estimates: readonly number[], etaAlpha: number): number[] {
  if (!Number.isFinite(etaAlpha) || etaAlpha <= 0) throw new Error(`eta_alpha must be a finite positive number, got ${etaAlpha}`);
  if (estimates.length !== alpha.length) throw new Error(`need one loss estimate per group (${alpha.length}), got ${estimates.length}`);
  alpha.forEach((a, g) => {
    if (!(a > 0) || !Number.isFinite(a)) throw new Error(`alpha[${g}] must be positive and finite, got ${a}`);
  });
  estimates.forEach((e, g) => {
    if (!Number.isFinite(e)) throw new Error(`loss estimate of group ${g} is not finite (${e})`);
  });
  const logits = alpha.map((a, g) => Math.log(a) + etaAlpha * estimates[g]!);
  const top = Math.max(...logits);
  const unnorm = logits.map((l) => Math.exp(l - top));
  const total = unnorm.reduce((s, x) => s + x, 0);
  return unnorm.map((x) => x / total);
}

/** Number of entries of `groups` in each of `numGroups` groups. */
export function countGroups(groups: ArrayLike<number>, numGroups: number): number[] {
  const counts = new Array<number>(numGroups).fill(0);
  for (let i = 0; i < groups.length; i++) counts[groups[i]!]! += 1;
  return counts;
}

/**
 * The per-group loss estimates that drive the alpha update (see module docs).
 * @param batchLosses - per-pair losses of the batch.
 * @param batchGroups - group index of each batch pair.
 * @param dataCounts - N_g, the training pairs per group.
 */
export function groupLossEstimates(
  variant: RobustVariant,
  batchLosses: ArrayLike<number>,
  batchGroups: ArrayLike<number>,
  dataCounts: readonly number[],
): number[] {
  const K = dataCounts.length;
  const sums = new Array<number>(K).fill(0);
  for (let i = 0; i < batchLosses.length; i++) sums[batchGroups[i]!]! += batchLosses[i]!;
  if (variant === 'paper') {
    const N = dataCounts.reduce((s, n) => s + n, 0);
    const B = batchLosses.length;
    return sums.map((s, g) => (N / dataCounts[g]!) * (s / B));
  }
  const batchCounts = countGroups(batchGroups, K);
  // A group absent from the batch gives no evidence: estimate 0 leaves its weight to the others' updates.
  return sums.map((s, g) => (batchCounts[g]! > 0 ? s / batchCounts[g]! : 0));
}

/** Per-pair weights w_i of the policy objective (1/B) sum_i w_i l_i (see module docs). */
export function pairWeights(
  weighting: GroupWeighting,
  variant: RobustVariant,
  alpha: readonly number[],
  batchGroups: ArrayLike<number>,
  dataCounts: readonly number[],
  importance: ImportanceConvention = 'balanced',
): Float32Array {
  const K = dataCounts.length;
  const N = dataCounts.reduce((s, n) => s + n, 0);
  const B = batchGroups.length;
  const batchCounts = countGroups(batchGroups, K);
  const importanceWeights = weighting === 'importance' ? importanceGroupWeights(importance, dataCounts) : [];
  const perGroup = dataCounts.map((Ng, g) => {
    switch (weighting) {
      case 'uniform':
        return 1;
      case 'importance':
        return importanceWeights[g]!;
      case 'robust':
        return variant === 'paper' ? (N * alpha[g]!) / Ng : (B * alpha[g]!) / Math.max(batchCounts[g]!, 1);
      default:
        throw new Error(`weighting must be 'uniform', 'importance' or 'robust', got '${weighting as string}'`);
    }
  });
  const w = new Float32Array(B);
  for (let i = 0; i < B; i++) w[i] = perGroup[batchGroups[i]!]!;
  return w;
}
