/**
 * The on-disk cell cache: `<root>/<experiment>/<key>.json`, one file per finished cell.
 *
 * Files are written atomically (temporary file + rename), so shards on a cluster may share one
 * cache directory. A file that cannot be read back is an error naming it, never silently recomputed.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BACKEND_ORDER, type BackendKind } from '../backend';
import type { MetricRecord } from '../frames';
import { experimentCacheDirSetting } from '../runtime';
import { validateRecords } from './records';
import type { JsonValue, RunMode, SweepValue } from './types';

export { CACHE_ENV } from '../runtime';

/** Version of the cache file layout (2: the backend is recorded and part of the key). */
export const CACHE_FORMAT = 2;

/** Contents of one cache file. */
export interface CachedCell {
  format: number;
  experiment: string;
  version: string | number;
  mode: RunMode;
  /** The TensorFlow.js backend the cell was computed on (part of `key`). */
  backend: BackendKind;
  key: string;
  cell: { index: number; method: string; seed: number; sweepName?: string; sweepValue?: SweepValue };
  config: JsonValue;
  /** Seconds the run function took (for a cell computed in a population: the population's seconds / its size). */
  seconds: number;
  /**
   * Number of cells of the population the cell was computed in; absent when it was computed alone
   * (and in files written before populations existed). Informational only: not validated, not part
   * of the key, and the records are the same either way.
   */
  population?: number;
  /** ISO time the cell finished. */
  finishedAt: string;
  /** Labelled records of the cell (at least one: a cell without records is not finished). */
  records: MetricRecord[];
}

/** The cache root: `dir` when given, else `HPA_CACHE_DIR`, else `<repo>/.cache/experiments`. */
export function experimentCacheRoot(dir?: string): string {
  if (dir) return resolve(dir);
  const fromEnv = experimentCacheDirSetting();
  if (fromEnv) return resolve(fromEnv);
  return resolve(__dirname, '..', '..', '.cache', 'experiments');
}

/** Path of a cell's cache file. */
export function cellCacheFile(root: string, experiment: string, key: string): string {
  return join(root, experiment, `${key}.json`);
}

let tempCounter = 0;

/** Name of the temporary file a process writes before renaming it to `file`. */
function tempFileName(file: string, pid: number, counter: number): string {
  return `${file}.${pid}.${counter}.tmp`;
}

/** Writes a cache file atomically: other processes see either no file or the whole file. */
export function writeCachedCell(file: string, entry: CachedCell): void {
  mkdirSync(resolve(file, '..'), { recursive: true });
  const temp = tempFileName(file, process.pid, tempCounter++);
  try {
    writeFileSync(temp, JSON.stringify(encodeNonFiniteValues(entry)));
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/**
 * Removes the temporary files a killed process `pid` may have left in an experiment's cache folder
 * (a process killed between writing and renaming its temporary file). Readers never read them;
 * this only keeps the folder clean. Returns the names removed.
 */
export function removeTempFiles(experimentDir: string, pid: number): string[] {
  let names: string[];
  try {
    names = readdirSync(experimentDir);
  } catch {
    return [];
  }
  const mine = names.filter((n) => n.endsWith('.tmp') && n.includes(`.json.${pid}.`));
  for (const n of mine) rmSync(join(experimentDir, n), { force: true });
  return mine;
}

/**
 * Reads a cache file; null when it does not exist. A file that is not valid JSON, lacks a field,
 * holds another key than `expectedKey`, holds no records, or records labelled for another cell is
 * an error naming the file (never silently recomputed: delete it, or run with `force`).
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
    entry = JSON.parse(text) as CachedCell;
    if (text.includes(NON_FINITE_KEY)) entry = decodeNonFiniteValues(entry) as CachedCell;
  } catch (err) {
    throw corrupt(`not valid JSON (${(err as Error).message})`);
  }
  if (typeof entry !== 'object' || entry === null) throw corrupt('not a JSON object');
  if (entry.format !== CACHE_FORMAT) throw corrupt(`format ${JSON.stringify(entry.format)} is not ${CACHE_FORMAT}`);
  if (entry.key !== expectedKey) throw corrupt(`it holds key ${JSON.stringify(entry.key)}, expected ${expectedKey}`);
  if (!(BACKEND_ORDER as readonly unknown[]).includes(entry.backend)) throw corrupt(`backend ${JSON.stringify(entry.backend)} is not one of ${BACKEND_ORDER.join(', ')}`);
  if (typeof entry.seconds !== 'number') throw corrupt('seconds is missing');
  const cell = entry.cell as Partial<CachedCell['cell']> | undefined;
  if (typeof cell !== 'object' || cell === null || typeof cell.method !== 'string' || typeof cell.seed !== 'number') {
    throw corrupt('cell (method, seed) is missing');
  }
  try {
    validateRecords(entry.records, 'records');
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  if (entry.records.length === 0) throw corrupt('it holds no records, so the cell did not finish');
  const stray = entry.records.findIndex((r) => r.method !== cell.method || r.seed !== cell.seed);
  if (stray >= 0) throw corrupt(`record ${stray} is labelled method=${entry.records[stray]!.method}, seed=${entry.records[stray]!.seed} but the cell is method=${cell.method}, seed=${cell.seed}`);
  return entry;
}

// JSON has no NaN or Infinity; a metric may be either (e.g. a group with no samples), so they are
// stored as { "$nonFinite": "NaN" } and restored on read. Both walks copy only the objects and
// arrays that hold such a number (a JSON replacer or reviver would be called for every value of a
// file of some 100,000 numbers, which dominated the runner's time).
const NON_FINITE_KEY = '"$nonFinite"';

/** A copy of a JSON-like value with every NaN / infinite number replaced by its encoded object (the value itself when it has none). */
function encodeNonFiniteValues(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $nonFinite: String(value) };
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = encodeNonFiniteValues(value[i]);
      if (v !== value[i] && out === null) out = value.slice(0, i);
      if (out !== null) out.push(v);
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | null = null;
  for (const k in value) {
    const old = (value as Record<string, unknown>)[k];
    const v = encodeNonFiniteValues(old);
    if (v !== old) out ??= { ...(value as Record<string, unknown>) };
    if (out !== null) out[k] = v;
  }
  return out ?? value;
}

/** Restores the numbers {@link encodeNonFiniteValues} encoded, in place (the parsed file is ours); returns the value. */
function decodeNonFiniteValues(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decodeNonFiniteValues(value[i]);
    return value;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === '$nonFinite' && typeof obj.$nonFinite === 'string') return Number(obj.$nonFinite);
  for (const k of keys) obj[k] = decodeNonFiniteValues(obj[k]);
  return obj;
}
