import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeNotebook, installKernel } from '../scripts/notebook-runner';

function notebookJson(sources: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    cells: sources.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
  });
}

test('a broken cell fails the run, naming the notebook, the cell and the error', { skip: process.env.HPA_SKIP_NOTEBOOKS === '1' }, () => {
  const python = installKernel();
  const dir = mkdtempSync(join(tmpdir(), 'hpa-nb-'));
  const nb = join(dir, 'broken.ipynb');
  writeFileSync(nb, notebookJson(['const fine: number = 1 + 1;\nconsole.log(fine);', "throw new Error('deliberately broken');", 'console.log("never runs")']));
  const result = executeNotebook(python, nb, { outputDir: join(dir, 'out'), timeoutSeconds: 120 });
  assert.equal(result.ok, false);
  assert.match(result.failure ?? '', /broken\.ipynb failed at cell 1 \(code cell 2: `throw new Error\('deliberately broken'\);`\)/);
  assert.match(result.failure ?? '', /Error: deliberately broken/);
  // The executed copy is written even on failure, with the first cell's output, and the source is untouched.
  const executed = JSON.parse(readFileSync(result.output, 'utf8'));
  assert.deepEqual(executed.cells[0].outputs[0].text, ['2\n']);
  assert.deepEqual(JSON.parse(readFileSync(nb, 'utf8')).cells[0].outputs, []);

  const typeError = join(dir, 'typed.ipynb');
  writeFileSync(typeError, notebookJson(["const n: number = 'text';"]));
  const typed = executeNotebook(python, typeError, { outputDir: join(dir, 'out'), timeoutSeconds: 120 });
  assert.equal(typed.ok, false);
  assert.match(typed.failure ?? '', /typed\.ipynb failed at cell 0 .*Type 'string' is not assignable to type 'number'/);
});
