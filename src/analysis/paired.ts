/**
 * Paired comparison of two methods on the same seeds (same data, same initialisation): per-seed
 * differences A - B of an outcome, with a bootstrap interval of the mean difference and how many
 * seeds A came out lower. {@link pairedDifference} pairs any per-seed rows (recovery times, final
 * values); {@link pairedFinalDifference} pairs the last logged value of a metric.
 */
import { bootstrapMeanInterval, type BootstrapOptions } from './bootstrap';
import { finalValues } from './final';
import { describeRun, labelKey, type MetricInput, type RunLabels } from './input';

/** Options of {@link pairedDifference}. */
export interface PairedDifferenceOptions extends BootstrapOptions {
  /** Numeric field compared (e.g. `recovery_step`, `value`). */
  value: string;
  /** The two methods: the result is `a - b`. */
  a: string;
  b: string;
  /** Fields that define a setting; rows are paired within each setting (default: one setting). */
  by?: readonly string[];
  /** Boolean field marking a censored outcome: a pair with either side censored is counted, not compared. */
  censored?: string;
  /** Field holding the method (default `method`) and the seed (default `seed`). */
  methodKey?: string;
  seedKey?: string;
}

/** One setting's paired result: the `by` fields, then the comparison. */
export type PairedDifferenceRow = RunLabels & {
  comparison: string;
  /** Seeds present for both methods. */
  n_seeds: number;
  /** Of those, pairs left out because either side is censored (only with the `censored` option). */
  n_censored_pairs?: number;
  /** Means over the compared (uncensored) pairs. */
  mean_a: number;
  mean_b: number;
  mean_difference: number;
  lower: number;
  upper: number;
  /** Compared pairs where a's value is strictly lower than b's. */
  a_lower_in: number;
};

/**
 * Pairs `rows` by seed between methods `a` and `b` within each setting and summarises the
 * differences. A seed present for only one method is an error (a pairing would silently drop it);
 * with no uncensored pair, the mean and interval are NaN.
 */
export function pairedDifference(rows: readonly Record<string, unknown>[], opts: PairedDifferenceOptions): PairedDifferenceRow[] {
  const methodKey = opts.methodKey ?? 'method';
  const seedKey = opts.seedKey ?? 'seed';
  const by = opts.by ?? [];
  type Outcome = { value: number; censored: boolean };
  const settings = new Map<string, { setting: RunLabels; a: Map<string, Outcome>; b: Map<string, Outcome> }>();
  rows.forEach((row, i) => {
    const method = String(row[methodKey]);
    if (method !== opts.a && method !== opts.b) return;
    const value = row[opts.value];
    if (typeof value !== 'number') throw new Error(`rows[${i}].${opts.value} must be a number, got ${String(value)}`);
    const setting: RunLabels = {};
    for (const k of by) setting[k] = row[k] as string | number;
    const key = labelKey(setting);
    const entry = settings.get(key) ?? { setting, a: new Map(), b: new Map() };
    const censored = opts.censored !== undefined && row[opts.censored] === true;
    (method === opts.a ? entry.a : entry.b).set(String(row[seedKey]), { value, censored });
    settings.set(key, entry);
  });
  if (settings.size === 0) throw new Error(`no rows for methods '${opts.a}' and '${opts.b}'`);
  return [...settings.values()].map(({ setting, a, b }) => {
    for (const seed of new Set([...a.keys(), ...b.keys()])) {
      if (!a.has(seed) || !b.has(seed)) {
        throw new Error(`seed ${seed} of ${describeRun(setting)} has '${opts.value}' for only one of '${opts.a}' and '${opts.b}'`);
      }
    }
    const seeds = [...a.keys()].sort();
    const compared = seeds.filter((s) => !a.get(s)!.censored && !b.get(s)!.censored);
    const diffs = compared.map((s) => a.get(s)!.value - b.get(s)!.value);
    const ci = diffs.length > 0 ? bootstrapMeanInterval(diffs, opts) : { mean: NaN, lower: NaN, upper: NaN };
    const mean = (m: Map<string, Outcome>) => (compared.length > 0 ? compared.reduce((t, s) => t + m.get(s)!.value, 0) / compared.length : NaN);
    return {
      ...setting,
      comparison: `${opts.a} - ${opts.b}`,
      n_seeds: seeds.length,
      ...(opts.censored !== undefined ? { n_censored_pairs: seeds.length - compared.length } : {}),
      mean_a: mean(a),
      mean_b: mean(b),
      mean_difference: ci.mean,
      lower: ci.lower,
      upper: ci.upper,
      a_lower_in: diffs.filter((d) => d < 0).length,
    };
  });
}

/** Options of {@link pairedFinalDifference}. */
export interface PairedOptions extends BootstrapOptions {
  metric: string;
  /** Preference group whose metric is compared (e.g. `all` for worst-group metrics). */
  group: string;
  /** The two methods: the result is `a - b`. */
  a: string;
  b: string;
  /** Label holding the method (default `method`) and the seed (default `seed`). */
  methodKey?: string;
  seedKey?: string;
}

/** One setting's paired result (setting = every other label, e.g. a split or a conversation). */
export type PairedRow = PairedDifferenceRow & { metric: string; group: string };

/**
 * Final-step values of `metric` for `group`, paired by seed between methods `a` and `b`, in each
 * setting. A seed present for only one method is an error (a pairing would silently drop it).
 */
export function pairedFinalDifference(input: MetricInput, opts: PairedOptions): PairedRow[] {
  const methodKey = opts.methodKey ?? 'method';
  const seedKey = opts.seedKey ?? 'seed';
  const finals = finalValues(input, { metric: opts.metric, group: opts.group }).filter((r) => r.labels[methodKey] === opts.a || r.labels[methodKey] === opts.b);
  if (finals.length === 0) throw new Error(`no '${opts.metric}' rows for group '${opts.group}' and methods '${opts.a}', '${opts.b}'`);
  // Every label except method and seed defines the setting, then the metric and group columns.
  const labels = [...new Set(finals.flatMap((r) => Object.keys(r.labels)))].filter((k) => k !== methodKey && k !== seedKey);
  const rows = finals.map((r) => ({ ...r.labels, metric: r.metric, group: r.group, value: r.value }));
  const { metric: _m, group: _g, ...pairing } = opts;
  return pairedDifference(rows, { ...pairing, value: 'value', by: [...labels, 'metric', 'group'] }) as PairedRow[];
}
