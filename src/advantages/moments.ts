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
 */

/**
 * Relative width, in units of `Number.EPSILON`, under which a generation group's rewards count as
 * equal. Rewards that differ only in the last couple of bits (`0.1 + 0.2` versus `0.3`) are the
 * same quantity rounded differently, not a learning signal; dividing their 1e-17 difference by a
 * 1e-17 std would otherwise amplify rounding noise.
 */
export const ZERO_SPREAD_ULPS = 4;

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
  m2: Float64Array;
  /** 1 where all of the group's values are equal (to {@link ZERO_SPREAD_ULPS}); its m2 is then 0. */
  zeroSpread: Uint8Array;
  /**
   * Largest magnitude among all values (from the extremes the first pass tracks anyway), for a
   * range check at no extra pass; NaN values are not seen here (they make their group's mean NaN).
   */
  largest: number;
}

/**
 * Moments of `values` within each of `numGroups` dense groups (`groupOf[i]` in 0..numGroups-1):
 * the mean relative to the group's first value, then squared deviations from it. Typed arrays only.
 *
 * Samples are walked in runs of equal group (batches list a prompt's samples together) with the
 * run's sums held in locals. Each group's additions still happen one sample at a time in sample
 * order, so the result is bit for bit the same whatever the layout; when every group is a single
 * run, both passes are done run by run while the run is in cache.
 */
export function groupMoments(values: Float64Array, groupOf: Int32Array, numGroups: number): GroupMoments {
  return contiguousGroupMoments(values, groupOf, numGroups) ?? scatteredGroupMoments(values, groupOf, numGroups);
}

/** {@link groupMoments} for any layout: pass 1 sums and extremes, pass 2 squared deviations. */
function scatteredGroupMoments(values: Float64Array, groupOf: Int32Array, numGroups: number): GroupMoments {
  const n = values.length;
  const count = new Int32Array(numGroups);
  const mean = new Float64Array(numGroups); // holds the reference (first value) until pass 1 ends
  const shifted = new Float64Array(numGroups);
  const min = new Float64Array(numGroups).fill(Infinity);
  const max = new Float64Array(numGroups).fill(-Infinity);
  const run = new Float64Array(3);
  for (let i = 0; i < n; ) {
    const g = groupOf[i]!;
    if (count[g] === 0) mean[g] = values[i]!;
    run[0] = shifted[g]!;
    run[1] = min[g]!;
    run[2] = max[g]!;
    const start = i;
    i = accumulateRun(values, groupOf, i, mean[g]!, run);
    count[g]! += i - start;
    shifted[g] = run[0]!;
    min[g] = run[1]!;
    max[g] = run[2]!;
  }
  const zeroSpread = new Uint8Array(numGroups);
  let largest = 0;
  for (let g = 0; g < numGroups; g++) {
    if (count[g]! > 0) mean[g]! += shifted[g]! / count[g]!;
    if (spreadIsZero(min[g]!, max[g]!)) zeroSpread[g] = 1;
    if (-min[g]! > largest) largest = -min[g]!;
    if (max[g]! > largest) largest = max[g]!;
  }
  const m2 = new Float64Array(numGroups);
  for (let i = 0; i < n; ) {
    const g = groupOf[i]!;
    const start = i;
    do i++;
    while (i < n && groupOf[i] === g);
    if (zeroSpread[g] === 1) continue;
    const mu = mean[g]!;
    let sum = m2[g]!;
    for (let k = start; k < i; k++) {
      const d = values[k]! - mu;
      sum += d * d;
    }
    m2[g] = sum;
  }
  return { count, mean, m2, zeroSpread, largest };
}

/**
 * {@link groupMoments} when each group is one run: the same operations in the same order, both
 * passes done run by run. Returns null, having wasted only the work so far, at the first group
 * that shows up in a second run (or at the end if a group has no sample).
 */
