/**
 * Running experiments: every cell (or one shard of them) from the cache or freshly computed, in
 * this process or in worker processes, and merging the cells of a sharded run.
 *
 * Cluster job arrays: give every task the same cache directory (`HPA_CACHE_DIR` or `--cache-dir`
 * on a shared file system) and its own shard, then merge once all tasks finished.
 * - Slurm: `sbatch --array=0-7 --export=ALL,SHARDS=8 scripts/slurm/sweep.sbatch NAME`, which runs
 *   `run NAME --shard $SLURM_ARRAY_TASK_ID/$SHARDS`. The shard count is explicit, not
 *   `SLURM_ARRAY_TASK_COUNT` (that is 1 when one index is re-run with `--array=2`, and wrong for offset
 *   or gapped arrays). Then `tsx scripts/experiment.ts merge NAME --out results.csv`.
 * - Kubernetes indexed Job (`completionMode: Indexed`, `completions: 8`, a shared volume mounted as
 *   the cache): `tsx scripts/experiment.ts run NAME --shard $JOB_COMPLETION_INDEX/8`, then merge.
 * Shard `i/n` runs the cells whose index % n == i, so shards partition the cells exactly.
 *
 * Backend: every launch mode computes on one backend, the one this process runs on (see
 * `ensureBackend`: the active one, else `initBackend()` as the notebooks call it, so `HPA_BACKEND`
 * chooses). Workers initialise exactly that backend, and the backend is part of every cell's cache
 * key, so a run in process, with workers or in shards gives the same numbers, and cells computed on
 * another backend are never mixed in (they coexist in the cache under other keys).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataFrame } from 'danfojs-node';
import { BACKEND_ORDER, ensureBackend, type BackendKind } from '../backend';
import type { MetricRecord } from '../frames';
import { cellCacheFile, experimentCacheRoot, readCachedCell, type CachedCell } from './cache';
import { parseShard, populationChunks, selectShard, type Shard } from './cells';
import { planExperiment } from './define';
import { CellFailedError, ExperimentAbortedError, ExperimentFailedError, cellRef, type CellRef } from './errors';
import { executeCells } from './execute';
import { runCellsInWorkers } from './pool';
import { autoProgress } from './progress';
import { experimentFrame } from './frame';
import { experimentModules, getExperiment, libraryModulePath } from './registry';
import type { CellOutcome, ExperimentDefinition, ExperimentPlan, ExperimentProgress, PlannedCell, ProgressCallback, RunMode } from './types';

/** Options of {@link runExperiment}. */
export interface RunOptions {
  /**
   * Number of processes computing cells. 1 (default) runs them in this process; k > 1 forks k
   * workers, which find the experiment through its module (see registry.ts).
   */
  workers?: number;
  /**
   * Run only one shard of the cells: `{ index, count }` or `'i/n'` (0-based i): the cells whose
   * index % count == index. See the module comment for Slurm and Kubernetes job arrays.
   */
  shard?: Shard | string;
  /** Recompute cells even when they are cached. */
  force?: boolean;
  /** Cache root (default `HPA_CACHE_DIR`, else `<repo>/.cache/experiments`). */
  cacheDir?: string;
  /** After a failed cell, finish the others, then throw an {@link ExperimentFailedError} listing all failures. */
  continueOnError?: boolean;
  /** `'auto'` (default): notebook bar in tslab, else terminal; `'none'`; or a callback receiving every report. */
  progress?: 'auto' | 'none' | ProgressCallback;
  /**
   * Stops the run when aborted: workers are killed (the run settles after they exited), an
   * in-process cell is no longer waited for, and the run rejects with an
   * {@link ExperimentAbortedError} naming the abandoned cells. Finished cells stay cached; an
   * abandoned cell leaves no cache file. The CLI aborts on SIGTERM and SIGINT.
   */
  signal?: AbortSignal;
  /** Smoke or full size (default: the runtime's mode, `HPA_SMOKE`; see `currentMode`). */
  mode?: RunMode;
  /**
   * Compute compatible cells together through the experiment's `population` hook (default true;
   * see `populationChunks` for the grouping). False computes every cell alone, e.g. to compare or
   * time the two; the records are the same either way.
   */
  population?: boolean;
}

/** Records of a run, how each cell was obtained, and a DataFrame view. */
export interface ExperimentResult {
  experiment: string;
  mode: RunMode;
  /** The backend every cell was computed on. */
  backend: BackendKind;
  /** All labelled records, cells in index order, each cell's records in the order its run returned them. */
  records: MetricRecord[];
  /** One entry per cell covered, in index order. */
  cells: CellOutcome[];
  /** The records as a danfojs DataFrame (columns: union of the records' keys). */
  frame(): DataFrame;
}

