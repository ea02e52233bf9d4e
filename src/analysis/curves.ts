/**
 * Per-group learning curves averaged over seeds, with bootstrap intervals per step.
 */
import { DataFrame } from 'danfojs-node';
import { bootstrapMeanInterval, bootstrapSettings, type BootstrapOptions } from './bootstrap';
import { labelKey, requireSeries, rowsToFrame, withoutLabels, type RunLabels, type MetricInput, type MetricSeries } from './input';
import { smoothCurve, type Smoothing } from './smoothing';

/** Options shared by curve-based metrics. */
export interface CurveOptions extends BootstrapOptions {
  /** Metric to read (default `reward_mean`). */
  metric?: string;
  /** Smoothing applied to each seed's curve before anything else (default none). */
  smoothing?: Smoothing;
  /** Label that distinguishes seeds (default `seed`); every other label identifies the method/setting. */
  seedKey?: string;
  /** Keep only these groups (default: every group, including `all` if logged). An unknown name is an error. */
  groups?: readonly string[];
}

/** One point of an averaged curve. */
export type CurveRow = RunLabels & {
  group: string;
  metric: string;
  step: number;
  mean: number;
  lower: number;
  upper: number;
  n_seeds: number;
};

/** MetricSeries of one metric, smoothed, restricted to `groups` (checked to exist). */
export function smoothedSeries(input: MetricInput, opts: CurveOptions = {}): MetricSeries[] {
  const metric = opts.metric ?? 'reward_mean';
  let series = requireSeries(input, metric);
  if (opts.groups) {
    const present = new Set(series.map((s) => s.group));
    for (const g of opts.groups) if (!present.has(g)) throw new Error(`groups: '${g}' has no '${metric}' rows (groups logged: ${[...present].join(', ')})`);
    series = series.filter((s) => opts.groups!.includes(s.group));
  }
  return series.map((s) => ({ ...s, values: smoothCurve(s.values, opts.smoothing) }));
}

/**
 * Averages curves over seeds: one row per (setting, group, step) with the mean over the seeds that
 * logged that step, its bootstrap percentile interval and `n_seeds`. Seeds are smoothed first
 * (see {@link Smoothing}), then averaged. Settings are the labels other than `seedKey`.
 */
export function averageCurves(series: readonly MetricSeries[], opts: CurveOptions = {}): CurveRow[] {
  const seedKey = opts.seedKey ?? 'seed';
  const boot = bootstrapSettings(opts);
  const cells = new Map<string, { labels: RunLabels; group: string; metric: string; byStep: Map<number, number[]> }>();
  for (const s of series) {
    const labels = withoutLabels(s.labels, [seedKey]);
    const k = `${labelKey(labels)}|${s.group}|${s.metric}`;
    let cell = cells.get(k);
    if (!cell) cells.set(k, (cell = { labels, group: s.group, metric: s.metric, byStep: new Map() }));
    s.steps.forEach((step, i) => {
      let list = cell!.byStep.get(step);
      if (!list) cell!.byStep.set(step, (list = []));
      list.push(s.values[i]!);
    });
  }
  const rows: CurveRow[] = [];
  for (const { labels, group, metric, byStep } of cells.values()) {
    for (const step of [...byStep.keys()].sort((a, b) => a - b)) {
      const sample = byStep.get(step)!;
      const { mean, lower, upper } = bootstrapMeanInterval(sample, boot);
      rows.push({ ...labels, group, metric, step, mean, lower, upper, n_seeds: sample.length } as CurveRow);
    }
  }
  return rows;
}

/** Per-group learning curves (mean over seeds with bootstrap 95% interval) as records. See {@link averageCurves}. */
export function learningCurves(input: MetricInput, opts: CurveOptions = {}): CurveRow[] {
  return averageCurves(smoothedSeries(input, opts), opts);
}

/** {@link learningCurves} as a DataFrame. */
export function learningCurvesFrame(input: MetricInput, opts: CurveOptions = {}): DataFrame {
  return rowsToFrame(learningCurves(input, opts), CURVE_COLUMNS);
}

const CURVE_COLUMNS = ['group', 'metric', 'step', 'mean', 'lower', 'upper', 'n_seeds'];
