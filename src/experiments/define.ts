/**
 * Experiment definitions: validation, and resolution into a plan of cells for the current mode.
 */
import { activeBackend, type BackendKind } from '../backend';
import { runMode } from '../runtime';
import { assertJson, hashJson } from './canonical';
import { cellLabel, enumerateCells } from './cells';
import type { BySize, ExperimentDefinition, ExperimentPlan, ExperimentSpec, JsonValue, RunMode, SweepValue } from './types';

/** Record fields and labels the runner owns; a sweep may not take one of these names. */
export const RESERVED_COLUMNS: readonly string[] = ['step', 'group', 'metric', 'value', 'method', 'seed'];

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Validates an experiment and returns its definition (register it with `registerExperiment` so that
 * worker processes and the CLI can find it by name).
 *
 * @example
 * ```ts
 * export const toy = defineExperiment({
 *   name: 'toy', version: 1, methods: ['grpo', 'pgrpo'], seeds: { smoke: [0], full: [0, 1, 2] },
 *   sweep: { name: 'beta', values: { smoke: [0.1], full: [0.01, 0.1] } },
 *   config: (mode) => ({ steps: { smoke: 10, full: 500 }[mode] }),
 *   run: ({ method, seed, sweepValue, config }) => train(method, seed, sweepValue, config),
 * });
 * ```
 */
export function defineExperiment<C>(spec: ExperimentSpec<C>): ExperimentDefinition<C> {
  const where = `experiment '${spec?.name}'`;
  if (typeof spec !== 'object' || spec === null) throw new Error('defineExperiment needs a spec object');
  if (typeof spec.name !== 'string' || !NAME_PATTERN.test(spec.name)) {
    throw new Error(`experiment name must start with a letter or digit and hold only letters, digits, '.', '_' and '-' (it names the cache folder), got '${spec.name}'`);
  }
  const versionOk = (typeof spec.version === 'string' && spec.version.length > 0) || (typeof spec.version === 'number' && Number.isFinite(spec.version));
  if (!versionOk) throw new Error(`${where}: version must be a non-empty string or a finite number, got ${String(spec.version)}`);
  assertUniqueList(spec.methods, `${where}: methods`, (m) => typeof m === 'string' && m.length > 0, 'non-empty strings');
  if (Array.isArray(spec.seeds)) validateSeeds(spec.seeds, `${where}: seeds`);
  else if (isBySize(spec.seeds)) {
    validateSeeds(spec.seeds.smoke, `${where}: seeds.smoke`);
    validateSeeds(spec.seeds.full, `${where}: seeds.full`);
  } else throw new Error(`${where}: seeds must be an array of integers or { smoke: number[], full: number[] }`);
  if (spec.sweep !== undefined) {
    const { name, values } = spec.sweep;
    if (typeof name !== 'string' || name.length === 0) throw new Error(`${where}: sweep.name must be a non-empty string`);
    if (RESERVED_COLUMNS.includes(name)) {
      throw new Error(`${where}: sweep.name '${name}' clashes with a record column; reserved: ${RESERVED_COLUMNS.join(', ')}`);
    }
    const okValue = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
    if (isBySize<readonly SweepValue[]>(values)) {
      assertUniqueList(values.smoke, `${where}: sweep.values.smoke`, okValue, 'finite numbers or strings');
      assertUniqueList(values.full, `${where}: sweep.values.full`, okValue, 'finite numbers or strings');
    } else assertUniqueList(values, `${where}: sweep.values`, okValue, 'finite numbers or strings');
  }
  if (spec.config === undefined) throw new Error(`${where}: config is required (use {} for none)`);
  if (typeof spec.config !== 'function') assertJson(spec.config, `${where}: config`);
  if (typeof spec.run !== 'function') throw new Error(`${where}: run must be a function (cell) => MetricRecord[]`);
  if (spec.population !== undefined) validatePopulation(spec.population, where);
  return { ...spec, kind: 'hpa-experiment' };
}

/** The mode the runtime is in now (`runMode()` of src/runtime.ts, i.e. `HPA_SMOKE`): the default of {@link PlanOptions.mode}. */
export function currentMode(): RunMode {
  return runMode();
}

/** Options of {@link planExperiment}. */
export interface PlanOptions {
  /** The backend the cells are computed on (default: the active one, see `activeBackend`). */
  backend?: BackendKind;
  /** The mode to resolve seeds, sweep values and config in (default {@link currentMode}). */
  mode?: RunMode;
}

