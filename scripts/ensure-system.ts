/**
 * First step of `npm test` and `npm run reproduce`: installs (Debian, root) or asks for the system
 * parts outside npm before any test or notebook needs them: Jupyter's Python modules for executing
 * notebooks (not needed when HPA_SKIP_NOTEBOOKS=1) and Chromium for PNG figures.
 */
import { ensureSystem } from './system';

try {
  const parts = ensureSystem({ jupyter: process.env.HPA_SKIP_NOTEBOOKS !== '1', chromium: true });
  const found = [
    ...(parts.python ? [`Jupyter modules in ${parts.python}`] : []),
    ...(parts.chromium ? [`Chromium at ${parts.chromium}`] : []),
  ];
  console.log(`system parts: ${found.join(', ')}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
