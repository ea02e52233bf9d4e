/**
 * Messages between the parent run and its worker processes.
 */
import type { BackendKind } from '../backend';
import type { RunMode } from './types';

/** Environment flag the parent sets on its workers, so that importing worker.ts elsewhere does nothing. */
export const WORKER_ENV = 'HPA_EXPERIMENT_WORKER';

/** Parent to worker. */
export type ToWorker =
  | { type: 'init'; experiment: string; modules: string[]; mode: RunMode; backend: BackendKind; cacheRoot: string }
  | { type: 'run'; index: number; key: string };

/** Worker to parent. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; index: number }
  | { type: 'failed'; index: number; reason: string; stack?: string }
  | { type: 'fatal'; message: string };
