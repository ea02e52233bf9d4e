/**
 * Entry point of an experiment worker process (forked by pool.ts; not part of the public API).
 *
 * It loads the kit's experiment library and the modules its parent names, resolves the experiment in
 * the same mode, initialises the backend the parent names (never its own `auto` choice, so both
 * compute with the same kernels), then runs the chunks of cells it is sent one at a time (a chunk is
 * one cell, or a population computed by one call), writing each cell to the cache and then reporting
 * each. When the parent is gone (it disconnects, exits or is killed) the worker exits at once and
 * quietly: the cell in progress is abandoned (cache writes are atomic, so nothing partial is left),
 * and a closed IPC channel or a broken stdout/stderr pipe (EPIPE) prints nothing.
 */
import { initBackend } from '../backend';
import { CellFailedError } from './errors';
import { executeCells } from './execute';
import { planExperiment } from './define';
import { getExperiment, loadExperimentLibrary, registerExperimentModule } from './registry';
import { isExperimentWorkerProcess } from '../runtime';
import type { FromWorker, ToWorker } from './protocol';
import type { ExperimentPlan, PlannedCell } from './types';

/** Exits without a word: the parent that would read anything is gone. */
function exitQuietly(): never {
  process.exit(0);
}

function send(message: FromWorker): void {
  if (!process.connected) exitQuietly();
  process.send!(message, undefined, {}, (err) => {
    if (err) exitQuietly(); // the channel closed between the check and the write
  });
}

function isBrokenPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_IPC_CHANNEL_CLOSED' || code === 'ERR_STREAM_DESTROYED';
}

/** Parent gone or its pipes closed: exit quietly instead of dumping a stack (and tfjs's minified source). */
function guardAgainstOrphanNoise(): void {
  process.on('disconnect', exitQuietly);
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (isBrokenPipe(err) || !process.connected) exitQuietly();
    });
  }
  process.on('uncaughtException', (err) => {
    if (isBrokenPipe(err) || !process.connected) exitQuietly();
    // Only the message and stack, never Node's source excerpt of the throwing line (minified tfjs).
    try {
      process.stderr.write(`experiment worker ${process.pid}: ${err.stack ?? err.message}\n`);
    } finally {
      process.exit(1);
    }
  });
}

function startWorker(): void {
  guardAgainstOrphanNoise();
  let plan: ExperimentPlan<unknown> | undefined;
  let cacheRoot = '';
  // Chunks arrive one at a time (the parent waits for each answer), but chain them anyway so that
  // a message can never start a second chunk concurrently.
  let queue = Promise.resolve();
  process.on('message', (message: ToWorker) => {
    queue = queue.then(async () => {
      if (message.type === 'init') {
        try {
          // Exactly the parent's backend (forced, not auto), so workers compute with the same kernels.
          await initBackend(message.backend);
          loadExperimentLibrary();
          for (const m of message.modules) registerExperimentModule(m);
          plan = planExperiment(getExperiment(message.experiment), { backend: message.backend, mode: message.mode });
          cacheRoot = message.cacheRoot;
          send({ type: 'ready' });
        } catch (err) {
          send({ type: 'fatal', message: (err as Error).message ?? String(err) });
        }
        return;
      }
      // The chunk's cells as this process planned them; a cell whose key differs fails on its own.
      const cells: PlannedCell<unknown>[] = [];
      for (const { index, key } of message.cells) {
        const cell = plan!.cells[index];
        if (cell && cell.key === key) cells.push(cell);
        else {
          send({
            type: 'failed',
            index,
            reason: 'the worker resolved another cache key for this cell than the parent: the config or the cells differ between processes (does the config depend on time, randomness or process state?)',
          });
        }
      }
      try {
        const outcomes = await executeCells(plan!, cells, cacheRoot);
        cells.forEach((cell, i) => {
          const outcome = outcomes[i]!;
          if (outcome instanceof CellFailedError) send({ type: 'failed', index: cell.index, reason: outcome.reason, stack: outcome.causeStack });
          else send({ type: 'done', index: cell.index });
        });
      } catch (err) {
        // Not a cell's fault (e.g. a cache file that cannot be written), but it stops every cell of the chunk.
        const e = err as Error;
        for (const cell of cells) send({ type: 'failed', index: cell.index, reason: e.message, stack: e.stack });
      }
    });
  });
}

if (isExperimentWorkerProcess() && typeof process.send === 'function') startWorker();
