/**
 * Showing figures inline in tslab notebooks.
 *
 * Choice of output: tslab's display API sends ONE mime type per output (`display.html`, `display.png`,
 * `display.raw(type, data)`), so a plotly mime bundle (`application/vnd.plotly.v1+json`) could not carry a
 * text/html fallback; it would render only where a plotly renderer extension is installed and show
 * nothing in nbconvert's HTML. Instead each figure is `text/html`: a div plus a script calling
 * `Plotly.newPlot`. The first figure of a kernel session also carries the local plotly bundle in a
 * `<script>` (no CDN; about 4.8 MB once per notebook), which defines `window.Plotly` for later figures.
 * JupyterLab runs such scripts in trusted outputs (outputs made in the current session are trusted),
 * and nbconvert's HTML keeps the outputs in order, so the page loads plotly before the figures use it.
 * After a browser reload in a still-running kernel, pass `{ reloadPlotly: true }` (the figure says so).
 */
import { notebookDisplay } from '../display';
import { figureTitle, plotlyBundle, plotScript } from './html';
import type { PlotlyFigure } from './types';

/** The subset of tslab's `Display` used here. */
export interface HtmlDisplay {
  html(s: string): void;
}

/** Options for {@link showFigure}. */
export interface ShowOptions {
  /** Display to use (default: the running tslab kernel's `display`). */
  display?: HtmlDisplay;
  /** Send the plotly bundle again, e.g. after reloading the notebook page. */
  reloadPlotly?: boolean;
  /** Outside a kernel, print nothing (default false: print a one-line note). */
  quiet?: boolean;
}

let bundleSent = false;
let figureCounter = 0;
// Distinct per kernel start, so new div ids never collide with outputs left from an earlier session.
const sessionTag = Date.now().toString(36);

/** The running tslab kernel's `display`, or undefined outside a kernel. */
export function kernelDisplay(): HtmlDisplay | undefined {
  return notebookDisplay() ?? undefined;
}

/**
 * Shows a figure interactively in a tslab notebook (see the module comment for the output format).
 * Outside a kernel it draws nothing and prints a note (or nothing with `quiet`), so library code and
 * tests can call it. Returns true when the figure was sent to a notebook.
 */
export function showFigure(fig: PlotlyFigure, opts: ShowOptions = {}): boolean {
  if (!fig || !Array.isArray(fig.data) || typeof fig.layout !== 'object') throw new Error('fig must be a plotly figure { data: [...], layout: {...} }');
  const display = opts.display ?? kernelDisplay();
  if (!display) {
    if (!opts.quiet) console.log(`showFigure: not running in a Jupyter kernel, so "${figureTitle(fig)}" is not shown; use saveFigure to write it to a file.`);
    return false;
  }
  const id = `hpa-figure-${sessionTag}-${++figureCounter}`;
  const w = fig.layout.width ?? 1000;
  const h = fig.layout.height ?? 600;
  const withBundle = !bundleSent || opts.reloadPlotly === true;
  const html =
    (withBundle ? `<script type="text/javascript">${plotlyBundle()}</script>` : '') +
    `<div id="${id}" style="width:${w}px;max-width:100%;height:${h}px"></div><script type="text/javascript">${plotScript(fig, id)}</script>`;
  display.html(html);
  bundleSent = true;
  return true;
}
