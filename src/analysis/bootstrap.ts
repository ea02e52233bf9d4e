/**
 * Bootstrap percentile intervals for a mean, drawn from the kit's seeded {@link Rng}.
 */
import { Rng } from '../random';

/** Settings for bootstrap intervals. */
export interface BootstrapOptions {
  /** Number of bootstrap resamples (default 2000). */
  resamples?: number;
  /** Coverage of the interval (default 0.95). */
  level?: number;
  /** Seed of the resampling stream (default 0). Every interval starts a fresh `new Rng(seed)`, so a cell's interval does not depend on which other cells were computed. */
  seed?: number;
}

/** A mean with its bootstrap interval. */
export interface MeanInterval {
  mean: number;
  lower: number;
  upper: number;
  n: number;
}

/** Validated bootstrap settings with defaults filled in. */
export function bootstrapSettings(opts: BootstrapOptions = {}): Required<BootstrapOptions> {
  const resamples = opts.resamples ?? 2000;
  const level = opts.level ?? 0.95;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new Error(`level must lie in (0, 1), got ${level}`);
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  return { resamples, level, seed };
}

/** Linear-interpolation quantile of an ascending array (the `(n-1)p` rule, as numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Mean of `sample` and its bootstrap percentile interval.
 *
 * Resample b draws n indices with `rng.int(n)` (in order, from one `new Rng(seed)` shared by all
 * resamples) and records their mean; the interval is the ((1-level)/2, (1+level)/2) quantiles of
 * the sorted resample means. One value gives a zero-width interval: report n with it.
 */
export function bootstrapMeanInterval(sample: readonly number[], opts: BootstrapOptions = {}): MeanInterval {
  const { resamples, level, seed } = bootstrapSettings(opts);
  const n = sample.length;
  if (n === 0) throw new Error('bootstrapMeanInterval needs a non-empty sample');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(sample[i]!)) throw new Error(`sample[${i}] must be finite, got ${sample[i]}`);
  }
  const mean = sample.reduce((s, v) => s + v, 0) / n;
  const rng = new Rng(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sample[rng.int(n)]!;
    means[b] = sum / n;
  }
  means.sort();
  const tail = (1 - level) / 2;
  return { mean, lower: quantileSorted(means, tail), upper: quantileSorted(means, 1 - tail), n };
}
