/**
 * Messages between the parent run and its worker processes.
 */
import type { BackendKind } from '../backend';
import type { RunMode } from './types';

export { WORKER_ENV } from '../runtime';

/** Parent to worker. */
export type ToWorker =
  | { type: 'init'; experiment: string; modules: string[]; mode: RunMode; backend: BackendKind; cacheRoot: string }
  /** Compute these cells in one call (a population, or a single cell), then report each of them. */
  | { type: 'run'; cells: { index: number; key: string }[] };

/** Worker to parent: one `done` or `failed` per cell of a `run` (for a computed cell, once its whole chunk finished). */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'done'; index: number }
  | { type: 'failed'; index: number; reason: string; stack?: string }
  | { type: 'fatal'; message: string };
