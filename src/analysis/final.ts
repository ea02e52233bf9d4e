/**
 * The last logged value of a metric in every run, and its summary over seeds.
 */
import { summariseOverSeeds, type SeedSummaryOptions, type SeedSummaryRow } from './aggregate';
import { requireSeries, withoutLabels, type MetricInput, type RunLabels } from './input';

/** One run's last logged value of one metric for one group. */
export interface FinalValue {
  labels: RunLabels;
  group: string;
  metric: string;
  step: number;
  value: number;
}

/** Options of {@link finalValues} and {@link finalValueSummary}. */
export interface FinalValueOptions {
  metric: string;
  /** Only this preference group (default: every group). */
  group?: string;
}

/** The value at each run's last logged step, per (run, group), in the order runs first appear. */
export function finalValues(input: MetricInput, opts: FinalValueOptions): FinalValue[] {
  return requireSeries(input, opts.metric)
    .filter((s) => opts.group === undefined || s.group === opts.group)
    .map((s) => ({ labels: s.labels, group: s.group, metric: s.metric, step: s.steps[s.steps.length - 1]!, value: s.values[s.values.length - 1]! }));
}

/**
 * Final values summarised over seeds: mean and bootstrap interval for every combination of the
 * other labels (method, split, ...), one row each with `metric` and `group` after those labels.
 */
export function finalValueSummary(input: MetricInput, opts: FinalValueOptions & SeedSummaryOptions & { seedKey?: string }): SeedSummaryRow[] {
  const seedKey = opts.seedKey ?? 'seed';
  const finals = finalValues(input, opts);
  if (finals.length === 0) throw new Error(`no '${opts.metric}' rows for group '${opts.group}' (groups present: ${[...new Set(finalValues(input, { metric: opts.metric }).map((f) => f.group))].join(', ')})`);
  const outcomes = finals.map((f) => ({ key: { ...withoutLabels(f.labels, [seedKey]), metric: f.metric, group: f.group }, value: f.value }));
  return summariseOverSeeds(outcomes, opts);
}
