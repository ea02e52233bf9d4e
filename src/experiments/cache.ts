/**
 * The on-disk cell cache: `<root>/<experiment>/<key>.json`, one file per finished cell.
 *
 * Files are written atomically (temporary file + rename), so shards on a cluster may share one
 * cache directory. A file that cannot be read back is an error naming it, never silently recomputed.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { MetricRecord } from '../frames';
import { validateRecords } from './records';
import type { JsonValue, RunMode, SweepValue } from './types';

/** Environment variable: root folder of the experiment cache (default `<repo>/.cache/experiments`). */
export const CACHE_ENV = 'HPA_CACHE_DIR';

/** Version of the cache file layout. */
export const CACHE_FORMAT = 1;

/** Contents of one cache file. */
export interface CachedCell {
  format: number;
  experiment: string;
  version: string | number;
  mode: RunMode;
  key: string;
  cell: { index: number; method: string; seed: number; sweepName?: string; sweepValue?: SweepValue };
  config: JsonValue;
  /** Seconds the run function took. */
  seconds: number;
  /** ISO time the cell finished. */
  finishedAt: string;
  /** Labelled records of the cell. */
  records: MetricRecord[];
}

/** The cache root: `dir` when given, else `HPA_CACHE_DIR`, else `<repo>/.cache/experiments`. */
export function experimentCacheRoot(dir?: string): string {
  if (dir) return resolve(dir);
  const fromEnv = process.env[CACHE_ENV];
  if (fromEnv) return resolve(fromEnv);
  return resolve(__dirname, '..', '..', '.cache', 'experiments');
}

/** Path of a cell's cache file. */
export function cellCacheFile(root: string, experiment: string, key: string): string {
  return join(root, experiment, `${key}.json`);
}

let tempCounter = 0;

/** Writes a cache file atomically: other processes see either no file or the whole file. */
export function writeCachedCell(file: string, entry: CachedCell): void {
  mkdirSync(resolve(file, '..'), { recursive: true });
  const temp = `${file}.${process.pid}.${tempCounter++}.tmp`;
  try {
    writeFileSync(temp, JSON.stringify(entry, encodeNonFinite));
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/**
 * Reads a cache file; null when it does not exist. A file that is not valid JSON, lacks fields, or
 * holds another key than `expectedKey` is an error naming the file.
 */
export function readCachedCell(file: string, expectedKey: string): CachedCell | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const corrupt = (why: string) => new Error(`corrupt experiment cache file ${file}: ${why}; delete it to recompute the cell`);
  let entry: CachedCell;
  try {
    entry = JSON.parse(text, decodeNonFinite) as CachedCell;
  } catch (err) {
    throw corrupt(`not valid JSON (${(err as Error).message})`);
  }
  if (typeof entry !== 'object' || entry === null) throw corrupt('not a JSON object');
  if (entry.format !== CACHE_FORMAT) throw corrupt(`format ${JSON.stringify(entry.format)} is not ${CACHE_FORMAT}`);
  if (entry.key !== expectedKey) throw corrupt(`it holds key ${JSON.stringify(entry.key)}, expected ${expectedKey}`);
  if (typeof entry.seconds !== 'number') throw corrupt('seconds is missing');
  try {
    validateRecords(entry.records, 'records');
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  return entry;
}

// JSON has no NaN or Infinity; a metric may be either (e.g. a group with no samples), so they are
// stored as { "$nonFinite": "NaN" } and restored on read.
function encodeNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? { $nonFinite: String(value) } : value;
}

function decodeNonFinite(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$nonFinite') return Number((value as { $nonFinite: string }).$nonFinite);
  }
  return value;
}
