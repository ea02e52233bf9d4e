/**
 * The experiment runner: methods x seeds x sweep values, cached on disk, run in parallel worker
 * processes or as shards of a cluster job array.
 *
 * ```ts
 * registerExperiment(defineExperiment({ name: 'toy', version: 1, methods: ['grpo', 'pgrpo'], seeds: [0, 1], config: {}, run }));
 * const result = await runExperiment('toy', { workers: 2 });
 * showFrame(result.frame());
 * ```
 * @packageDocumentation
 */
export type {
  BySize,
  CellOutcome,
  ExperimentCell,
  ExperimentDefinition,
  ExperimentPlan,
  ExperimentProgress,
  ExperimentSpec,
  JsonValue,
  PlannedCell,
  PopulationHook,
  ProgressCallback,
  RunCell,
  RunMode,
  SweepValue,
} from './types';
export { RESERVED_COLUMNS, cellKey, currentMode, defineExperiment, planExperiment, type PlanOptions } from './define';
export { canonicalJson, hashJson } from './canonical';
export { DEFAULT_POPULATION_SIZE, cellLabel, enumerateCells, parseShard, populationChunks, selectShard, type ChunkOptions, type Shard } from './cells';
export {
  experimentModuleOf,
  experimentModules,
  getExperiment,
  libraryModulePath,
  listExperiments,
  loadExperimentLibrary,
  registerExperiment,
  registerExperimentModule,
} from './registry';
export { CACHE_ENV, cellCacheFile, experimentCacheRoot, readCachedCell, type CachedCell } from './cache';
export { experimentCsv, experimentFrame, recordColumns } from './frame';
export { CellFailedError, ExperimentAbortedError, ExperimentFailedError, type CellRef } from './errors';
export { autoProgress, formatProgress, notebookProgress, progressHtml, terminalProgress, type ProgressStream, type TerminalProgressOptions } from './progress';
export { experimentStatus, mergeExperiment, runExperiment, type CacheQueryOptions, type ExperimentResult, type ExperimentStatus, type RunOptions } from './runner';
