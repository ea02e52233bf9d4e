/**
 * Experiment records as a danfojs DataFrame.
 */
import type { DataFrame } from 'danfojs-node';
import { toCsv } from '../data/csv';
import type { MetricRecord } from '../frames';

/** Every column that occurs in `records`, in order of first appearance. */
export function recordColumns(records: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** A danfojs DataFrame of experiment records with the union of their columns. */
export function experimentFrame(records: readonly MetricRecord[]): DataFrame {
  // Loaded on first use: danfojs takes seconds to load, and worker processes never need it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { recordsToFrame } = require('../frames') as typeof import('../frames');
  return recordsToFrame(records, recordColumns(records));
}

/**
 * The records as CSV text (columns: {@link recordColumns}; a missing label is an empty field), as
 * `experiment.ts merge --out` writes them: the same records give the same bytes in every launch mode.
 */
export function experimentCsv(records: readonly MetricRecord[]): string {
  const columns = recordColumns(records);
  return toCsv(columns, records.map((r) => columns.map((c) => r[c] ?? '')));
}