function contiguousGroupMoments(values: Float64Array, groupOf: Int32Array, numGroups: number): GroupMoments | null {
  const n = values.length;
  const count = new Int32Array(numGroups);
  const mean = new Float64Array(numGroups);
  const m2 = new Float64Array(numGroups);
  const zeroSpread = new Uint8Array(numGroups);
  let largest = 0;
  const run = new Float64Array(3);
  let runs = 0;
  for (let i = 0; i < n; ) {
    const g = groupOf[i]!;
    if (count[g] !== 0) return null;
    runs++;
    const start = i;
    const ref = values[i]!;
    run[0] = 0;
    run[1] = Infinity;
    run[2] = -Infinity;
    i = accumulateRun(values, groupOf, i, ref, run);
    const mu = ref + run[0]! / (i - start);
    count[g] = i - start;
    mean[g] = mu;
    if (-run[1]! > largest) largest = -run[1]!;
    if (run[2]! > largest) largest = run[2]!;
    if (spreadIsZero(run[1]!, run[2]!)) {
      zeroSpread[g] = 1;
      continue;
    }
    let squares = 0;
    for (let k = start; k < i; k++) {
      const d = values[k]! - mu;
      squares += d * d;
    }
    m2[g] = squares;
  }
  return runs === numGroups ? { count, mean, m2, zeroSpread, largest } : null; // an empty group: leave it to the general path
}

/**
 * Only the `zeroSpread` flags of {@link groupMoments} (same values), from one pass of per-group
 * minimum and maximum: for estimators that report the flag but use no generation-group moments.
 */
export function groupZeroSpread(values: Float64Array, groupOf: Int32Array, numGroups: number): Uint8Array {
  const n = values.length;
  const min = new Float64Array(numGroups).fill(Infinity);
  const max = new Float64Array(numGroups).fill(-Infinity);
  const extent = new Float64Array(2);
  for (let i = 0; i < n; ) {
    const g = groupOf[i]!;
    i = runExtent(values, groupOf, i, extent);
    if (extent[0]! < min[g]!) min[g] = extent[0]!;
    if (extent[1]! > max[g]!) max[g] = extent[1]!;
  }
  const zeroSpread = new Uint8Array(numGroups);
  for (let g = 0; g < numGroups; g++) if (spreadIsZero(min[g]!, max[g]!)) zeroSpread[g] = 1;
  return zeroSpread;
}

/**
 * Sets `out[i] = 1` (`out` all zeros on entry) where sample i's group has zero spread, for the usual
 * layout: each group one run, group ids increasing from run to run (prompts numbered in order, their
 * samples adjacent). Each run is then a whole group, so no dense ids are needed and its flags are
 * set while it is in cache. Returns false, having set only some flags, for any other layout.
 */
export function markZeroSpreadOfIncreasingRuns(values: Float64Array, ids: Int32Array, out: Uint8Array): boolean {
  const n = values.length;
  const extent = new Float64Array(2);
  let previousId = -Infinity;
  for (let i = 0; i < n; ) {
    const id = ids[i]!;
    if (id <= previousId) return false;
    previousId = id;
    const start = i;
    i = runExtent(values, ids, i, extent);
    if (spreadIsZero(extent[0]!, extent[1]!)) out.fill(1, start, i);
  }
  return true;
}

/**
 * Adds `v - ref` for each value of the run of equal ids starting at `start` to `acc[0]`, one at a
 * time in sample order (so sums match a sample-by-sample loop bit for bit), and folds the values
 * into the minimum `acc[1]` and maximum `acc[2]`; returns the index just past the run.
 */
function accumulateRun(values: Float64Array, ids: Int32Array, start: number, ref: number, acc: Float64Array): number {
  const n = values.length;
  const id = ids[start]!;
  let sum = acc[0]!;
  let lo = acc[1]!;
  let hi = acc[2]!;
  let i = start;
  do {
    const v = values[i]!;
    sum += v - ref;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    i++;
  } while (i < n && ids[i] === id);
  acc[0] = sum;
  acc[1] = lo;
  acc[2] = hi;
  return i;
}

/**
 * Minimum and maximum (into `extent`) of the run of equal ids that starts at `start`; returns the
 * index just past the run. Module-local, so that V8 can inline it into the loops above.
 */
function runExtent(values: Float64Array, ids: Int32Array, start: number, extent: Float64Array): number {
  const n = values.length;
  const id = ids[start]!;
  let lo = Infinity;
  let hi = -Infinity;
  let i = start;
  do {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    i++;
  } while (i < n && ids[i] === id);
  extent[0] = lo;
  extent[1] = hi;
  return i;
}

/** Whether values ranging from `lo` to `hi` count as equal, to {@link ZERO_SPREAD_ULPS} (true for an empty group: lo = Infinity, hi = -Infinity). */
// Module-local on purpose: hot loops elsewhere would call it through an export binding.
function spreadIsZero(lo: number, hi: number): boolean {
  return hi - lo <= ZERO_SPREAD_ULPS * Number.EPSILON * Math.max(Math.abs(lo), Math.abs(hi));
}
