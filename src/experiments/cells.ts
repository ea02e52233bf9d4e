/**
 * The cells of an experiment (methods x seeds x sweep values), their split into shards, and their
 * grouping into populations computed by one call.
 */
import type { ExperimentCell, ExperimentDefinition, PlannedCell, SweepValue } from './types';

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

/** Default of `population.maxSize`: the most cells one population call computes. */
export const DEFAULT_POPULATION_SIZE = 32;

/** The cell as `run`, `population.key` and `population.run` see it: without the runner's `key` and `label`. */
export function cellInput<C>(cell: ExperimentCell<C>): ExperimentCell<C> {
  return {
    experiment: cell.experiment,
    index: cell.index,
    method: cell.method,
    seed: cell.seed,
    config: cell.config,
    ...(cell.sweepName === undefined ? {} : { sweepName: cell.sweepName, sweepValue: cell.sweepValue }),
  };
}

/** Options of {@link populationChunks}. */
export interface ChunkOptions {
  /** False: every cell is a chunk of its own (default true: group by the experiment's population hook). */
  population?: boolean;
  /** Worker processes the chunks are shared by (default 1). */
  workers?: number;
}

/**
 * Splits the cells a run computes (after the cache scan and shard selection) into chunks, each
 * computed by one call: `run` for a chunk of one cell, `population.run` for a larger one.
 *
 * - Without a population hook, or with `population: false`, every cell is a chunk of its own.
 * - Cells whose `population.key` is null are chunks of their own; the others are grouped by key.
 * - Each group is split, in cell order, into the fewest chunks of at most `cap` cells, of sizes
 *   differing by at most one (9 cells with a cap of 4: 3 + 3 + 3, never 4 + 4 + 1), where `cap` is
 *   `population.maxSize` (default {@link DEFAULT_POPULATION_SIZE}) and, with k > 1 workers, at most
 *   ceil(cells / k), so that large groups are shared by the workers (8 cells in one group on 2
 *   workers: 4 + 4; on 3 workers: 3 + 3 + 2).
 * - With k workers, while there are fewer chunks than k (and a chunk of several cells), the group
 *   with the largest chunks is split into one chunk more, so that every worker gets work (9 cells in
 *   one group on 4 workers: 3 + 2 + 2 + 2, not 3 + 3 + 3).
 *
 * Chunks are ordered by their first cell's index; cells keep their order within a chunk. A key
 * function that throws or returns anything but a string or null is an error naming the cell.
 */
export function populationChunks<C>(
  definition: Pick<ExperimentDefinition<C>, 'name' | 'population'>,
  cells: readonly PlannedCell<C>[],
  options: ChunkOptions = {},
): PlannedCell<C>[][] {
  const hook = definition.population;
  if (!hook || options.population === false) return cells.map((cell) => [cell]);
  const workers = options.workers ?? 1;
  const cap = Math.max(1, Math.min(hook.maxSize ?? DEFAULT_POPULATION_SIZE, Math.ceil(cells.length / workers)));
  const chunks: PlannedCell<C>[][] = [];
  const groups = new Map<string, PlannedCell<C>[]>();
  for (const cell of cells) {
    let key: unknown;
    try {
      key = hook.key(cellInput(cell));
    } catch (err) {
      throw new Error(`experiment '${definition.name}': population.key failed for cell #${cell.index} (${cell.label}): ${(err as Error)?.message ?? String(err)}`);
    }
    if (key === null) chunks.push([cell]);
    else if (typeof key === 'string') {
      const group = groups.get(key) ?? [];
      group.push(cell);
      groups.set(key, group);
    } else {
      throw new Error(`experiment '${definition.name}': population.key must return a string or null, got ${JSON.stringify(key) ?? String(key)} for cell #${cell.index} (${cell.label})`);
    }
  }
  const grouped = [...groups.values()];
  const counts = grouped.map((group) => Math.ceil(group.length / cap)); // chunks per group
  const chunkSize = (i: number) => Math.ceil(grouped[i]!.length / counts[i]!); // the group's largest chunk
  for (let total = chunks.length + counts.reduce((a, b) => a + b, 0); total < workers; total++) {
    const widest = grouped.reduce((best, _, i) => (chunkSize(i) > (best < 0 ? 1 : chunkSize(best)) ? i : best), -1);
    if (widest < 0) break; // every chunk is a single cell
    counts[widest]! += 1;
  }
  grouped.forEach((group, i) => chunks.push(...splitEvenly(group, counts[i]!)));
  return chunks.sort((a, b) => a[0]!.index - b[0]!.index);
}

/** `list` in order as `count` consecutive slices whose sizes differ by at most one. */
function splitEvenly<T>(list: readonly T[], count: number): T[][] {
  const base = Math.floor(list.length / count);
  const larger = list.length % count; // the first `larger` slices hold one item more
  const slices: T[][] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const size = base + (i < larger ? 1 : 0);
    slices.push(list.slice(start, start + size));
    start += size;
  }
  return slices;
}
