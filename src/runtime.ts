/**
 * Run settings: the one module (besides src/backend.ts, which reads `HPA_BACKEND`) that reads the
 * environment. Library modules never read `process.env` themselves; they call an accessor here, or
 * take the setting as an explicit parameter (experiments take their run mode from the runner, see
 * `RunOptions.mode`). Every environment variable the kit reads is listed below.
 *
 * | variable | accessor | meaning |
 * | --- | --- | --- |
 * | `HPA_SMOKE` | {@link isSmoke}, {@link runMode}, {@link bySize} | `1`: smoke size (CI) |
 * | `HPA_REPRODUCE` | {@link isReproduceRun} | `1`: this is `npm run reproduce` |
 * | `HPA_FIGURES_DIR` | {@link figuresDir} | where figures and tables go |
 * | `HPA_CACHE_DIR` | {@link experimentCacheDirSetting} | experiment cache root |
 * | `HPA_POLIS_DIR` | {@link polisDirSetting} | Polis open-data folder |
 * | `HPA_DATA_DIR` | {@link dataCacheDirSetting} | root of downloaded data (default `<repo>/.cache`) |
 * | `HPA_POLIS_BASE_URL` | {@link polisBaseUrlSetting} | where `npm run data -- polis` downloads from |
 * | `HPA_CHROMIUM` | {@link chromiumSetting} | Chromium binary for PNG export |
 * | `HPA_EXPERIMENT_WORKER` | {@link isExperimentWorkerProcess} | set by the runner on its worker processes |
 */
import { join, resolve } from 'node:path';

/** The size a run works at: `smoke` (toy size, CI) or `full`. */
export type RunMode = 'smoke' | 'full';

/** Environment variable: `1` runs every notebook and experiment at smoke size (CI), else full size. */
export const SMOKE_ENV = 'HPA_SMOKE';
/** Environment variable: where notebooks write figures and tables, overriding {@link figuresDir}'s rule. */
export const FIGURES_ENV = 'HPA_FIGURES_DIR';
/**
 * Environment variable: `1` marks a run of `npm run reproduce` (package.json sets it), the only run
 * whose full-size figures and tables go to the tracked `figures/`.
 */
export const REPRODUCE_ENV = 'HPA_REPRODUCE';
/** Environment variable: the experiment cache root (default `<repo>/.cache/experiments`). */
export const CACHE_ENV = 'HPA_CACHE_DIR';
/** Environment variable naming the Polis open-data folder. */
export const POLIS_DIR_ENV = 'HPA_POLIS_DIR';
/** Environment variable: root folder of downloaded data (default `<repo>/.cache`). */
export const DATA_DIR_ENV = 'HPA_DATA_DIR';
/** Environment variable overriding the base URL Polis files are downloaded from (a mirror, or a local server in tests). */
export const POLIS_BASE_URL_ENV = 'HPA_POLIS_BASE_URL';
/** Environment variable overriding the Chromium binary. */
export const CHROMIUM_ENV = 'HPA_CHROMIUM';
/** Environment flag the experiment runner sets on its workers, so that importing the worker module elsewhere does nothing. */
export const WORKER_ENV = 'HPA_EXPERIMENT_WORKER';

/** A setting's value, or undefined when unset or empty. */
function setting(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function flag(name: string): boolean {
  const v = (setting(name) ?? '').toLowerCase();
  return v === '1' || v === 'true';
}

/** True when `HPA_SMOKE` is set to `1` or `true`: work is shrunk so every notebook runs in CI in minutes. */
export function isSmoke(): boolean {
  return flag(SMOKE_ENV);
}

/** The run mode of this process: `smoke` when {@link isSmoke}, else `full`. */
export function runMode(): RunMode {
  return isSmoke() ? 'smoke' : 'full';
}

/**
 * Picks the smoke-size or the full-size value according to {@link isSmoke}. For notebooks and
 * scripts; library code takes the mode as a parameter instead (experiments: `config: (mode) => ...`).
 */
export function bySize<T>(smoke: T, full: T): T {
  return isSmoke() ? smoke : full;
}

/** True when `HPA_REPRODUCE` is `1` or `true`: this is `npm run reproduce`. */
export function isReproduceRun(): boolean {
  return flag(REPRODUCE_ENV);
}

/**
 * Folder for figures and result tables: `HPA_FIGURES_DIR` when set; else in smoke runs
 * `<repo>/out/figures-smoke`; else the tracked `<repo>/figures` only under `npm run reproduce`
 * ({@link isReproduceRun}) and `<repo>/out/figures` otherwise, so interactive sessions and
 * `npm run notebooks` never overwrite the shipped results.
 */
export function figuresDir(): string {
  const fromEnv = setting(FIGURES_ENV);
  if (fromEnv) return resolve(fromEnv);
  const repo = resolve(__dirname, '..');
  if (isSmoke()) return resolve(repo, 'out', 'figures-smoke');
  return resolve(repo, isReproduceRun() ? 'figures' : join('out', 'figures'));
}

/** Path of a file shipped in the repository's `data/` folder (synthetic data the kit generates). */
export function shippedDataPath(name: string): string {
  return resolve(__dirname, '..', 'data', name);
}

/** `HPA_CACHE_DIR`, the experiment cache root, when set. */
export function experimentCacheDirSetting(): string | undefined {
  return setting(CACHE_ENV);
}

/** `HPA_POLIS_DIR`, the Polis open-data folder, when set. */
export function polisDirSetting(): string | undefined {
  return setting(POLIS_DIR_ENV);
}

/** `HPA_DATA_DIR`, the root of downloaded data, when set. */
export function dataCacheDirSetting(): string | undefined {
  return setting(DATA_DIR_ENV);
}

/** `HPA_POLIS_BASE_URL`, the base URL Polis files are downloaded from, when set. */
export function polisBaseUrlSetting(): string | undefined {
  return setting(POLIS_BASE_URL_ENV);
}

/** `HPA_CHROMIUM`, the Chromium binary for PNG export, when set. */
export function chromiumSetting(): string | undefined {
  return setting(CHROMIUM_ENV);
}

/** True in a worker process the experiment runner forked (`HPA_EXPERIMENT_WORKER=1`). */
export function isExperimentWorkerProcess(): boolean {
  return setting(WORKER_ENV) === '1';
}

/**
 * The environment a worker process of the experiment runner gets: this process's environment with
 * `overrides` applied (an `undefined` override removes the variable).
 */
export function childProcessEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}
