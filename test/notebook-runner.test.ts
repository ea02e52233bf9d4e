import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import {
  KIT_NOTEBOOKS,
  ROOT,
  executeNotebook,
  installKernel,
  resolveNotebooks,
  writeKernelSpec,
} from '../scripts/notebook-runner';
import { JUPYTER_PYTHON_MODULES, pythonCandidates } from '../scripts/system';
import { FIGURES_ENV, REPRODUCE_ENV, SMOKE_ENV, figuresDir } from '../src/runtime';

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

test('with no names the runner takes the kit\'s listed notebooks only; a scratch notebook beside them is ignored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hpa-nblist-'));
  for (const name of KIT_NOTEBOOKS) writeFileSync(join(dir, `${name}.ipynb`), '{}');
  writeFileSync(join(dir, 'Untitled.ipynb'), '{}');
  writeFileSync(join(dir, 'my_scratch.ipynb'), '{}');
  assert.equal(readdirSync(dir).length, KIT_NOTEBOOKS.length + 2);
  assert.deepEqual(resolveNotebooks([], dir), KIT_NOTEBOOKS.map((name) => join(dir, `${name}.ipynb`)));
  // Named explicitly, a scratch notebook does run.
  assert.deepEqual(resolveNotebooks(['my_scratch'], dir), [join(dir, 'my_scratch.ipynb')]);
});

test('a listed kit notebook that is missing is an error naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hpa-nblist-'));
  for (const name of KIT_NOTEBOOKS.slice(1)) writeFileSync(join(dir, `${name}.ipynb`), '{}');
  assert.throws(() => resolveNotebooks([], dir), /kit notebook .*00_environment\.ipynb is missing/);
});

test('the kit list is the nine notebooks 00..08 in notebooks/, in order', () => {
  const files = resolveNotebooks([]).map((f) => basename(f));
  assert.deepEqual(files, [
    '00_environment.ipynb',
    '01_datasets.ipynb',
    '02_quickstart.ipynb',
    '03_minority_recovery.ipynb',
    '04_advantage_anatomy.ipynb',
    '05_polis.ipynb',
    '06_persona_lm.ipynb',
    '07_group_robust.ipynb',
    '08_one_workflow.ipynb',
  ]);
});

test('figuresDir: tracked figures/ only under reproduce in full mode; out/ otherwise; HPA_FIGURES_DIR wins', () => {
  const saved = { smoke: process.env[SMOKE_ENV], repro: process.env[REPRODUCE_ENV], dir: process.env[FIGURES_ENV] };
  const set = (name: string, value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  try {
    set(FIGURES_ENV, undefined);
    const cases: Array<[smoke: string | undefined, reproduce: string | undefined, expected: string]> = [
      [undefined, undefined, 'out/figures'], // an interactive session in full mode
      ['0', undefined, 'out/figures'], // npm run notebooks (full)
      [undefined, '0', 'out/figures'],
      [undefined, '1', 'figures'], // npm run reproduce
      ['0', 'true', 'figures'],
      ['1', undefined, 'out/figures-smoke'], // npm test
      ['1', '1', 'out/figures-smoke'], // smoke never writes the shipped results
    ];
    for (const [smoke, reproduce, expected] of cases) {
      set(SMOKE_ENV, smoke);
      set(REPRODUCE_ENV, reproduce);
      assert.equal(figuresDir(), join(ROOT, expected), `HPA_SMOKE=${smoke} HPA_REPRODUCE=${reproduce}`);
    }
    set(FIGURES_ENV, 'somewhere/else');
    set(REPRODUCE_ENV, '1');
    assert.equal(figuresDir(), resolve('somewhere/else'));
  } finally {
    set(SMOKE_ENV, saved.smoke);
    set(REPRODUCE_ENV, saved.repro);
    set(FIGURES_ENV, saved.dir);
  }
});

test('the kernel spec is written by the kit itself: tslab started with the connection file', () => {
  const spec = writeKernelSpec();
  assert.equal(spec, join(ROOT, '.jupyter', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json'));
  assert.deepEqual(JSON.parse(readFileSync(spec, 'utf8')), {
    argv: [join(ROOT, 'node_modules', '.bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript',
    language: 'typescript',
  });
});

/** Top-level modules imported by a Python source (`import a.b, c` and `from a.b import x`; relative imports left out). */
function pythonImports(source: string): string[] {
  const names = new Set<string>();
  for (const line of source.split('\n')) {
    const from = /^\s*from\s+([A-Za-z_][\w.]*)\s+import\b/.exec(line);
    if (from) names.add(from[1]!.split('.')[0]!);
    const plain = /^\s*import\s+(.+)$/.exec(line);
    if (plain) for (const part of plain[1]!.split(',')) names.add(part.trim().split(/[\s.]/)[0]!);
  }
  return [...names].sort();
}

test('pythonImports reads both import forms', () => {
  assert.deepEqual(pythonImports('import json, re\nfrom nbclient import NotebookClient\n  import nbformat.sign as s\nx = 1\n'), [
    'json',
    'nbclient',
    'nbformat',
    're',
  ]);
});

const python = pythonCandidates().find((p) => spawnSync(p, ['-c', 'import sys; assert sys.version_info >= (3, 10)']).status === 0);
test('every Python module the kit\'s scripts import is standard library or checked by ensureSystem', { skip: python ? false : 'no Python 3.10+ found' }, () => {
  const stdlib = new Set(
    JSON.parse(spawnSync(python!, ['-c', 'import sys, json; print(json.dumps(sorted(sys.stdlib_module_names)))'], { encoding: 'utf8' }).stdout) as string[],
  );
  const checked = new Set(JUPYTER_PYTHON_MODULES.map((m) => m.split('.')[0]!));
  const scripts = readdirSync(join(ROOT, 'scripts')).filter((f) => f.endsWith('.py'));
  assert.ok(scripts.includes('execute_notebook.py'));
  for (const file of scripts) {
    const imports = pythonImports(readFileSync(join(ROOT, 'scripts', file), 'utf8'));
    assert.ok(imports.includes('nbclient') || file !== 'execute_notebook.py', 'execute_notebook.py imports nbclient');
    const unchecked = imports.filter((m) => !stdlib.has(m) && !checked.has(m));
    assert.deepEqual(unchecked, [], `scripts/${file} imports modules ensureSystem does not check (add them to JUPYTER_PYTHON_MODULES)`);
  }
});
