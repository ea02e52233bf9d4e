/**
 * Runs cells in child processes (child_process.fork of worker.ts / worker.js), one chunk per worker
 * at a time (a chunk is one cell, or a population of cells computed by one call; see
 * `populationChunks`), handing out the next chunk as each finishes.
 *
 * However the pool stops (all cells done, a failed cell, a dying worker, an abort), it settles only
 * after every worker has exited, so no worker outlives the run; workers killed mid-cell leave no
 * cache file (writes are atomic) and their temporary files are removed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BackendKind } from '../backend';
import { childProcessEnv, SMOKE_ENV, WORKER_ENV } from '../runtime';
import { removeTempFiles } from './cache';
import { CellFailedError, cellRef, type CellRef } from './errors';
import type { FromWorker, ToWorker } from './protocol';
import type { ExperimentPlan, PlannedCell } from './types';

/** Options of {@link runCellsInWorkers}. */
export interface PoolOptions {
  workers: number;
  cacheRoot: string;
  /** Modules every worker loads to find the experiment (the kit's library is always loaded). */
  modules: string[];
  /** Keep going after a failed cell (its error goes to onCellDone) instead of stopping the run. */
  continueOnError: boolean;
  /**
   * Called in the parent for every cell, once its chunk finished: the cell was written to the cache,
   * or it failed (also when that stops the run, which happens after the chunk's last report).
   */
  onCellDone: (cell: PlannedCell<unknown>, error?: CellFailedError) => void;
  /** The backend every worker initialises (the parent's). */
  backend: BackendKind;
  /** Aborting it kills the workers; the pool then rejects with `abortError(cells of the chunks in progress)`. */
  signal?: AbortSignal;
  /** The error to reject with after an abort, given the cells that were in progress. */
  abortError?: (abandoned: CellRef[]) => Error;
}

/** Seconds a worker gets to exit after SIGTERM before it is sent SIGKILL. */
const KILL_GRACE_MS = 5000;

/** The worker module next to this file: worker.ts under tsx, worker.js in the built package. */
export function workerFile(): string {
  return join(__dirname, `worker${extname(__filename)}`);
}

/** Node flags a worker needs: the tsx loader when it (or a module it loads) is TypeScript. */
export function workerExecArgv(file: string, modules: readonly string[]): string[] {
  const needsTs = [file, ...modules].some((f) => /\.[cm]?ts$/.test(f));
  if (!needsTs) return [];
  let loader = 'tsx';
  try {
    loader = pathToFileURL(require.resolve('tsx')).href; // independent of the working directory
  } catch {
    // fall back to resolving 'tsx' from the working directory
  }
  return ['--import', loader];
}

/**
 * Runs the `chunks` of cells of `plan` on `options.workers` child processes, each chunk computed by
 * one call in one worker. Resolves when all are done; on a failed cell it kills the workers (once
 * every cell of that chunk is reported) and rejects with a {@link CellFailedError} naming the cell,
 * unless `continueOnError`.
 */
export function runCellsInWorkers(plan: ExperimentPlan<unknown>, chunks: readonly (readonly PlannedCell<unknown>[])[], options: PoolOptions): Promise<void> {
  const queue = [...chunks];
  const file = workerFile();
  const execArgv = workerExecArgv(file, options.modules);
  // NODE_TEST_CONTEXT removed: a worker is not a test file even when the parent runs under node --test.
  const env = childProcessEnv({ [WORKER_ENV]: '1', [SMOKE_ENV]: plan.mode === 'smoke' ? '1' : '0', NODE_TEST_CONTEXT: undefined });
  const children: ChildProcess[] = [];
  const count = Math.max(1, Math.min(options.workers, queue.length));

  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let running = count;
    // Per worker: the cells of its chunk that it has not reported yet (the ones an abort abandons).
    const inProgress = new Map<ChildProcess, PlannedCell<unknown>[]>();
    const experimentDir = join(options.cacheRoot, plan.definition.name);

    const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
    // Kills the workers still running and rejects once all of them have exited.
    const stop = (err: Error) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      const exits = children.map(
        (c) =>
          new Promise<void>((done) => {
            if (!alive(c)) return done();
            c.once('exit', () => done());
            c.kill('SIGTERM');
            setTimeout(() => alive(c) && c.kill('SIGKILL'), KILL_GRACE_MS).unref();
          }),
      );
      void Promise.all(exits).then(() => {
        for (const c of children) if (c.pid !== undefined) removeTempFiles(experimentDir, c.pid);
        reject(err);
      });
    };
    const onAbort = () => {
      const abandoned = [...inProgress.values()].flat().sort((a, b) => a.index - b.index).map(cellRef);
      stop(options.abortError?.(abandoned) ?? new Error(`experiment '${plan.definition.name}' aborted`));
    };
    if (options.signal?.aborted) {
      onAbort();
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const startWorker = () => {
      const child = fork(file, [], { execArgv, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      let pending: PlannedCell<unknown>[] = []; // cells of the current chunk not reported yet
      let failure: CellFailedError | undefined; // the current chunk's first failure, when it stops the run
      let retiring = false;
      const post = (m: ToWorker) => child.send(m);
      const next = () => {
        const chunk = queue.shift();
        pending = chunk ? [...chunk] : [];
        if (chunk) {
          inProgress.set(child, pending);
          post({ type: 'run', cells: chunk.map((c) => ({ index: c.index, key: c.key })) });
        } else {
          inProgress.delete(child);
          retiring = true;
          child.disconnect();
        }
      };
      // One cell of the chunk reported; after the chunk's last cell: stop on a failure, else the next chunk.
      const report = (index: number, failed?: { reason: string; stack?: string }) => {
        const at = pending.findIndex((c) => c.index === index);
        if (at < 0) return stop(new Error(`experiment worker for '${plan.definition.name}' reported cell #${index}, which it was not running`));
        const [cell] = pending.splice(at, 1);
        const error = failed && new CellFailedError(cellRef(cell!), failed.reason, failed.stack);
        options.onCellDone(cell!, error);
        if (error && !options.continueOnError) failure ??= error;
        if (pending.length > 0) return;
        if (failure) return stop(failure);
        next();
      };
      child.on('message', (m: FromWorker) => {
        if (settled) return;
        if (m.type === 'ready') next();
        else if (m.type === 'done') report(m.index);
        else if (m.type === 'failed') report(m.index, m);
        else if (m.type === 'fatal') {
          stop(new Error(`experiment worker for '${plan.definition.name}' could not start: ${m.message}. Workers find experiments through modules: load yours with registerExperimentModule(path) (CLI: --module); an experiment defined inline (e.g. in a notebook cell) runs with workers: 1 only`));
        }
      });
      child.on('error', (err) => stop(new Error(`experiment worker process failed: ${err.message}`)));
      child.on('exit', (code, signal) => {
        if (settled) return;
        if (!retiring) {
          const named = pending.map((c) => `#${c.index} (${c.label})`);
          const during = named.length === 0 ? '' : named.length === 1 ? ` while running cell ${named[0]}` : ` while running ${named.length} cells together: ${named.join(', ')}`;
          return stop(new Error(`experiment worker for '${plan.definition.name}' exited unexpectedly (code ${code}, signal ${signal})${during}`));
        }
        running -= 1;
        if (running === 0) {
          settled = true;
          options.signal?.removeEventListener('abort', onAbort);
          resolve();
        }
      });
      post({ type: 'init', experiment: plan.definition.name, modules: options.modules, mode: plan.mode, backend: options.backend, cacheRoot: options.cacheRoot });
    };

    for (let i = 0; i < count; i++) startWorker();
  });
}
