/**
 * Runs cells in child processes (child_process.fork of worker.ts / worker.js), one cell per worker
 * at a time, handing out the next cell as each finishes.
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
  /** Called in the parent when a cell finished (written to the cache) or failed (also when that stops the run). */
  onCellDone: (cell: PlannedCell<unknown>, error?: CellFailedError) => void;
  /** The backend every worker initialises (the parent's). */
  backend: BackendKind;
  /** Aborting it kills the workers; the pool then rejects with `abortError(cells in progress)`. */
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
 * Runs `cells` of `plan` on `options.workers` child processes. Resolves when all are done; on a
 * failed cell it kills the workers and rejects with a {@link CellFailedError} naming the cell,
 * unless `continueOnError`.
 */
export function runCellsInWorkers(plan: ExperimentPlan<unknown>, cells: readonly PlannedCell<unknown>[], options: PoolOptions): Promise<void> {
  const queue = [...cells];
  const file = workerFile();
  const execArgv = workerExecArgv(file, options.modules);
  // NODE_TEST_CONTEXT removed: a worker is not a test file even when the parent runs under node --test.
  const env = childProcessEnv({ [WORKER_ENV]: '1', [SMOKE_ENV]: plan.mode === 'smoke' ? '1' : '0', NODE_TEST_CONTEXT: undefined });
  const children: ChildProcess[] = [];
  const count = Math.max(1, Math.min(options.workers, queue.length));

  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let running = count;
    const inProgress = new Map<ChildProcess, PlannedCell<unknown>>();
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
      const abandoned = [...inProgress.values()].sort((a, b) => a.index - b.index).map(cellRef);
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
      let current: PlannedCell<unknown> | undefined;
      let retiring = false;
      const post = (m: ToWorker) => child.send(m);
      const next = () => {
        current = queue.shift();
        inProgress.delete(child);
        if (current) {
          inProgress.set(child, current);
          post({ type: 'run', index: current.index, key: current.key });
        } else {
          retiring = true;
          child.disconnect();
        }
      };
      child.on('message', (m: FromWorker) => {
        if (settled) return;
        if (m.type === 'ready') next();
        else if (m.type === 'done') {
          options.onCellDone(current!);
          next();
        } else if (m.type === 'failed') {
          const error = new CellFailedError(cellRef(current!), m.reason, m.stack);
          options.onCellDone(current!, error);
          if (!options.continueOnError) return stop(error);
          next();
        } else if (m.type === 'fatal') {
          stop(new Error(`experiment worker for '${plan.definition.name}' could not start: ${m.message}. Workers find experiments through modules: load yours with registerExperimentModule(path) (CLI: --module); an experiment defined inline (e.g. in a notebook cell) runs with workers: 1 only`));
        }
      });
      child.on('error', (err) => stop(new Error(`experiment worker process failed: ${err.message}`)));
      child.on('exit', (code, signal) => {
        if (settled) return;
        if (!retiring) {
          const during = current ? ` while running cell #${current.index} (${current.label})` : '';
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
