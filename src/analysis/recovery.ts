/**
 * Minority-recovery times: how long a group takes to reach a share of its best reward, and how long
 * the majority-minority gap takes to close for good.
 */
import { DataFrame } from 'danfojs-node';
import { ALL_GROUPS } from '../frames';
import { summariseOverSeeds, type SeedSummaryOptions, type SeedSummaryRow } from './aggregate';
import { smoothedSeries, type CurveOptions } from './curves';
import { describeRun, labelKey, rowsToFrame, withoutLabels, type RunLabels, type MetricInput, type MetricSeries } from './input';

/**
 * First logged step at which `values[i] >= threshold`, or `Infinity` when the curve never gets there
 * (right-censored at the last logged step).
 */
export function firstStepAtOrAbove(steps: readonly number[], values: readonly number[], threshold: number): number {
  for (let i = 0; i < values.length; i++) if (values[i]! >= threshold) return steps[i]!;
  return Infinity;
}

/**
 * First logged step s such that `gaps[j] < delta` for every logged step j >= s, or `Infinity` when the
 * last gap is still >= delta (the gap has not closed by the end of the run: right-censored).
 */
export function firstStepStayingBelow(steps: readonly number[], gaps: readonly number[], delta: number): number {
  let i = gaps.length;
  while (i > 0 && gaps[i - 1]! < delta) i--;
  return i === gaps.length ? Infinity : steps[i]!;
}

/** Options for {@link recoveryTimes}. */
export interface RecoveryOptions extends CurveOptions {
  /** Best achievable reward per group (e.g. the max of the reward table for that group); must be > 0. */
  best: Readonly<Record<string, number>>;
  /** Fraction of the best reward to reach, in (0, 1] (default 0.9). */
  fraction?: number;
}

/** One seed's recovery time for one group. */
export type RecoveryRow = RunLabels & {
  group: string;
  fraction: number;
  threshold: number;
  /** Logged step at which the smoothed curve first reached the threshold; `Infinity` when censored. */
  recovery_step: number;
  censored: boolean;
  /** Last logged step of the run (the censoring time). */
  last_step: number;
};

function resolveGroups(series: MetricSeries[], opts: CurveOptions): MetricSeries[] {
  // Without an explicit list the whole-batch group is left out: it is not a preference group.
  return opts.groups ? series : series.filter((s) => s.group !== ALL_GROUPS);
}

/**
 * Recovery time per seed and group, definition (a): the first logged step at which the group's smoothed
 * curve of `metric` (default `reward_mean`) is >= `fraction * best[group]`. A curve that dips again later
 * still counts as recovered at its first crossing. Never reaching it gives `recovery_step = Infinity`,
 * `censored = true` (kept in the output, never dropped). Steps are the logged step values, so logs that
 * start at step 0 give the number of updates taken.
 */
export function recoveryTimes(input: MetricInput, opts: RecoveryOptions): RecoveryRow[] {
  const fraction = opts.fraction ?? 0.9;
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`fraction must lie in (0, 1], got ${fraction}`);
  if (opts.best === null || typeof opts.best !== 'object') throw new Error('best must map each group to its best achievable reward');
  const series = resolveGroups(smoothedSeries(input, opts), opts);
  return series.map((s) => {
    const best = opts.best[s.group];
    if (best === undefined) throw new Error(`best has no entry for group '${s.group}'`);
    if (!(Number.isFinite(best) && best > 0)) throw new Error(`best['${s.group}'] must be a positive finite reward, got ${best}`);
    const threshold = fraction * best;
    const step = firstStepAtOrAbove(s.steps, s.values, threshold);
    return {
      ...s.labels,
      group: s.group,
      fraction,
      threshold,
      recovery_step: step,
      censored: !Number.isFinite(step),
      last_step: s.steps[s.steps.length - 1]!,
    } as RecoveryRow;
  });
}

/** Options for summaries over seeds. */
export type RecoverySummaryOptions = RecoveryOptions & SeedSummaryOptions;

/**
 * {@link recoveryTimes} aggregated over seeds per (setting, group): mean recovery step, bootstrap interval,
 * `n_seeds` and `n_censored` (see {@link CensoredRule} for how censored seeds enter the mean).
 */
export function recoverySummary(input: MetricInput, opts: RecoverySummaryOptions): SeedSummaryRow[] {
  const seedKey = opts.seedKey ?? 'seed';
  return summariseOverSeeds(
    recoveryTimes(input, opts).map((r) => ({
      key: withoutLabels(r, [seedKey, 'recovery_step', 'censored', 'last_step']),
      value: r.recovery_step,
      censored: r.censored,
      horizon: r.last_step,
    })),
    opts,
  );
}

