/**
 * Aggregation of per-seed results over seeds: mean and bootstrap interval, with censored seeds counted.
 */
import { bootstrapMeanInterval, bootstrapSettings, type BootstrapOptions } from './bootstrap';
import { labelKey, type RunLabels } from './input';

/** One seed's result for one cell (method, group, sweep value, ...). */
export interface SeedOutcome {
  /** Fields that identify the cell; everything except the seed. Output rows keep them in this order. */
  key: RunLabels;
  /** The value; `Infinity` for a censored time. */
  value: number;
  /** True when the event was not observed within the run (right-censored). */
  censored?: boolean;
  /** Last logged step of the run: the censoring time used by the `horizon` rule. */
  horizon?: number;
}

/**
 * What to do with censored seeds when averaging.
 * - `exclude` (default): average only the seeds that reached the event; `n_censored` says how many did
 *   not. The mean is then the mean over reaching seeds, optimistic when many are censored.
 * - `horizon`: count a censored seed as reaching at its last logged step, which makes the mean a lower
 *   bound on the true mean time.
 * Either way `n_censored` is reported; when every seed is censored under `exclude`, mean and interval are NaN.
 */
export type CensoredRule = 'exclude' | 'horizon';

/** Options for {@link summariseOverSeeds}. */
export interface SeedSummaryOptions extends BootstrapOptions {
  censored?: CensoredRule;
}

/** Summary of one cell over seeds. */
export type SeedSummaryRow = RunLabels & {
  n_seeds: number;
  n_censored: number;
  mean: number;
  lower: number;
  upper: number;
  /** Longest run's last logged step, present when outcomes carry a horizon (time-to-event metrics). */
  last_step?: number;
};

/** Groups outcomes by `key` (first-seen order) and returns mean and bootstrap interval per cell. */
export function summariseOverSeeds(outcomes: readonly SeedOutcome[], opts: SeedSummaryOptions = {}): SeedSummaryRow[] {
  const rule = opts.censored ?? 'exclude';
  if (rule !== 'exclude' && rule !== 'horizon') throw new Error(`censored must be 'exclude' or 'horizon', got ${String(rule)}`);
  const boot = bootstrapSettings(opts);
  const cells = new Map<string, { key: RunLabels; items: SeedOutcome[] }>();
  for (const o of outcomes) {
    const k = labelKey(o.key);
    let cell = cells.get(k);
    if (!cell) cells.set(k, (cell = { key: o.key, items: [] }));
    cell.items.push(o);
  }
  const rows: SeedSummaryRow[] = [];
  for (const { key, items } of cells.values()) {
    const sample: number[] = [];
    let nCensored = 0;
    for (const o of items) {
      if (o.censored) {
        nCensored++;
        if (rule === 'horizon') {
          if (o.horizon === undefined || !Number.isFinite(o.horizon)) throw new Error(`censored rule 'horizon' needs a finite horizon for every censored seed (cell ${JSON.stringify(key)})`);
          sample.push(o.horizon);
        }
      } else {
        sample.push(o.value);
      }
    }
    const stats = sample.length > 0 ? bootstrapMeanInterval(sample, boot) : { mean: NaN, lower: NaN, upper: NaN };
    const row = { ...key, n_seeds: items.length, n_censored: nCensored, mean: stats.mean, lower: stats.lower, upper: stats.upper } as SeedSummaryRow;
    if (items.every((o) => o.horizon !== undefined)) row.last_step = Math.max(...items.map((o) => o.horizon!));
    rows.push(row);
  }
  return rows;
}
