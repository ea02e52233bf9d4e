/**
 * Entry point of an experiment worker process (forked by pool.ts; not part of the public API).
 *
 * It loads the kit's experiment library and the modules its parent names, resolves the experiment in
 * the same mode, then runs the cells it is sent one at a time, writing each to the cache. It exits
 * when the parent disconnects.
 */
import { initBackend } from '../backend';
import { CellFailedError } from './errors';
import { executeCell } from './execute';
import { planExperiment } from './define';
import { getExperiment, loadExperimentLibrary, registerExperimentModule } from './registry';
import { WORKER_ENV, type FromWorker, type ToWorker } from './protocol';
import type { ExperimentPlan } from './types';

function send(message: FromWorker): void {
  process.send!(message);
}

function startWorker(): void {
  let plan: ExperimentPlan<unknown> | undefined;
  let cacheRoot = '';
  // Cells arrive one at a time (the parent waits for each answer), but chain them anyway so that
  // a message can never start a second cell concurrently.
  let queue = Promise.resolve();
  process.on('message', (message: ToWorker) => {
    queue = queue.then(async () => {
      if (message.type === 'init') {
        try {
          // Same backend choice as the parent (HPA_BACKEND is inherited; auto otherwise), so workers
          // compute with the same kernels instead of tfjs's plain-JS default.
          await initBackend();
          loadExperimentLibrary();
          for (const m of message.modules) registerExperimentModule(m);
          plan = planExperiment(getExperiment(message.experiment));
          if (plan.mode !== message.mode) throw new Error(`worker resolved ${plan.mode} mode but the parent runs ${message.mode} mode`);
          cacheRoot = message.cacheRoot;
          send({ type: 'ready' });
        } catch (err) {
          send({ type: 'fatal', message: (err as Error).message ?? String(err) });
        }
        return;
      }
      const cell = plan!.cells[message.index];
      if (!cell || cell.key !== message.key) {
        send({
          type: 'failed',
          index: message.index,
          reason: 'the worker resolved another cache key for this cell than the parent: the config or the cells differ between processes (does the config depend on time, randomness or process state?)',
        });
        return;
      }
      try {
        await executeCell(plan!, cell, cacheRoot);
        send({ type: 'done', index: cell.index });
      } catch (err) {
        const e = err as Error;
        if (err instanceof CellFailedError) send({ type: 'failed', index: cell.index, reason: err.reason, stack: err.causeStack });
        else send({ type: 'failed', index: cell.index, reason: e.message, stack: e.stack });
      }
    });
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.env[WORKER_ENV] === '1' && typeof process.send === 'function') startWorker();
