/**
 * Notebook display end to end: figure outputs draw in a real browser, the plotly bundle is in the page
 * once and survives a reload, executed notebooks are signed as trusted, and `showFigure` as a cell's
 * last expression prints nothing.
 *
 * The first test needs only Chromium. The second executes a small generated notebook with the kit's
 * runner (tslab kernel, built library: `npm test` builds first; HPA_SKIP_NOTEBOOKS=1 skips it like the
 * other notebook tests), exports it with nbconvert and opens the HTML in headless Chromium. It is
 * self-contained: the smoke notebooks are executed by test/notebooks.test.ts in another process, so
 * their files may be half-written while this runs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeNotebook, installKernel, ROOT } from '../scripts/notebook-runner';
import { chromiumAvailable, chromiumPath, PLOTLY_MISSING_NOTE, plotlyVersion, showFigure, type PlotlyFigure } from '../src/figures';
import {
  browserCheckUnavailable,
  collectErrors,
  drawnFigures,
  exportNotebookHtml,
  figureOutputCount,
  launchChromium,
  waitForPlots,
} from './helpers/notebookFigures';

const work = mkdtempSync(join(tmpdir(), 'hpa-notebook-display-'));
after(() => rmSync(work, { recursive: true, force: true }));

const noChromium = chromiumAvailable() ? false : `Chromium not found at ${chromiumPath()}; install it (apt-get install chromium) to run this test`;

function lineFigure(title: string): PlotlyFigure {
  return { data: [{ type: 'scatter', mode: 'lines', x: [0, 1, 2], y: [0, 2, 1] }], layout: { title: { text: title }, width: 1000, height: 300 } };
}

test('figure outputs in a browser: the carrier is found in any order, cached for a reload without it, and a note when neither', { skip: noChromium, timeout: 120_000 }, async () => {
  const outputs: string[] = [];
  const display = { html: (s: string) => void outputs.push(s) };
  showFigure(lineFigure('carries the bundle'), { display, reloadPlotly: true });
  showFigure(lineFigure('loader only'), { display });
  const [withCarrier, loaderOnly] = outputs as [string, string];
  assert.ok(withCarrier.length > 4_000_000 && loaderOnly.length < 10_000);
  const page = (body: string) => `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0;width:700px">${body}</body></html>`;
  const pages: Record<string, string> = {
    // The loader-only output comes first (outputs render in any order), and the page defines the
    // module-loader globals that a classic Notebook page has (RequireJS's define).
    '/notebook.html': page(
      `<script>window.define=function(){throw new Error('Mismatched anonymous define() module')};window.define.amd={};</script>` +
        `<div class="output">${loaderOnly}</div><div class="output">${withCarrier}</div>`,
    ),
    // After a reload whose saved notebook lacks the carrier output (cleared, or never saved).
    '/reloaded.html': page(`<div class="output">${loaderOnly}</div>`),
  };
  const browser = await launchChromium();
  try {
    const serve = async (context: import('playwright-core').BrowserContext) =>
      context.route(/^http:\/\/hpa\.test\//, (route) => {
        const body = pages[new URL(route.request().url()).pathname];
        return body ? route.fulfill({ status: 200, contentType: 'text/html', body }) : route.fulfill({ status: 404, body: '' });
      });
    const context = await browser.newContext();
    await serve(context);
    const first = await context.newPage();
    const errors = collectErrors(first);
    await first.goto('http://hpa.test/notebook.html');
    const plots = await waitForPlots(first, 2);
    assert.equal(plots.length, 2);
    for (const p of plots) {
      assert.ok(p.hasSvg && p.height === 300, JSON.stringify(p));
      assert.equal(p.width, 700, 'the figure fills its 700 px container instead of its 1000 px layout width');
    }
    // The bundle ran once and was cached in IndexedDB under its version.
    const cachedLength = await first.evaluate(async (version) => {
      for (let i = 0; i < 50; i++) {
        const length = await new Promise<number>((resolve) => {
          const open = indexedDB.open('hpa-kit-plotly', 1);
          open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains('bundle')) return resolve(0), db.close();
            const get = db.transaction('bundle', 'readonly').objectStore('bundle').get(version);
            get.onsuccess = () => (resolve(typeof get.result === 'string' ? get.result.length : 0), db.close());
            get.onerror = () => (resolve(0), db.close());
          };
          open.onerror = () => resolve(0);
        });
        if (length > 0) return length;
        await new Promise((r) => setTimeout(r, 100));
      }
      return 0;
    }, plotlyVersion());
    assert.ok(cachedLength > 4_000_000, `bundle cached in IndexedDB (${cachedLength} characters)`);
    assert.deepEqual(errors, []);

    const reloaded = await context.newPage();
    const reloadErrors = collectErrors(reloaded);
    await reloaded.goto('http://hpa.test/reloaded.html');
    const again = await waitForPlots(reloaded, 1);
    assert.equal(again.length, 1);
    assert.ok(again[0]!.hasSvg && again[0]!.width === 700);
    assert.deepEqual(reloadErrors, []);
    await context.close();

    // A browser that never saw the bundle: the figure says what to do instead of staying blank.
    const fresh = await browser.newContext();
    await serve(fresh);
    const blank = await fresh.newPage();
    await blank.goto('http://hpa.test/reloaded.html');
    await blank.waitForFunction(() => document.querySelector('.hpa-figure')?.textContent !== '', undefined, { timeout: 30_000 });
    assert.equal(await blank.evaluate(() => document.querySelector('.hpa-figure')!.textContent), PLOTLY_MISSING_NOTE);
    assert.equal(await blank.evaluate(() => document.querySelectorAll('.js-plotly-plot').length), 0);
    await fresh.close();
  } finally {
    await browser.close();
  }
});

/** nbformat 4 JSON for code cells. */
function notebookJson(cells: string[]): string {
  return JSON.stringify(
    {
      cells: cells.map((source) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })),
      metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );
}

