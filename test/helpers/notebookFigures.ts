/**
 * Test helpers: export an executed notebook to HTML with nbconvert and check, in headless Chromium,
 * that every plotly figure output has drawn. Used by test/notebook-display.test.ts (a small generated
 * notebook) and usable for any executed notebook (e.g. the smoke notebooks in out/notebooks/smoke).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumAvailable, chromiumPath } from '../../src/figures/exporter';

/** Why browser checks cannot run here (Chromium or nbconvert missing), or null when they can. */
export function browserCheckUnavailable(python: string): string | null {
  if (!chromiumAvailable()) return `Chromium not found at ${chromiumPath()}; install it (apt-get install chromium) or set HPA_CHROMIUM`;
  const r = spawnSync(python, ['-c', 'import nbconvert'], { encoding: 'utf8' });
  if (r.status !== 0) return `nbconvert is not importable by ${python}; install it (apt-get install jupyter-nbconvert)`;
  return null;
}

/** Launches headless Chromium with the kit's offline flags (never downloads a browser). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
}

/** Number of figure outputs (`showFigure`) in an .ipynb file. */
export function figureOutputCount(ipynb: string): number {
  const nb = JSON.parse(readFileSync(ipynb, 'utf8')) as { cells: { outputs?: { data?: Record<string, unknown> }[] }[] };
  let n = 0;
  for (const cell of nb.cells) {
    for (const out of cell.outputs ?? []) {
      const html = out.data?.['text/html'];
      const text = Array.isArray(html) ? html.join('') : typeof html === 'string' ? html : '';
      n += (text.match(/class="hpa-figure"/g) ?? []).length;
    }
  }
  return n;
}

/** Where the exported page loads RequireJS and MathJax from; {@link answerExternalRequests} answers. */
const LIBRARY_HOST = 'http://nbconvert-libraries.test';
/** The local files behind those URLs (Debian's libjs-requirejs and libjs-mathjax), served when installed. */
const LIBRARY_FILES: Record<string, string> = {
  '/require.js': '/usr/share/javascript/requirejs/require.min.js',
  '/mathjax.js': '/usr/share/javascript/mathjax/MathJax.js',
};

/**
 * Exports `ipynb` to `<outDir>/<name>.html` with nbconvert (default lab template); returns the path.
 * The template's RequireJS and MathJax URLs (a CDN, or Debian's /usr/share/javascript files, which
 * exist only where libjs-requirejs/libjs-mathjax are installed) point at {@link LIBRARY_HOST}, so the
 * browser check does not depend on those packages or on the network.
 */
export function exportNotebookHtml(python: string, ipynb: string, outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const args = ['-m', 'nbconvert', '--to', 'html', '--output-dir', outDir];
  args.push(`--HTMLExporter.require_js_url=${LIBRARY_HOST}/require.js`, `--HTMLExporter.mathjax_url=${LIBRARY_HOST}/mathjax.js`, ipynb);
  const r = spawnSync(python, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nbconvert --to html ${ipynb} failed (exit ${r.status}):\n${r.stderr}`);
  return join(outDir, basename(ipynb).replace(/\.ipynb$/, '.html'));
}

/**
 * Answers every http(s) request of the page: the template's libraries from the local files when they
 * are installed, else (and for anything else) an empty script. The machines running the tests have no
 * network, and a failed load would be a console error that has nothing to do with the figures.
 */
export async function answerExternalRequests(page: Page): Promise<void> {
  await page.route(/^https?:\/\//, (route) => {
    const url = new URL(route.request().url());
    const file = url.origin === LIBRARY_HOST ? LIBRARY_FILES[url.pathname] : undefined;
    const body = file && existsSync(file) ? readFileSync(file) : '';
    return route.fulfill({ status: 200, contentType: 'application/javascript', body });
  });
}

/** What {@link drawnFigures} found. */
export interface DrawnFigures {
  /** Plots plotly drew (`.js-plotly-plot` elements), with the content width of the element around each. */
  plots: { width: number; height: number; hasSvg: boolean; containerWidth: number }[];
  /** Console errors and uncaught page errors. */
  errors: string[];
}

/** Collects console errors and uncaught exceptions of a page. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url().slice(0, 200)} (${r.failure()?.errorText ?? '?'})`));
  return errors;
}

/** Waits until `expected` plots have an svg (or `timeoutMs` passes), then measures every plot. */
export async function waitForPlots(page: Page, expected: number, timeoutMs = 30_000): Promise<DrawnFigures['plots']> {
  await page
    .waitForFunction((n) => document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= n && document.querySelectorAll('.js-plotly-plot').length >= n, expected, {
      timeout: timeoutMs,
    })
    .catch(() => undefined); // measured below; the caller's assertion says what is missing
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.js-plotly-plot')).map((el) => {
      const r = el.getBoundingClientRect();
      const parent = el.parentElement as HTMLElement;
      const style = getComputedStyle(parent);
      const containerWidth = parent.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return { width: r.width, height: r.height, hasSvg: el.querySelector('svg.main-svg') !== null, containerWidth };
    }),
  );
}

/** Opens an HTML file in a new page of `browser` and reports the plots drawn and the errors seen. */
export async function drawnFigures(browser: Browser, htmlFile: string, expected: number, viewport = { width: 900, height: 800 }): Promise<DrawnFigures> {
  const page = await browser.newPage({ viewport });
  try {
    const errors = collectErrors(page);
    await answerExternalRequests(page);
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load', timeout: 60_000 });
    const plots = await waitForPlots(page, expected);
    return { plots, errors };
  } finally {
    await page.close();
  }
}

/**
 * Adds a subtest to `t` that exports the executed notebook `ipynb` to HTML and asserts in headless
 * Chromium that every figure output drew (a plot with an svg and a non-zero size per figure output)
 * without console errors. Skipped, with the reason, when Chromium or nbconvert is missing.
 */
export async function figuresDrawnSubtest(t: import('node:test').TestContext, python: string, ipynb: string, htmlDir: string): Promise<void> {
  const expected = figureOutputCount(ipynb);
  const skip = expected === 0 ? 'no figure outputs' : (browserCheckUnavailable(python) ?? false);
  await t.test(`${expected} figure(s) drawn in Chromium`, { skip }, async () => {
    const html = exportNotebookHtml(python, ipynb, htmlDir);
    const browser = await launchChromium();
    try {
      const { plots, errors } = await drawnFigures(browser, html, expected);
      assert.deepEqual(errors, [], `${html}: errors in the browser`);
      assert.equal(plots.length, expected, `${html}: ${plots.length} of ${expected} figure outputs drew`);
      for (const p of plots) assert.ok(p.hasSvg && p.width > 0 && p.height > 0, `${html}: a figure without size or svg: ${JSON.stringify(p)}`);
    } finally {
      await browser.close();
    }
  });
}
