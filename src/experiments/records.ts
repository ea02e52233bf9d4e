/**
 * Checking and labelling the long-form records a cell produces.
 */
import type { MetricRecord } from '../frames';
import type { ExperimentCell } from './types';

/**
 * Throws unless `records` is an array of {@link MetricRecord}: numeric `step` and `value` (`value`
 * may be NaN or infinite), string `group` and `metric`, and string or number labels. `where` starts
 * the message (it names the cell or the cache file).
 */
export function validateRecords(records: unknown, where: string): asserts records is MetricRecord[] {
  if (!Array.isArray(records)) throw new Error(`${where}: expected an array of MetricRecord, got ${describe(records)}`);
  records.forEach((r: unknown, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new Error(`${where}: record ${i} must be an object, got ${describe(r)}`);
    const rec = r as Record<string, unknown>;
    if (typeof rec.step !== 'number' || !Number.isFinite(rec.step)) throw new Error(`${where}: record ${i}: step must be a finite number, got ${describe(rec.step)}`);
    if (typeof rec.group !== 'string') throw new Error(`${where}: record ${i}: group must be a string, got ${describe(rec.group)}`);
    if (typeof rec.metric !== 'string') throw new Error(`${where}: record ${i}: metric must be a string, got ${describe(rec.metric)}`);
    if (typeof rec.value !== 'number') throw new Error(`${where}: record ${i}: value must be a number, got ${describe(rec.value)}`);
    for (const k in rec) {
      const v = rec[k];
      if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${where}: record ${i}: label '${k}' must be a string or number, got ${describe(v)}`);
    }
  });
}

/**
 * Copies of `records` labelled with the cell's `method`, `seed` and, with a sweep, a column named
 * after the swept parameter holding its value. A record that already carries one of these labels
 * with another value is an error (it would be silently overwritten otherwise).
 */
export function labelRecords(records: readonly MetricRecord[], cell: ExperimentCell<unknown>, where: string): MetricRecord[] {
  const labels: Record<string, string | number> = { method: cell.method, seed: cell.seed };
  if (cell.sweepName !== undefined) labels[cell.sweepName] = cell.sweepValue!;
  const entries = Object.entries(labels);
  return records.map((r, i) => {
    for (const [k, v] of entries) {
      if (k in r && r[k] !== v) throw new Error(`${where}: record ${i} has ${k}=${JSON.stringify(r[k])} but the cell has ${k}=${JSON.stringify(v)}`);
    }
    return { ...r, ...labels };
  });
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'function') return 'a function';
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return typeof v;
  }
}
