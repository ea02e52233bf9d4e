/**
 * `npm run notebooks [-- NAME...] [--smoke] [--in-place] [--out DIR]`
 *
 * Executes the notebooks headless (the kit's own, KIT_NOTEBOOKS in notebook-runner.ts, when no NAME
 * is given; other notebooks only when named) and writes the executed copies to out/notebooks/<mode>/
 * (sources stay untouched unless --in-place). Full mode by default; --smoke (or HPA_SMOKE=1) shrinks
 * every notebook's work. Figures go where src/runtime.ts figuresDir() says: the tracked figures/ only
 * under `npm run reproduce` (HPA_REPRODUCE=1), otherwise out/. Exits non-zero naming the notebook, the
 * cell and the error of every failure.
 */
import { join } from 'node:path';
import { ROOT, executeNotebook, installKernel, resolveNotebooks } from './notebook-runner';
import { ensureSystem } from './system';

function main(): number {
  const args = process.argv.slice(2);
  const names: string[] = [];
  let inPlace = false;
  let outDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--smoke') process.env.HPA_SMOKE = '1';
    else if (a === '--full') process.env.HPA_SMOKE = '0';
    else if (a === '--in-place') inPlace = true;
    else if (a === '--out') outDir = args[++i];
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else names.push(a);
  }
  const smoke = process.env.HPA_SMOKE === '1' || process.env.HPA_SMOKE === 'true';
  const mode = smoke ? 'smoke' : 'full';
  const notebooks = resolveNotebooks(names);
  ensureSystem({ jupyter: true, chromium: true });
  const python = installKernel();
  const outputDir = outDir ?? join(ROOT, 'out', 'notebooks', mode);
  console.log(`executing ${notebooks.length} notebook(s) in ${mode} mode; executed copies go to ${inPlace ? 'the sources' : outputDir}`);
  let passed = 0;
  const failures: string[] = [];
  for (const nb of notebooks) {
    const result = executeNotebook(python, nb, { outputDir, inPlace });
    if (result.ok) {
      passed++;
      console.log(`ok   ${nb} (${result.seconds.toFixed(1)} s)`);
    } else {
      failures.push(result.failure!);
      console.log(`FAIL ${result.failure}`);
    }
  }
  console.log(`notebooks: ${passed} passed, ${failures.length} failed`);
  return failures.length === 0 ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
