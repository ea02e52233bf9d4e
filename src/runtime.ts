/**
 * Run-mode switches shared by notebooks, experiments and scripts.
 */
import { resolve } from 'node:path';

/** Environment variable: `1` runs every notebook and experiment at smoke size (CI), else full size. */
export const SMOKE_ENV = 'HPA_SMOKE';
/** Environment variable: where notebooks write figures and tables (default `figures/` in the working directory's repo). */
export const FIGURES_ENV = 'HPA_FIGURES_DIR';

/** True when `HPA_SMOKE` is set to `1` or `true`: work is shrunk so every notebook runs in CI in minutes. */
export function isSmoke(): boolean {
  const v = (process.env[SMOKE_ENV] ?? '').toLowerCase();
  return v === '1' || v === 'true';
}

/** Picks the smoke-size or the full-size value according to {@link isSmoke}. */
export function bySize<T>(smoke: T, full: T): T {
  return isSmoke() ? smoke : full;
}

/** Folder for figures and result tables: `HPA_FIGURES_DIR`, else `<repo>/figures` (smoke runs: `<repo>/out/figures-smoke`). */
export function figuresDir(): string {
  const fromEnv = process.env[FIGURES_ENV];
  if (fromEnv) return resolve(fromEnv);
  return resolve(__dirname, '..', isSmoke() ? 'out/figures-smoke' : 'figures');
}

/** Path of a file shipped in the repository's `data/` folder (synthetic data the kit generates). */
export function shippedDataPath(name: string): string {
  return resolve(__dirname, '..', 'data', name);
}
