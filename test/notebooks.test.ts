/**
 * Executes the kit's notebooks (KIT_NOTEBOOKS; a scratch notebook in notebooks/ is not run) in smoke
 * mode (HPA_SMOKE=1), one subtest per notebook.
 * Needs the library built (`npm run build`, which `npm test` runs first). HPA_SKIP_NOTEBOOKS=1 skips them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { KIT_NOTEBOOKS, ROOT, executeNotebook, installKernel, resolveNotebooks } from '../scripts/notebook-runner';
import { figuresDrawnSubtest } from './helpers/notebookFigures';

const skip = process.env.HPA_SKIP_NOTEBOOKS === '1';

test('every kit notebook runs in smoke mode', { skip }, async (t) => {
  const python = installKernel();
  const notebooks = resolveNotebooks([]);
  assert.equal(notebooks.length, KIT_NOTEBOOKS.length);
  for (const nb of notebooks) {
    await t.test(nb.slice(ROOT.length + 1), async (st) => {
      const result = executeNotebook(python, nb, {
        outputDir: join(ROOT, 'out', 'notebooks', 'smoke'),
        timeoutSeconds: 600,
        env: { HPA_SMOKE: '1' },
      });
      assert.ok(result.ok, result.failure);
      // Exported to HTML and opened in headless Chromium: every figure output must draw.
      await figuresDrawnSubtest(st, python, result.output, join(ROOT, 'out', 'notebooks', 'smoke-html'));
    });
  }
});