/**
 * Runs an experiment (a registered name or a definition): cached cells are read back, the others
 * are computed (in `workers` processes) and cached. Returns the records of every covered cell.
 * With a `population` hook the cells to compute (of this shard) are grouped into chunks computed
 * by one call each (see `populationChunks`); each cell is still cached, reported and failed on its own.
 * A failed cell stops the run with an error naming it (method, seed, sweep value) unless
 * `continueOnError`.
 */
export async function runExperiment(experiment: string | ExperimentDefinition<any>, options: RunOptions = {}): Promise<ExperimentResult> {
  const definition = typeof experiment === 'string' ? getExperiment(experiment) : experiment;
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
  const shard = typeof options.shard === 'string' ? parseShard(options.shard) : options.shard;
  const { signal } = options;
  const abortReason = () => (signal?.reason instanceof Error ? signal.reason.message : String(signal?.reason ?? 'aborted'));
  const plan = planExperiment(definition, { backend: await ensureBackend(), mode: options.mode });
  const cells = selectShard(plan.cells, shard);
  const root = experimentCacheRoot(options.cacheDir);
  const report = progressCallback(options.progress);
  const start = Date.now();
  const progress: ExperimentProgress = { experiment: definition.name, total: cells.length, done: 0, cached: 0, ran: 0, failed: 0, elapsedMs: 0, finished: false };
  const emit = (last?: ExperimentProgress['last']) => report?.({ ...progress, elapsedMs: Date.now() - start, ...(last ? { last } : {}) });

  const cached = new Map<number, CachedCell>();
  if (!options.force) {
    for (const cell of cells) {
      const entry = readCachedCell(cellCacheFile(root, definition.name, cell.key), cell.key);
      if (entry) cached.set(cell.index, entry);
    }
  }
  const toRun = cells.filter((c) => !cached.has(c.index));
  const parallel = workers > 1 && toRun.length > 1;
  // Cells computed by one call each: one cell, or a population (see populationChunks).
  const chunks = populationChunks(definition, toRun, { population: options.population !== false, workers: parallel ? workers : 1 });
  progress.cached = progress.done = cached.size;
  emit(); // one report for the cache scan, then one per computed cell
  const failures: CellFailedError[] = [];
  const onCellDone = (cell: PlannedCell<unknown>, error?: CellFailedError) => {
    progress.done += 1;
    if (error) {
      progress.failed += 1;
      failures.push(error);
    } else progress.ran += 1;
    emit({ index: cell.index, label: cell.label, ...(error ? { error: error.reason } : {}) });
  };

  const aborted = (abandoned: CellRef[]) => new ExperimentAbortedError(definition.name, abortReason(), progress.done, cells.length, abandoned);
  try {
    if (parallel) {
      const library = libraryModulePath();
      const modules = experimentModules().filter((m) => m !== library);
      await runCellsInWorkers(plan, chunks, {
        workers,
        cacheRoot: root,
        modules,
        continueOnError: Boolean(options.continueOnError),
        onCellDone,
        backend: plan.backend,
        signal,
        abortError: aborted,
      });
    } else {
      for (const chunk of chunks) {
        // A chunk that computes synchronously never lets the event loop run; let it run between
        // chunks, so that a pending SIGTERM (the CLI's abort) is seen before the next one starts.
        if (signal) await new Promise<void>((resolve) => setImmediate(resolve));
        if (signal?.aborted) throw aborted([]);
        const outcomes = await untilAborted(executeCells(plan, chunk, root), signal, () => aborted(chunk.map(cellRef)));
        // One report per cell; a failure stops the run once every cell of its chunk is reported.
        let failure: CellFailedError | undefined;
        chunk.forEach((cell, i) => {
          const outcome = outcomes[i];
          if (outcome instanceof CellFailedError) {
            onCellDone(cell, outcome);
            failure ??= outcome;
          } else onCellDone(cell);
        });
        if (failure && !options.continueOnError) throw failure;
      }
    }
  } finally {
    progress.finished = true;
    emit();
  }
  if (failures.length > 0) throw new ExperimentFailedError(definition.name, cells.length, failures.sort((a, b) => a.cell.index - b.cell.index));

  // Collect every cell from the cache, so a fresh run and a cached re-run return identical records.
  const entries = cells.map((cell) => cached.get(cell.index) ?? mustRead(root, plan, cell));
  return buildResult(plan, root, cells, entries, (c) => cached.has(c.index));
}

/**
 * Waits for `work`, or rejects with `abortError()` as soon as `signal` is aborted (the work is then
 * abandoned: nothing waits for it; in the CLI the process exits before it could write its cell).
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, abortError: () => Error): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Options of {@link experimentStatus} and {@link mergeExperiment}. */
export interface CacheQueryOptions {
  /** Cache root (default `HPA_CACHE_DIR`, else `<repo>/.cache/experiments`). */
  cacheDir?: string;
  /**
   * Whose cells to read: the backend they were computed on (default: the backend this process runs
   * on, see `activeBackend`; with none initialised this is an error asking for `initBackend()`).
   */
  backend?: BackendKind;
  /** Smoke or full size (default: the runtime's mode, `HPA_SMOKE`). */
  mode?: RunMode;
}