/** Options for {@link gapClosingTimes}. */
export interface GapOptions extends CurveOptions {
  majority: string;
  minority: string;
  /** Gap tolerance, > 0, in the metric's units. */
  delta: number;
}

/** One seed's gap-closing time. */
export type GapRow = RunLabels & {
  majority: string;
  minority: string;
  delta: number;
  /** First logged step from which the smoothed gap stays below delta to the end; `Infinity` when censored. */
  recovery_step: number;
  censored: boolean;
  last_step: number;
  /** |majority - minority| of the smoothed curves at the last logged step. */
  final_gap: number;
};

/**
 * Gap-closing time per seed, definition (b): each group's curve is smoothed first, then
 * gap_t = |majority_t - minority_t| at each logged step; the result is the first step s such that
 * gap_t < delta for every logged t >= s (a gap that closes and reopens counts from its last closing).
 * A gap still >= delta at the last step gives `Infinity` with `censored = true`. The two groups must be
 * logged at the same steps within a run.
 */
export function gapClosingTimes(input: MetricInput, opts: GapOptions): GapRow[] {
  const { majority, minority, delta } = opts;
  if (!(Number.isFinite(delta) && delta > 0)) throw new Error(`delta must be a positive finite number, got ${delta}`);
  if (majority === minority) throw new Error(`majority and minority must differ, both are '${majority}'`);
  const series = smoothedSeries(input, { ...opts, groups: [majority, minority] });
  const runs = new Map<string, { labels: RunLabels; maj?: MetricSeries; min?: MetricSeries }>();
  for (const s of series) {
    const k = labelKey(s.labels);
    let run = runs.get(k);
    if (!run) runs.set(k, (run = { labels: s.labels }));
    if (s.group === majority) run.maj = s;
    else run.min = s;
  }
  const rows: GapRow[] = [];
  for (const { labels, maj, min } of runs.values()) {
    if (!maj || !min) throw new Error(`run ${describeRun(labels)} lacks group '${maj ? minority : majority}'`);
    if (maj.steps.length !== min.steps.length || maj.steps.some((st, i) => st !== min.steps[i])) {
      throw new Error(`run ${describeRun(labels)}: groups '${majority}' and '${minority}' are logged at different steps`);
    }
    const gaps = maj.values.map((v, i) => Math.abs(v - min.values[i]!));
    const step = firstStepStayingBelow(maj.steps, gaps, delta);
    rows.push({
      ...labels,
      majority,
      minority,
      delta,
      recovery_step: step,
      censored: !Number.isFinite(step),
      last_step: maj.steps[maj.steps.length - 1]!,
      final_gap: gaps[gaps.length - 1]!,
    } as GapRow);
  }
  return rows;
}

/** {@link gapClosingTimes} aggregated over seeds per setting, censored seeds counted. */
export function gapClosingSummary(input: MetricInput, opts: GapOptions & SeedSummaryOptions): SeedSummaryRow[] {
  const seedKey = opts.seedKey ?? 'seed';
  return summariseOverSeeds(
    gapClosingTimes(input, opts).map((r) => ({
      key: withoutLabels(r, [seedKey, 'recovery_step', 'censored', 'last_step', 'final_gap']),
      value: r.recovery_step,
      censored: r.censored,
      horizon: r.last_step,
    })),
    opts,
  );
}

const SUMMARY_COLUMNS = ['n_seeds', 'n_censored', 'mean', 'lower', 'upper'];

/** {@link recoveryTimes} as a DataFrame. */
export function recoveryTimesFrame(input: MetricInput, opts: RecoveryOptions): DataFrame {
  return rowsToFrame(recoveryTimes(input, opts), ['group', 'fraction', 'threshold', 'recovery_step', 'censored', 'last_step']);
}
/** {@link recoverySummary} as a DataFrame. */
export function recoverySummaryFrame(input: MetricInput, opts: RecoverySummaryOptions): DataFrame {
  return rowsToFrame(recoverySummary(input, opts), ['group', 'fraction', 'threshold', ...SUMMARY_COLUMNS]);
}
/** {@link gapClosingTimes} as a DataFrame. */
export function gapClosingTimesFrame(input: MetricInput, opts: GapOptions): DataFrame {
  return rowsToFrame(gapClosingTimes(input, opts), ['majority', 'minority', 'delta', 'recovery_step', 'censored', 'last_step', 'final_gap']);
}
/** {@link gapClosingSummary} as a DataFrame. */
export function gapClosingSummaryFrame(input: MetricInput, opts: GapOptions & SeedSummaryOptions): DataFrame {
  return rowsToFrame(gapClosingSummary(input, opts), ['majority', 'minority', 'delta', ...SUMMARY_COLUMNS]);
}