interface NotebookOutput {
  output_type: string;
  data?: Record<string, string | string[]>;
}

function htmlOf(output: NotebookOutput): string {
  const html = output.data?.['text/html'] ?? '';
  return Array.isArray(html) ? html.join('') : html;
}

const signatureProbe =
  'import sys, nbformat\nfrom nbformat.sign import NotebookNotary\n' +
  'print(NotebookNotary().check_signature(nbformat.read(sys.argv[1], as_version=4)))\n';

function signatureValid(python: string, ipynb: string, dataDir: string): boolean {
  const r = spawnSync(python, ['-c', signatureProbe, ipynb], { encoding: 'utf8', env: { ...process.env, JUPYTER_DATA_DIR: dataDir } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim() === 'True';
}

const skipNotebooks = process.env.HPA_SKIP_NOTEBOOKS === '1' ? 'HPA_SKIP_NOTEBOOKS=1: executing a notebook needs the tslab kernel and the built library (npm test builds it)' : false;

test('executed notebook: signed as trusted, one plotly bundle, nothing printed by showFigure, every figure drawn in Chromium', { skip: skipNotebooks, timeout: 300_000 }, async (t) => {
  const python = installKernel();
  const unavailable = browserCheckUnavailable(python);
  if (unavailable) return t.skip(unavailable);
  // Under the repository, so the kernel resolves `hpa-kit` to the built library.
  const folder = join(ROOT, 'out', 'test-notebook-display', String(process.pid));
  mkdirSync(folder, { recursive: true });
  after(() => rmSync(folder, { recursive: true, force: true }));
  const source = join(folder, 'display.ipynb');
  writeFileSync(
    source,
    notebookJson([
      "import * as kit from 'hpa-kit';",
      "const fig = { data: [{ type: 'bar', x: ['a', 'b'], y: [1, 2] }], layout: { title: { text: 'one' }, width: 1000, height: 350 } };\nkit.showFigure(fig)",
      "for (const title of ['two', 'three']) kit.showFigure({ data: [{ type: 'scatter', x: [0, 1], y: [1, 0] }], layout: { title: { text: title } } });",
      "await kit.initBackend('cpu');\nconst policy = new kit.CategoricalMLPPolicy({ numResponses: 3, groups: ['a', 'b'], seed: 1 });\n" +
        "const task = kit.tableTask({ groups: ['a', 'b'], shares: [0.5, 0.5], rewardTable: { a: [1, 0, 0], b: [0, 0, 1] } });\n" +
        "const records = new kit.GRPOTrainer(policy, task, { num_generations: 4, prompts_per_step: 4 }).train(3);",
    ]),
  );
  const dataDir = join(work, 'jupyter-data');
  const result = executeNotebook(python, source, { outputDir: join(folder, 'executed'), timeoutSeconds: 240, env: { JUPYTER_DATA_DIR: dataDir } });
  assert.ok(result.ok, result.failure);

  assert.equal(signatureValid(python, result.output, dataDir), true, 'signed in the notary database of the Jupyter data dir it ran with');
  assert.equal(signatureValid(python, result.output, join(work, 'other-data')), false, 'another data dir does not know the signature');

  const text = readFileSync(result.output, 'utf8');
  const nb = JSON.parse(text) as { cells: { outputs: NotebookOutput[] }[] };
  assert.deepEqual(nb.cells[1]!.outputs.map((o) => o.output_type), ['display_data'], 'showFigure as the last expression prints no `true`');
  assert.equal(text.split('data-plotly-version=').length - 1, 1, 'the bundle is in the notebook once');
  assert.equal(text.split('* plotly.js v').length - 1, 1);
  assert.ok(text.length < 6_000_000, `${text.length} characters for three figures`);
  assert.equal(figureOutputCount(result.output), 3);
  // train(3) in a notebook: one progress display, updated in place to its final state.
  const bars = nb.cells[3]!.outputs.filter((o) => o.output_type === 'display_data' && /<b>train<\/b>/.test(htmlOf(o)));
  assert.equal(bars.length, 1);
  assert.match(htmlOf(bars[0]!), /background:#2ca02c.*<b>train<\/b>: 3\/3 steps, [\d.]+ steps\/s, [\d.]+ s, reward \(last 3 steps\): a \d\.\d{3}, b \d\.\d{3}/);

  const html = exportNotebookHtml(python, result.output, join(folder, 'html'));
  const browser = await launchChromium();
  try {
    const { plots, errors } = await drawnFigures(browser, html, 3);
    assert.deepEqual(errors, []);
    assert.equal(plots.length, 3, 'every figure output drew');
    for (const p of plots) {
      assert.ok(p.hasSvg && p.width > 0 && p.height > 0, JSON.stringify(p));
      assert.ok(Math.abs(p.width - p.containerWidth) <= 1 && p.width < 900, `fills its output area, not 1000 px: ${JSON.stringify(p)}`);
    }
    assert.deepEqual(plots.map((p) => p.height), [350, 600, 600]);
  } finally {
    await browser.close();
  }
});
