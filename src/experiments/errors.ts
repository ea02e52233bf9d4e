/**
 * Errors of experiment runs that name the cell at fault.
 */
import type { PlannedCell } from './types';

/** Identifies a cell in errors: index, label and its coordinates. */
export interface CellRef {
  experiment: string;
  index: number;
  label: string;
  method: string;
  seed: number;
  sweepName?: string;
  sweepValue?: string | number;
}

/** Extracts the identifying part of a planned cell. */
export function cellRef(cell: PlannedCell<unknown>): CellRef {
  const { experiment, index, label, method, seed, sweepName, sweepValue } = cell;
  return { experiment, index, label, method, seed, sweepName, sweepValue };
}

/** A cell's run function threw (or returned bad records). */
export class CellFailedError extends Error {
  /** The failing cell. */
  readonly cell: CellRef;
  /** Message of the underlying error. */
  readonly reason: string;
  /** Stack of the underlying error (possibly from a worker process). */
  readonly causeStack?: string;

  constructor(cell: CellRef, reason: string, causeStack?: string) {
    super(`experiment '${cell.experiment}' cell #${cell.index} (${cell.label}) failed: ${reason}`);
    this.name = 'CellFailedError';
    this.cell = cell;
    this.reason = reason;
    this.causeStack = causeStack;
    // Keep the original stack (possibly from a worker process) so the failing line is visible.
    if (causeStack) this.stack = `${this.name}: ${this.message}\n  caused by: ${causeStack}`;
  }
}

/** Several cells failed in a run with `continueOnError`; the others finished and are cached. */
export class ExperimentFailedError extends Error {
  readonly failures: CellFailedError[];

  constructor(experiment: string, total: number, failures: CellFailedError[]) {
    const list = failures.map((f) => `  #${f.cell.index} (${f.cell.label}): ${f.reason}`).join('\n');
    super(`experiment '${experiment}': ${failures.length} of ${total} cells failed (the other cells are cached):\n${list}`);
    this.name = 'ExperimentFailedError';
    this.failures = failures;
  }
}

/**
 * A run stopped on request (an `AbortSignal`; the CLI aborts on SIGTERM and SIGINT). Finished cells
 * are cached; the cells in progress were abandoned and nothing of them is in the cache.
 */
export class ExperimentAbortedError extends Error {
  /** The cells that were running when the run stopped. */
  readonly abandoned: CellRef[];

  constructor(experiment: string, reason: string, done: number, total: number, abandoned: CellRef[]) {
    const list = abandoned.length > 0 ? `; abandoned (not cached): ${abandoned.map((c) => `#${c.index} (${c.label})`).join(', ')}` : '';
    super(`experiment '${experiment}' stopped (${reason}) after ${done} of ${total} cells; the finished cells are cached${list}`);
    this.name = 'ExperimentAbortedError';
    this.abandoned = abandoned;
  }
}
