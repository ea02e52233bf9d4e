/**
 * Runs cells, one alone or several together in a population, and stores each cell's labelled
 * records in the cache; shared by in-process runs and workers.
 */
import { performance } from 'node:perf_hooks';
import { activeBackend } from '../backend';
import type { MetricRecord } from '../frames';
import { CACHE_FORMAT, cellCacheFile, writeCachedCell, type CachedCell } from './cache';
import { cellInput } from './cells';
import { CellFailedError, cellRef } from './errors';
import { labelRecords, validateRecords } from './records';
import type { ExperimentPlan, JsonValue, PlannedCell } from './types';

/**
 * Calls the experiment's run function for `cell`, checks and labels the records, and writes them to
 * `<cacheRoot>/<experiment>/<key>.json` (atomically). Any failure is a {@link CellFailedError}
 * naming the cell: among them a run function returning no records, and TensorFlow.js running on
 * another backend than the plan's (before and after the run, so a switch during it is caught).
 */
export async function executeCell<C>(plan: ExperimentPlan<C>, cell: PlannedCell<C>, cacheRoot: string): Promise<CachedCell> {
  const start = performance.now();
  let entry: CachedCell;
  try {
    checkBackend(plan, 'before running');
    const records = await plan.definition.run(cellInput(cell));
    checkBackend(plan, 'after running');
    entry = cellEntry(plan, cell, records, 'run function output', (performance.now() - start) / 1000);
  } catch (err) {
    throw cellFailed(cell, err);
  }
  writeCachedCell(cellCacheFile(cacheRoot, plan.definition.name, cell.key), entry);
  return entry;
}

/**
 * Computes `cells` in one call and caches each of them: a single cell through {@link executeCell}
 * (the experiment's `run`), several through one `population.run` call. Each cell's records are
 * checked and labelled exactly as `executeCell` does and written to the cell's own cache file, in
 * the same format (plus `population`: the number of cells computed together; `seconds` is the
 * call's seconds divided by that number), so a cell computed in a population is read back like one
 * computed alone.
 *
 * Returns, in the order given, each cell's cache entry or the {@link CellFailedError} naming it. A
 * population call that throws, runs on another backend than the plan's, or returns another number
 * of record arrays than cells fails every cell, each error saying which population it was in; bad
 * records fail only their cell (the others are cached). Errors that are no cell's fault (a cache
 * file that cannot be written) are thrown.
 */
export async function executeCells<C>(plan: ExperimentPlan<C>, cells: readonly PlannedCell<C>[], cacheRoot: string): Promise<(CachedCell | CellFailedError)[]> {
  if (cells.length === 0) return [];
  if (cells.length === 1) {
    try {
      return [await executeCell(plan, cells[0]!, cacheRoot)];
    } catch (err) {
      if (err instanceof CellFailedError) return [err];
      throw err;
    }
  }
  const { definition } = plan;
  const population = `a population of ${cells.length} cells (${cells.map((c) => `#${c.index}`).join(', ')})`;
  const start = performance.now();
  let results: MetricRecord[][];
  try {
    if (!definition.population) throw new Error(`experiment '${definition.name}' has no population hook`);
    checkBackend(plan, 'before running');
    results = await definition.population.run(cells.map((cell) => cellInput(cell)));
    checkBackend(plan, 'after running');
    if (!Array.isArray(results)) {
      throw new Error(`population.run must return an array of ${cells.length} record arrays (one per cell, in the order given), got ${results === null ? 'null' : typeof results}`);
    }
    if (results.length !== cells.length) {
      throw new Error(`population.run returned ${results.length} record arrays for ${cells.length} cells; it must return one array of records per cell, in the order given`);
    }
  } catch (err) {
    const e = asError(err);
    return cells.map((cell) => new CellFailedError(cellRef(cell), `in ${population}: ${e.message}`, e.stack));
  }
  const seconds = (performance.now() - start) / 1000 / cells.length;
  const outcomes = cells.map((cell, i) => {
    try {
      return cellEntry(plan, cell, results[i], `population.run output (${population})`, seconds, cells.length);
    } catch (err) {
      return cellFailed(cell, err);
    }
  });
  cells.forEach((cell, i) => {
    const outcome = outcomes[i]!;
    if (!(outcome instanceof CellFailedError)) writeCachedCell(cellCacheFile(cacheRoot, definition.name, cell.key), outcome);
  });
  return outcomes;
}

/** Throws unless TensorFlow.js runs on the plan's backend (`when`: 'before running' or 'after running'). */
function checkBackend(plan: Pick<ExperimentPlan<unknown>, 'backend'>, when: string): void {
  const active = activeBackend();
  if (active !== plan.backend) {
    throw new Error(`the cell is planned for backend '${plan.backend}' but TensorFlow.js runs on ${active === null ? 'no backend' : `'${active}'`} ${when} it`);
  }
}

/**
 * The cache entry of `cell` holding `records` checked and labelled (`where` starts the messages of
 * bad records); `population`, when given, is the number of cells computed together.
 */
function cellEntry<C>(plan: ExperimentPlan<C>, cell: PlannedCell<C>, records: unknown, where: string, seconds: number, population?: number): CachedCell {
  const { definition } = plan;
  validateRecords(records, where);
  if (records.length === 0) throw new Error(`${where}: no records; a cell must return at least one MetricRecord`);
  const labelled = labelRecords(records, cell, where);
  return {
    format: CACHE_FORMAT,
    experiment: definition.name,
    version: definition.version,
    mode: plan.mode,
    backend: plan.backend,
    key: cell.key,
    cell: {
      index: cell.index,
      method: cell.method,
      seed: cell.seed,
      ...(cell.sweepName === undefined ? {} : { sweepName: cell.sweepName, sweepValue: cell.sweepValue }),
    },
    config: plan.config as JsonValue,
    seconds,
    ...(population === undefined ? {} : { population }),
    finishedAt: new Date().toISOString(),
    records: labelled,
  };
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function cellFailed(cell: PlannedCell<unknown>, err: unknown): CellFailedError {
  const e = asError(err);
  return new CellFailedError(cellRef(cell), e.message, e.stack);
}
