/**
 * Normalising metric logs for analysis: records or DataFrames in, validated series out.
 *
 * A *run* is identified by every label on a record other than `step`, `group`, `metric` and `value`
 * (typically `method` and `seed`, plus sweep labels such as `share`). A *series* is one run's values of
 * one metric for one preference group, ordered by step.
 */
import { DataFrame } from 'danfojs-node';
import { frameToRecords, recordsToFrame, type MetricRecord } from '../frames';

/** Metric logs as plain long-form records or as a danfojs DataFrame with the same columns. */
export type MetricInput = readonly MetricRecord[] | DataFrame;

/** Label values carried through analysis (method, seed, share, ...); result rows also hold flags, hence boolean. */
export type RunLabels = Record<string, string | number | boolean>;

/** One run's values of one metric for one group, sorted by step. */
export interface MetricSeries {
  labels: RunLabels;
  group: string;
  metric: string;
  steps: number[];
  values: number[];
}

const CORE_FIELDS = new Set(['step', 'group', 'metric', 'value']);

/** Accepts records or a DataFrame and returns plain records; `param` names the argument in errors. */
export function inputRecords<T = Record<string, unknown>>(input: readonly T[] | DataFrame, param = 'records'): T[] {
  if (Array.isArray(input)) return input as T[];
  if (input instanceof DataFrame) return frameToRecords<T>(input);
  throw new Error(`${param} must be an array of records or a danfojs DataFrame`);
}

/** The labels of a record: every field except step, group, metric and value. */
export function labelsOf(record: Record<string, unknown>): RunLabels {
  const labels: RunLabels = {};
  for (const [k, v] of Object.entries(record)) {
    if (CORE_FIELDS.has(k) || v === undefined || v === null) continue;
    if (typeof v !== 'string' && typeof v !== 'number') {
      throw new Error(`label '${k}' must be a string or number, got ${typeof v}`);
    }
    labels[k] = v;
  }
  return labels;
}

/** A stable text key for a label set (sorted by label name). */
export function labelKey(labels: RunLabels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

/** Copy of `labels` without the named keys. */
export function withoutLabels(labels: RunLabels, drop: readonly string[]): RunLabels {
  const out: RunLabels = {};
  for (const [k, v] of Object.entries(labels)) if (!drop.includes(k)) out[k] = v;
  return out;
}

/** Human-readable label set for error messages. */
export function describeRun(labels: RunLabels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return parts.length ? `{${parts.join(', ')}}` : '{no labels}';
}

/**
 * Splits long-form logs into series of one metric: one per (run, group), sorted by step.
 * Throws on a malformed row (naming its index and field), on a non-finite value, and on a step
 * logged twice for the same run and group (which means two runs share labels, e.g. a missing seed).
 */
export function collectSeries(input: MetricInput, metric: string, param = 'records'): MetricSeries[] {
  const rows = inputRecords<Record<string, unknown>>(input as never, param);
  const byKey = new Map<string, { labels: RunLabels; group: string; points: [number, number][] }>();
  rows.forEach((row, i) => {
    if (row.metric !== metric) return;
    const { step, group, value } = row;
    if (typeof step !== 'number' || !Number.isFinite(step)) throw new Error(`${param}[${i}].step must be a finite number, got ${String(step)}`);
    if (typeof group !== 'string' || group === '') throw new Error(`${param}[${i}].group must be a non-empty string, got ${String(group)}`);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new Error(`${param}[${i}].value must be a finite number for metric '${metric}', got ${String(value)} (group ${group}, step ${step})`);
    }
    const labels = labelsOf(row);
    const key = `${labelKey(labels)}|${group}`;
    let entry = byKey.get(key);
    if (!entry) byKey.set(key, (entry = { labels, group, points: [] }));
    entry.points.push([step, value]);
  });
  const series: MetricSeries[] = [];
  for (const { labels, group, points } of byKey.values()) {
    points.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < points.length; i++) {
      if (points[i]![0] === points[i - 1]![0]) {
        throw new Error(`step ${points[i]![0]} is logged twice for metric '${metric}', group ${group}, run ${describeRun(labels)}; give each run distinct labels (e.g. seed)`);
      }
    }
    series.push({ labels, group, metric, steps: points.map((p) => p[0]), values: points.map((p) => p[1]) });
  }
  return series;
}

/** Like {@link collectSeries} but fails when the metric is absent, so a typo is not an empty result. */
export function requireSeries(input: MetricInput, metric: string, param = 'records'): MetricSeries[] {
  const series = collectSeries(input, metric, param);
  if (series.length === 0) throw new Error(`${param} has no rows with metric '${metric}'`);
  return series;
}

/**
 * Builds a DataFrame from result rows whose label columns may differ between rows: the columns are the
 * union over rows in first-seen order. `emptyColumns` names the columns of an empty result.
 */
export function rowsToFrame(rows: readonly Record<string, unknown>[], emptyColumns: string[]): DataFrame {
  if (rows.length === 0) return recordsToFrame([], emptyColumns);
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); columns.push(k); }
  return recordsToFrame(rows, columns);
}
