/**
 * Long-form records and their conversion to danfojs DataFrames.
 *
 * Every trainer and experiment in the kit logs metrics as rows of (step, group, metric, value),
 * optionally tagged with the method, seed and other labels, so that one set of analysis and figure
 * functions serves all of them.
 */
import { DataFrame } from 'danfojs-node';

/** One logged number. `group` is the preference group, or `all` for whole-batch metrics. */
export interface MetricRecord {
  step: number;
  group: string;
  metric: string;
  value: number;
  /** Optional labels (method, seed, sweep value, ...) added by experiment runners. */
  [label: string]: string | number;
}

/** Group name used for metrics over the whole batch. */
export const ALL_GROUPS = 'all';

/**
 * Builds a DataFrame from an array of plain records, keeping the column order of the first record.
 * An empty array gives an empty DataFrame with the given columns.
 */
export function recordsToFrame(records: readonly Record<string, unknown>[], columns?: string[]): DataFrame {
  if (records.length === 0) {
    return new DataFrame([], { columns: columns ?? [] });
  }
  const cols = columns ?? Object.keys(records[0]!);
  const data: Record<string, unknown[]> = {};
  for (const c of cols) data[c] = records.map((r) => r[c]);
  return new DataFrame(data as never, { columns: cols });
}

/** Converts a DataFrame back into an array of plain records. */
export function frameToRecords<T = Record<string, unknown>>(df: DataFrame): T[] {
  const cols = df.columns;
  const values = df.values as unknown[][];
  return values.map((row) => Object.fromEntries(cols.map((c, i) => [c, row[i]])) as T);
}
