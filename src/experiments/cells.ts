/**
 * The cells of an experiment (methods x seeds x sweep values) and their split into shards.
 */
import type { ExperimentCell, SweepValue } from './types';

/** Sweep part of a cell enumeration. */
interface SweepAxis {
  name: string;
  values: readonly SweepValue[];
}

/**
 * Every cell in the stable order methods (outer) x seeds x sweep values (inner), with `index` its
 * position. Cells without a sweep have no `sweepName`/`sweepValue`.
 */
export function enumerateCells<C>(
  experiment: string,
  methods: readonly string[],
  seeds: readonly number[],
  sweep: SweepAxis | undefined,
  config: C,
): ExperimentCell<C>[] {
  const cells: ExperimentCell<C>[] = [];
  for (const method of methods) {
    for (const seed of seeds) {
      if (!sweep) {
        cells.push({ experiment, index: cells.length, method, seed, config });
        continue;
      }
      for (const sweepValue of sweep.values) {
        cells.push({ experiment, index: cells.length, method, seed, sweepName: sweep.name, sweepValue, config });
      }
    }
  }
  return cells;
}

/** `method=grpo, seed=3, beta=0.1`: how messages and progress name a cell. */
export function cellLabel(cell: Pick<ExperimentCell<unknown>, 'method' | 'seed' | 'sweepName' | 'sweepValue'>): string {
  const parts = [`method=${cell.method}`, `seed=${cell.seed}`];
  if (cell.sweepName !== undefined) parts.push(`${cell.sweepName}=${cell.sweepValue}`);
  return parts.join(', ');
}

/** One shard of a job array: runs the cells whose index % count === index. */
export interface Shard {
  /** 0-based shard number. */
  index: number;
  /** Number of shards. */
  count: number;
}

/**
 * Parses `i/n` (0-based `i`, `0 <= i < n`), as given to `--shard`.
 * Slurm: `--shard $SLURM_ARRAY_TASK_ID/<n>` with n given explicitly (scripts/slurm/sweep.sbatch);
 * Kubernetes indexed Job: `--shard $JOB_COMPLETION_INDEX/<completions>`.
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`shard must look like i/n with 0-based i (e.g. 0/4), got '${text}'`);
  const shard = { index: Number(m[1]), count: Number(m[2]) };
  validateShard(shard);
  return shard;
}

/** Throws unless `shard` has integers with `0 <= index < count`. */
export function validateShard(shard: Shard): void {
  const { index, count } = shard;
  if (!Number.isInteger(count) || count < 1) throw new Error(`shard count must be a positive integer, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`shard index must be an integer in [0, ${count - 1}] (shards are 0-based), got ${index}`);
  }
}

/** The cells belonging to `shard` (all cells when it is undefined), keeping their order. */
export function selectShard<T extends { index: number }>(cells: readonly T[], shard?: Shard): T[] {
  if (!shard) return [...cells];
  validateShard(shard);
  return cells.filter((c) => c.index % shard.count === shard.index);
}
