/**
 * Run-mode switches shared by notebooks, experiments and scripts.
 */
import { join, resolve } from 'node:path';

/** Environment variable: `1` runs every notebook and experiment at smoke size (CI), else full size. */
export const SMOKE_ENV = 'HPA_SMOKE';
/** Environment variable: where notebooks write figures and tables, overriding {@link figuresDir}'s rule. */
export const FIGURES_ENV = 'HPA_FIGURES_DIR';
/**
 * Environment variable: `1` marks a run of `npm run reproduce` (package.json sets it), the only run
 * whose full-size figures and tables go to the tracked `figures/`.
 */
export const REPRODUCE_ENV = 'HPA_REPRODUCE';

/** True when `HPA_SMOKE` is set to `1` or `true`: work is shrunk so every notebook runs in CI in minutes. */
export function isSmoke(): boolean {
  const v = (process.env[SMOKE_ENV] ?? '').toLowerCase();
  return v === '1' || v === 'true';
}

/** Picks the smoke-size or the full-size value according to {@link isSmoke}. */
export function bySize<T>(smoke: T, full: T): T {
  return isSmoke() ? smoke : full;
}

/** True when `HPA_REPRODUCE` is `1` or `true`: this is `npm run reproduce`. */
export function isReproduceRun(): boolean {
  const v = (process.env[REPRODUCE_ENV] ?? '').toLowerCase();
  return v === '1' || v === 'true';
}

/**
 * Folder for figures and result tables: `HPA_FIGURES_DIR` when set; else in smoke runs
 * `<repo>/out/figures-smoke`; else the tracked `<repo>/figures` only under `npm run reproduce`
 * ({@link isReproduceRun}) and `<repo>/out/figures` otherwise, so interactive sessions and
 * `npm run notebooks` never overwrite the shipped results.
 */
export function figuresDir(): string {
  const fromEnv = process.env[FIGURES_ENV];
  if (fromEnv) return resolve(fromEnv);
  const repo = resolve(__dirname, '..');
  if (isSmoke()) return resolve(repo, 'out', 'figures-smoke');
  return resolve(repo, isReproduceRun() ? 'figures' : join('out', 'figures'));
}

/** Path of a file shipped in the repository's `data/` folder (synthetic data the kit generates). */
export function shippedDataPath(name: string): string {
  return resolve(__dirname, '..', 'data', name);
}