/** Which cells of an experiment (in the current mode) are in the cache and which are missing. */
export interface ExperimentStatus {
  plan: ExperimentPlan<any>;
  cacheRoot: string;
  cached: PlannedCell<any>[];
  missing: PlannedCell<any>[];
}

/**
 * Checks the cache for every cell of an experiment computed on one backend (see
 * {@link CacheQueryOptions}); a corrupt cache file is an error naming it.
 */
export function experimentStatus(experiment: string | ExperimentDefinition<any>, options: CacheQueryOptions = {}): ExperimentStatus {
  const definition = typeof experiment === 'string' ? getExperiment(experiment) : experiment;
  const plan = planExperiment(definition, { backend: options.backend, mode: options.mode });
  const cacheRoot = experimentCacheRoot(options.cacheDir);
  const cached: PlannedCell<any>[] = [];
  const missing: PlannedCell<any>[] = [];
  for (const cell of plan.cells) {
    (readCachedCell(cellCacheFile(cacheRoot, definition.name, cell.key), cell.key) ? cached : missing).push(cell);
  }
  return { plan, cacheRoot, cached, missing };
}

/**
 * Reads every cell of an experiment computed on one backend (see {@link CacheQueryOptions}) from the
 * cache (after sharded runs) and returns them like a full run would. Missing cells are an error
 * listing each of them (and saying so when they are cached for another backend).
 */
export function mergeExperiment(experiment: string | ExperimentDefinition<any>, options: CacheQueryOptions = {}): ExperimentResult {
  const status = experimentStatus(experiment, options);
  const { plan, cacheRoot, missing } = status;
  if (missing.length > 0) {
    const list = missing.map((c) => `  #${c.index} (${c.label})`).join('\n');
    throw new Error(
      `experiment '${plan.definition.name}' (${plan.mode} mode, backend ${plan.backend}): ${missing.length} of ${plan.cells.length} cells are missing from the cache ${join(cacheRoot, plan.definition.name)}; run them (all shards) first${otherBackendsHint(plan, cacheRoot, missing)}:\n${list}`,
    );
  }
  const entries = plan.cells.map((cell) => mustRead(cacheRoot, plan, cell));
  return buildResult(plan, cacheRoot, plan.cells, entries, () => true);
}

/** `; N of them are cached for backend cpu (...)` when missing cells exist under another backend's keys. */
function otherBackendsHint(plan: ExperimentPlan<any>, cacheRoot: string, missing: readonly PlannedCell<any>[]): string {
  const found: string[] = [];
  for (const backend of BACKEND_ORDER) {
    if (backend === plan.backend) continue;
    const other = planExperiment(plan.definition, { backend, mode: plan.mode });
    const n = missing.filter((c) => existsSync(cellCacheFile(cacheRoot, plan.definition.name, other.cells[c.index]!.key))).length;
    if (n > 0) found.push(`${n} for backend ${backend}`);
  }
  if (found.length === 0) return '';
  return ` (of the missing cells, ${found.join(' and ')} are cached: they were computed on another backend; merge on that backend with HPA_BACKEND=<backend>, or run these cells on ${plan.backend})`;
}

function mustRead(root: string, plan: ExperimentPlan<unknown>, cell: PlannedCell<unknown>): CachedCell {
  const file = cellCacheFile(root, plan.definition.name, cell.key);
  const entry = readCachedCell(file, cell.key);
  if (!entry) throw new Error(`experiment '${plan.definition.name}' cell #${cell.index} (${cell.label}) finished but its cache file ${file} is missing`);
  return entry;
}

function buildResult(
  plan: ExperimentPlan<unknown>,
  root: string,
  cells: readonly PlannedCell<unknown>[],
  entries: readonly CachedCell[],
  wasCached: (cell: PlannedCell<unknown>) => boolean,
): ExperimentResult {
  const records = entries.flatMap((e) => e.records);
  const outcomes: CellOutcome[] = cells.map((cell, i) => ({
    index: cell.index,
    label: cell.label,
    key: cell.key,
    file: cellCacheFile(root, plan.definition.name, cell.key),
    cached: wasCached(cell),
    seconds: entries[i]!.seconds,
    records: entries[i]!.records.length,
  }));
  return { experiment: plan.definition.name, mode: plan.mode, backend: plan.backend, records, cells: outcomes, frame: () => experimentFrame(records) };
}

function progressCallback(option: RunOptions['progress']): ProgressCallback | undefined {
  if (option === 'none') return undefined;
  if (option === undefined || option === 'auto') return autoProgress();
  if (typeof option !== 'function') throw new Error(`progress must be 'auto', 'none' or a callback, got ${String(option)}`);
  return option;
}