/**
 * Resolves an experiment for the current mode and a backend: its seeds, its config (calling it when
 * it is a function) and every cell in order with its cache key. Without `options.backend` the
 * backend is the one TensorFlow.js runs on in this process; when none is initialised yet this is an
 * error (call `initBackend()` first), because results, and so cache keys, depend on the backend.
 */
export function planExperiment<C>(definition: ExperimentDefinition<C>, options: PlanOptions = {}): ExperimentPlan<C> {
  const mode = options.mode ?? currentMode();
  if (mode !== 'smoke' && mode !== 'full') throw new Error(`experiment '${definition.name}': mode must be 'smoke' or 'full', got ${JSON.stringify(mode)}`);
  const backend = options.backend ?? activeBackend();
  if (backend === null) {
    throw new Error(
      `experiment '${definition.name}': no TensorFlow.js backend is initialised in this process; call initBackend() first (HPA_BACKEND chooses) or pass { backend }: results differ between backends, so the cache key includes it`,
    );
  }
  const seeds = [...(Array.isArray(definition.seeds) ? definition.seeds : (definition.seeds as BySize<readonly number[]>)[mode])];
  const config = typeof definition.config === 'function' ? (definition.config as (mode: RunMode) => C)(mode) : (definition.config as C);
  const sweep = definition.sweep && { name: definition.sweep.name, values: [...sweepValues(definition.sweep.values, mode)] };
  assertJson(config, `experiment '${definition.name}': config (${mode} mode)`);
  const cells = enumerateCells(definition.name, definition.methods, seeds, sweep, config).map((cell) => ({
    ...cell,
    key: cellKey(definition, mode, backend, cell, config as JsonValue),
    label: cellLabel(cell),
  }));
  return { definition, mode, backend, seeds, ...(sweep ? { sweep } : {}), config, cells };
}

/**
 * The cache key of a cell: sha256 of the canonical JSON of the experiment name, version, mode,
 * backend, the cell's method/seed/sweep and the resolved config. The mode is included because run
 * functions may call `bySize` themselves; the backend because float results differ between
 * backends (so caches computed on different backends coexist in one folder).
 */
export function cellKey(
  definition: Pick<ExperimentDefinition<unknown>, 'name' | 'version'>,
  mode: RunMode,
  backend: BackendKind,
  cell: { method: string; seed: number; sweepName?: string; sweepValue?: string | number },
  config: JsonValue,
): string {
  const sweep = cell.sweepName === undefined ? null : { name: cell.sweepName, value: cell.sweepValue! };
  return hashJson({
    experiment: definition.name,
    version: definition.version,
    mode,
    backend,
    cell: { method: cell.method, seed: cell.seed, sweep },
    config,
  });
}

/** Throws unless `population` is `{ key: function, run: function, maxSize?: positive integer }`. */
function validatePopulation(population: unknown, where: string): void {
  if (typeof population !== 'object' || population === null) {
    throw new Error(`${where}: population must be an object { key, run, maxSize? }, got ${typeof population === 'object' ? 'null' : typeof population}`);
  }
  const { key, run, maxSize } = population as Record<string, unknown>;
  if (typeof key !== 'function') throw new Error(`${where}: population.key must be a function (cell) => string | null, got ${typeof key}`);
  if (typeof run !== 'function') throw new Error(`${where}: population.run must be a function (cells) => MetricRecord[][], got ${typeof run}`);
  if (maxSize !== undefined && !(Number.isInteger(maxSize) && (maxSize as number) >= 1)) {
    throw new Error(`${where}: population.maxSize must be a positive integer, got ${JSON.stringify(maxSize) ?? String(maxSize)}`);
  }
}

function sweepValues(values: readonly SweepValue[] | BySize<readonly SweepValue[]>, mode: RunMode): readonly SweepValue[] {
  return isBySize<readonly SweepValue[]>(values) ? values[mode] : values;
}

function isBySize<T = readonly number[]>(value: unknown): value is BySize<T> {
  return typeof value === 'object' && value !== null && 'smoke' in value && 'full' in value;
}

function validateSeeds(seeds: unknown, what: string): void {
  assertUniqueList(seeds, what, (s) => Number.isInteger(s), 'integers');
}

function assertUniqueList(list: unknown, what: string, ok: (v: unknown) => boolean, kind: string): void {
  if (!Array.isArray(list) || list.length === 0) throw new Error(`${what} must be a non-empty array of ${kind}`);
  const seen = new Set<unknown>();
  list.forEach((v, i) => {
    if (!ok(v)) throw new Error(`${what}[${i}] must be one of ${kind}, got ${JSON.stringify(v)}`);
    if (seen.has(v)) throw new Error(`${what} lists ${JSON.stringify(v)} twice`);
    seen.add(v);
  });
}
