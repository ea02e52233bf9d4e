/**
 * Runs one cell and stores its labelled records in the cache; shared by in-process runs and workers.
 */
import { performance } from 'node:perf_hooks';
import { CACHE_FORMAT, cellCacheFile, writeCachedCell, type CachedCell } from './cache';
import { CellFailedError, cellRef } from './errors';
import { labelRecords, validateRecords } from './records';
import type { ExperimentCell, ExperimentPlan, JsonValue, PlannedCell } from './types';

/**
 * Calls the experiment's run function for `cell`, checks and labels the records, and writes them to
 * `<cacheRoot>/<experiment>/<key>.json`. Any failure is a {@link CellFailedError} naming the cell.
 */
export async function executeCell<C>(plan: ExperimentPlan<C>, cell: PlannedCell<C>, cacheRoot: string): Promise<CachedCell> {
  const { definition } = plan;
  const where = `run function output`;
  const start = performance.now();
  let entry: CachedCell;
  try {
    const input: ExperimentCell<C> = {
      experiment: cell.experiment,
      index: cell.index,
      method: cell.method,
      seed: cell.seed,
      config: cell.config,
      ...(cell.sweepName === undefined ? {} : { sweepName: cell.sweepName, sweepValue: cell.sweepValue }),
    };
    const records = await definition.run(input);
    validateRecords(records, where);
    const labelled = labelRecords(records, cell, where);
    entry = {
      format: CACHE_FORMAT,
      experiment: definition.name,
      version: definition.version,
      mode: plan.mode,
      key: cell.key,
      cell: {
        index: cell.index,
        method: cell.method,
        seed: cell.seed,
        ...(cell.sweepName === undefined ? {} : { sweepName: cell.sweepName, sweepValue: cell.sweepValue }),
      },
      config: plan.config as JsonValue,
      seconds: (performance.now() - start) / 1000,
      finishedAt: new Date().toISOString(),
      records: labelled,
    };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    throw new CellFailedError(cellRef(cell), e.message, e.stack);
  }
  writeCachedCell(cellCacheFile(cacheRoot, definition.name, cell.key), entry);
  return entry;
}
