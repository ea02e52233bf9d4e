/**
 * Shapes shared by the experiment runner: definitions, cells, results and progress.
 */
import type { BackendKind } from '../backend';
import type { MetricRecord } from '../frames';
import type { RunMode } from '../runtime';

/** A JSON value: what an experiment's config may hold, so that it can be hashed and cached. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A value of the swept parameter. */
export type SweepValue = number | string;

/** The run mode an experiment is resolved in (defined in src/runtime.ts: `runMode()` reads `HPA_SMOKE`). */
export type { RunMode };

/** A value that may differ between smoke and full runs. */
export interface BySize<T> {
  smoke: T;
  full: T;
}

/** One unit of work handed to an experiment's run function. */
export interface ExperimentCell<C = JsonValue> {
  /** Name of the experiment. */
  experiment: string;
  /** Position in the experiment's cell order (methods x seeds x sweep values); stable for a fixed definition. */
  index: number;
  method: string;
  seed: number;
  /** Name of the swept parameter, when the experiment has a sweep. */
  sweepName?: string;
  /** Value of the swept parameter for this cell, when the experiment has a sweep. */
  sweepValue?: SweepValue;
  /** The experiment's config resolved for the current mode. */
  config: C;
}

/** Function computing one cell's long-form metrics. */
export type RunCell<C = JsonValue> = (cell: ExperimentCell<C>) => Promise<MetricRecord[]> | MetricRecord[];

/**
 * Optional hook of an experiment whose cells can be computed together, e.g. R training runs in
 * lockstep as one batched computation (`GRPOPopulation`).
 *
 * Contract: a cell's records must be the same, bit for bit, whether it is computed alone (`run`) or
 * in a population (`population.run`), with any other cells. The runner relies on it: a cached cell
 * is reused whichever way it was computed, and `RunOptions.population: false` (every cell alone),
 * workers and shards must all give the same records.
 *
 * How cells are grouped (see `populationChunks`): the cells to compute (after the cache scan and
 * shard selection) with equal keys form a group; each group is split, in cell order, into the fewest
 * chunks of at most `maxSize` cells, of sizes differing by at most one. With k worker processes no
 * chunk holds more than ceil(cells to compute / k) cells, and groups are split further while there
 * are fewer chunks than workers, so that every worker gets work. A chunk of one cell is computed by
 * `run`, a larger one by one `population.run` call.
 */
export interface PopulationHook<C = JsonValue> {
  /** Cells whose keys are equal may be computed together; null = this cell always runs alone. */
  key: (cell: ExperimentCell<C>) => string | null;
  /** Computes the given cells together; returns each cell's records, in the order given. */
  run: (cells: ExperimentCell<C>[]) => MetricRecord[][] | Promise<MetricRecord[][]>;
  /** Most cells in one population (default 32). */
  maxSize?: number;
}

/** What {@link defineExperiment} takes. */
export interface ExperimentSpec<C = JsonValue> {
  /** Unique name; also the cache folder name, so letters, digits, `.`, `_` and `-` only. */
  name: string;
  /** Bump to invalidate every cached cell after changing the run function's behaviour. */
  version: string | number;
  /** Methods compared (e.g. `['grpo', 'pgrpo']`). */
  methods: readonly string[];
  /** Seeds, either fixed or per mode (`{ smoke: [0], full: [0, 1, 2, 3, 4] }`). */
  seeds: readonly number[] | BySize<readonly number[]>;
  /**
   * Optional swept parameter: one cell per value. Its name becomes a label column of the records.
   * The values may differ by mode (`{ smoke: [0.1], full: [0.05, 0.1, 0.2] }`); they are resolved
   * when the experiment is planned, never when its module is loaded.
   */
  sweep?: { name: string; values: readonly SweepValue[] | BySize<readonly SweepValue[]> };
  /**
   * JSON-able config handed to every cell: a value, or a function of the run's mode evaluated each
   * time the experiment is planned (`(mode) => ({ steps: { smoke: 20, full: 2000 }[mode] })`). The
   * resolved config is part of every cell's cache key.
   */
  config: C | ((mode: RunMode) => C);
  /** Computes one cell. Must be deterministic given the cell: results are cached by the cell's key. */
  run: RunCell<C>;
  /**
   * Computes several compatible cells in one call (see {@link PopulationHook}): each cell's records
   * must equal what `run` returns for it alone.
   */
  population?: PopulationHook<C>;
}

/** A validated experiment definition (the output of {@link defineExperiment}). */
export interface ExperimentDefinition<C = JsonValue> extends ExperimentSpec<C> {
  readonly kind: 'hpa-experiment';
}

/** A cell with its cache key and a human-readable label, as planned for one run. */
export interface PlannedCell<C = JsonValue> extends ExperimentCell<C> {
  /** sha256 of the canonical JSON of (experiment, version, mode, backend, cell, config). */
  key: string;
  /** `method=..., seed=..., <sweep>=...`: how errors and progress name the cell. */
  label: string;
}

/** An experiment resolved in one mode and for one backend: its seeds, config and every cell in order. */
export interface ExperimentPlan<C = JsonValue> {
  definition: ExperimentDefinition<C>;
  mode: RunMode;
  /** The TensorFlow.js backend the cells are computed on; part of every cell's cache key. */
  backend: BackendKind;
  seeds: number[];
  /** The swept parameter with its values for this mode, when the experiment has a sweep. */
  sweep?: { name: string; values: SweepValue[] };
  config: C;
  cells: PlannedCell<C>[];
}

/** How one cell's records were obtained in a run. */
export interface CellOutcome {
  index: number;
  label: string;
  key: string;
  /** Cache file holding the cell's records. */
  file: string;
  /** True when the records came from the cache without running the cell. */
  cached: boolean;
  /** Seconds the run function took (from the cache file when cached). */
  seconds: number;
  /** Number of records the cell produced. */
  records: number;
}

/**
 * Progress of a run, passed to progress callbacks once after the cache scan (cached cells count as
 * done), after every computed cell, and once at the end.
 */
export interface ExperimentProgress {
  experiment: string;
  /** Cells this run covers (its shard only, when sharded). */
  total: number;
  /** Cells finished: cached + ran + failed. */
  done: number;
  cached: number;
  ran: number;
  failed: number;
  /** Milliseconds since the run started. */
  elapsedMs: number;
  /** The cell that was just computed (absent in the first and last report). */
  last?: { index: number; label: string; error?: string };
  /** True for the final report. */
  finished: boolean;
}

/** Receives {@link ExperimentProgress} reports. */
export type ProgressCallback = (progress: ExperimentProgress) => void;
