/**
 * Area under a learning curve, normalised to an average level.
 */
import { DataFrame } from 'danfojs-node';
import { ALL_GROUPS } from '../frames';
import { summariseOverSeeds, type SeedSummaryOptions, type SeedSummaryRow } from './aggregate';
import { smoothedSeries, type CurveOptions } from './curves';
import { rowsToFrame, withoutLabels, type RunLabels, type MetricInput } from './input';

/**
 * Trapezoid area under (steps, values) divided by the step span (last - first step): the curve's
 * time-averaged level, in the metric's units, comparable between runs of different lengths. A curve
 * with one point has no span; its normalised area is that point's value. Steps must increase strictly.
 */
export function normalisedArea(steps: readonly number[], values: readonly number[]): number {
  if (steps.length !== values.length) throw new Error(`steps and values must have equal length (${steps.length} vs ${values.length})`);
  if (steps.length === 0) throw new Error('normalisedArea needs at least one point');
  if (steps.length === 1) return values[0]!;
  let area = 0;
  for (let i = 1; i < steps.length; i++) {
    const width = steps[i]! - steps[i - 1]!;
    if (!(width > 0)) throw new Error(`steps must increase strictly (steps[${i - 1}] = ${steps[i - 1]}, steps[${i}] = ${steps[i]})`);
    area += (width * (values[i]! + values[i - 1]!)) / 2;
  }
  return area / (steps[steps.length - 1]! - steps[0]!);
}

/** One seed's normalised area for one group. */
export type AreaRow = RunLabels & { group: string; metric: string; auc: number };

/**
 * Normalised area under each seed's (smoothed) curve per group, see {@link normalisedArea}.
 * Without `groups`, the whole-batch group `all` is left out.
 */
export function curveAreas(input: MetricInput, opts: CurveOptions = {}): AreaRow[] {
  const series = smoothedSeries(input, opts).filter((s) => opts.groups || s.group !== ALL_GROUPS);
  return series.map((s) => ({ ...s.labels, group: s.group, metric: s.metric, auc: normalisedArea(s.steps, s.values) }) as AreaRow);
}

/** {@link curveAreas} averaged over seeds per (setting, group) with a bootstrap interval. */
export function curveAreaSummary(input: MetricInput, opts: CurveOptions & SeedSummaryOptions = {}): SeedSummaryRow[] {
  const seedKey = opts.seedKey ?? 'seed';
  return summariseOverSeeds(curveAreas(input, opts).map((r) => ({ key: withoutLabels(r, [seedKey, 'auc']), value: r.auc })), opts);
}

/** {@link curveAreas} as a DataFrame. */
export function curveAreasFrame(input: MetricInput, opts: CurveOptions = {}): DataFrame {
  return rowsToFrame(curveAreas(input, opts), ['group', 'metric', 'auc']);
}
/** {@link curveAreaSummary} as a DataFrame. */
export function curveAreaSummaryFrame(input: MetricInput, opts: CurveOptions & SeedSummaryOptions = {}): DataFrame {
  return rowsToFrame(curveAreaSummary(input, opts), ['group', 'metric', 'n_seeds', 'n_censored', 'mean', 'lower', 'upper']);
}
