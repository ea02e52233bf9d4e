/**
 * Executes every notebook in notebooks/ in smoke mode (HPA_SMOKE=1), one subtest per notebook.
 * Needs the library built (`npm run build`, which `npm test` runs first). HPA_SKIP_NOTEBOOKS=1 skips them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, executeNotebook, installKernel, resolveNotebooks } from '../scripts/notebook-runner';

const skip = process.env.HPA_SKIP_NOTEBOOKS === '1';

test('every notebook runs in smoke mode', { skip }, async (t) => {
  const python = installKernel();
  const notebooks = resolveNotebooks([]);
  assert.ok(notebooks.length > 0, 'notebooks/ has no .ipynb files');
  for (const nb of notebooks) {
    await t.test(nb.slice(ROOT.length + 1), () => {
      const result = executeNotebook(python, nb, {
        outputDir: join(ROOT, 'out', 'notebooks', 'smoke'),
        timeoutSeconds: 600,
        env: { HPA_SMOKE: '1' },
      });
      assert.ok(result.ok, result.failure);
    });
  }
});
