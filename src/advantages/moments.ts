/**
 * Means and spreads of rewards, computed so that equal rewards give an exactly zero centred value.
 *
 * Conventions shared by all estimators:
 * - Standard deviations are the unbiased (n - 1) estimate, matching `torch.Tensor.std()` that TRL
 *   uses for GRPO's `scale_rewards`. Fewer than two samples have no spread estimate; the std is
 *   then reported as 0.
 * - Means are accumulated relative to the group's first reward (`ref + Σ(r - ref) / n`), so when
 *   every reward equals `ref` the mean is `ref` exactly and `r - mean` is exactly 0; a naive
 *   `Σr / n` of three 0.2's is 0.20000000000000004.
 * - Sums run one sample at a time in sample order, so results do not depend on how a batch lists
 *   its groups.
 */

/**
 * Relative width, in units of `Number.EPSILON`, under which a generation group's rewards count as
 * equal. Rewards that differ only in the last couple of bits (`0.1 + 0.2` versus `0.3`) are the
 * same quantity rounded differently, not a learning signal; dividing their 1e-17 difference by a
 * 1e-17 std would otherwise amplify rounding noise.
 */
export const ZERO_SPREAD_ULPS = 4;

/** Whether values ranging from `lo` to `hi` count as equal, to {@link ZERO_SPREAD_ULPS}. */
export function spreadIsZero(lo: number, hi: number): boolean {
  return hi - lo <= ZERO_SPREAD_ULPS * Number.EPSILON * Math.max(Math.abs(lo), Math.abs(hi));
}

/** Unbiased std from a sum of squared deviations `m2` over `count` samples (0 when count < 2). */
export function unbiasedStd(m2: number, count: number): number {
  return count >= 2 ? Math.sqrt(Math.max(m2, 0) / (count - 1)) : 0;
}

/**
 * Unbiased std for reliability weights: `sqrt(m2 / (W - W2 / W))`, with `W` the sum of weights and
 * `W2` the sum of squared weights. With unit weights `W - W2 / W = n - 1`, so this agrees with
 * {@link unbiasedStd}. 0 when fewer than two samples were seen.
 */
export function weightedUnbiasedStd(m2: number, weight: number, weightSq: number, count: number): number {
  if (count < 2) return 0;
  const denominator = weight - weightSq / weight;
  return denominator > 0 ? Math.sqrt(Math.max(m2, 0) / denominator) : 0;
}

/** Count, mean and sum of squared deviations of one set of values. */
export interface Moments {
  count: number;
  mean: number;
  m2: number;
}

/** Moments of every value in `values`, in two passes (mean relative to the first value, then squared deviations). */
export function wholeMoments(values: ArrayLike<number>): Moments {
  const n = values.length;
  if (n === 0) return { count: 0, mean: 0, m2: 0 };
  const ref = values[0]!;
  let shifted = 0;
  for (let i = 0; i < n; i++) shifted += values[i]! - ref;
  const mean = ref + shifted / n;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    m2 += d * d;
  }
  return { count: n, mean, m2 };
}

/** Per-group moments, one entry per dense group. */
export interface GroupMoments {
  count: Int32Array;
  mean: Float64Array;
  /** Sum of squared deviations from the mean; 0 for a zero-spread group. */
  m2: Float64Array;
  /** 1 where all of the group's values are equal (to {@link ZERO_SPREAD_ULPS}); its m2 is then 0. */
  zeroSpread: Uint8Array;
}

/**
 * Moments of `values` within each of `numGroups` dense groups (`groupOf[i]` in 0..numGroups-1),
 * the same two passes as {@link wholeMoments} per group: the mean relative to the group's first
 * value (tracking its extremes for the zero-spread flag), then squared deviations from it.
 */
export function groupMoments(values: Float64Array, groupOf: Int32Array, numGroups: number): GroupMoments {
  const count = new Int32Array(numGroups);
  const ref = new Float64Array(numGroups);
  const shifted = new Float64Array(numGroups);
  const min = new Float64Array(numGroups).fill(Infinity);
  const max = new Float64Array(numGroups).fill(-Infinity);
  for (let i = 0; i < values.length; i++) {
    const g = groupOf[i]!;
    const v = values[i]!;
    if (count[g] === 0) ref[g] = v;
    count[g]!++;
    shifted[g]! += v - ref[g]!;
    if (v < min[g]!) min[g] = v;
    if (v > max[g]!) max[g] = v;
  }
  const mean = new Float64Array(numGroups);
  const zeroSpread = new Uint8Array(numGroups);
  for (let g = 0; g < numGroups; g++) {
    mean[g] = count[g]! > 0 ? ref[g]! + shifted[g]! / count[g]! : 0;
    if (spreadIsZero(min[g]!, max[g]!)) zeroSpread[g] = 1;
  }
  const m2 = new Float64Array(numGroups);
  for (let i = 0; i < values.length; i++) {
    const g = groupOf[i]!;
    if (zeroSpread[g] === 1) continue;
    const d = values[i]! - mean[g]!;
    m2[g]! += d * d;
  }
  return { count, mean, m2, zeroSpread };
}
