/**
 * Runs one cell and stores its labelled records in the cache; shared by in-process runs and workers.
 */
import { performance } from 'node:perf_hooks';
import { activeBackend } from '../backend';
import { CACHE_FORMAT, cellCacheFile, writeCachedCell, type CachedCell } from './cache';
import { CellFailedError, cellRef } from './errors';
import { labelRecords, validateRecords } from './records';
import type { ExperimentCell, ExperimentPlan, JsonValue, PlannedCell } from './types';

/**
 * Calls the experiment's run function for `cell`, checks and labels the records, and writes them to
 * `<cacheRoot>/<experiment>/<key>.json` (atomically). Any failure is a {@link CellFailedError}
 * naming the cell: among them a run function returning no records, and TensorFlow.js running on
 * another backend than the plan's (before and after the run, so a switch during it is caught).
 */
export async function executeCell<C>(plan: ExperimentPlan<C>, cell: PlannedCell<C>, cacheRoot: string): Promise<CachedCell> {
  const { definition } = plan;
  const where = `run function output`;
  const start = performance.now();
  let entry: CachedCell;
  const checkBackend = (when: string) => {
    const active = activeBackend();
    if (active !== plan.backend) {
      throw new Error(`the cell is planned for backend '${plan.backend}' but TensorFlow.js runs on ${active === null ? 'no backend' : `'${active}'`} ${when} it`);
    }
  };
  try {
    checkBackend('before running');
    const input: ExperimentCell<C> = {
      experiment: cell.experiment,
      index: cell.index,
      method: cell.method,
      seed: cell.seed,
      config: cell.config,
      ...(cell.sweepName === undefined ? {} : { sweepName: cell.sweepName, sweepValue: cell.sweepValue }),
    };
    const records = await definition.run(input);
    checkBackend('after running');
    validateRecords(records, where);
    if (records.length === 0) throw new Error(`${where}: no records; a cell must return at least one MetricRecord`);
    const labelled = labelRecords(records, cell, where);
    entry = {
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
