/**
 * Paired comparison of two methods on the same seeds: the final value of a metric for method A minus
 * method B, seed by seed (same data, same initialisation), with a bootstrap interval of the mean
 * difference and how many seeds A came out lower.
 */
import { bootstrapMeanInterval, type BootstrapOptions } from './bootstrap';
import { collectSeries, describeRun, labelKey, withoutLabels, type MetricInput, type RunLabels } from './input';

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
export type PairedRow = RunLabels & {
  metric: string;
  group: string;
  comparison: string;
  n_seeds: number;
  mean_a: number;
  mean_b: number;
  /** Mean over seeds of (a - b) at each run's last logged step. */
  mean_difference: number;
  lower: number;
  upper: number;
  /** Seeds where a's final value is strictly lower than b's. */
  a_lower_in: number;
};

/**
 * Final-step values of `metric` for `group`, paired by seed between methods `a` and `b`, in each
 * setting. A seed present for only one method is an error (a pairing would silently drop it).
 */
export function pairedFinalDifference(input: MetricInput, opts: PairedOptions): PairedRow[] {
  const methodKey = opts.methodKey ?? 'method';
  const seedKey = opts.seedKey ?? 'seed';
  const finals = new Map<string, { setting: RunLabels; a: Map<string, number>; b: Map<string, number> }>();
  for (const s of collectSeries(input, opts.metric)) {
    if (s.group !== opts.group) continue;
    const method = String(s.labels[methodKey]);
    if (method !== opts.a && method !== opts.b) continue;
    const setting = withoutLabels(s.labels, [methodKey, seedKey]);
    const key = labelKey(setting);
    const entry = finals.get(key) ?? { setting, a: new Map(), b: new Map() };
    (method === opts.a ? entry.a : entry.b).set(String(s.labels[seedKey]), s.values[s.values.length - 1]!);
    finals.set(key, entry);
  }
  if (finals.size === 0) throw new Error(`no '${opts.metric}' rows for group '${opts.group}' and methods '${opts.a}', '${opts.b}'`);
  return [...finals.values()].map(({ setting, a, b }) => {
    for (const seed of new Set([...a.keys(), ...b.keys()])) {
      if (!a.has(seed) || !b.has(seed)) {
        throw new Error(`seed ${seed} of ${describeRun(setting)} has '${opts.metric}' for only one of '${opts.a}' and '${opts.b}'`);
      }
    }
    const seeds = [...a.keys()].sort();
    const diffs = seeds.map((s) => a.get(s)! - b.get(s)!);
    const ci = bootstrapMeanInterval(diffs, opts);
    const mean = (m: Map<string, number>) => seeds.reduce((t, s) => t + m.get(s)!, 0) / seeds.length;
    return {
      ...setting,
      metric: opts.metric,
      group: opts.group,
      comparison: `${opts.a} - ${opts.b}`,
      n_seeds: seeds.length,
      mean_a: mean(a),
      mean_b: mean(b),
      mean_difference: ci.mean,
      lower: ci.lower,
      upper: ci.upper,
      a_lower_in: diffs.filter((d) => d < 0).length,
    };
  });
}
