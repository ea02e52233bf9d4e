/**
 * Showing figures inline in tslab notebooks.
 *
 * Choice of output: tslab's display API sends ONE mime type per output (`display.html`, `display.png`,
 * `display.raw(type, data)`), so a plotly mime bundle (`application/vnd.plotly.v1+json`) could not carry a
 * text/html fallback; it would render only where a plotly renderer extension is installed and show
 * nothing in nbconvert's HTML. Instead each figure is `text/html`: a div plus a script that draws it
 * with `Plotly.newPlot`. The first figure of a kernel session also carries the local plotly bundle
 * once, as an inert element that a small loader in every figure output runs when the page has no
 * plotly yet (see the module comment of ./html for why, and how this survives a page reload).
 * Jupyter runs scripts only in trusted outputs: outputs made in the current session are trusted, and
 * the kit's runner signs the notebooks it executes (scripts/execute_notebook.py).
 *
 * Inline figures fill the output area's width (`autosize`, a responsive plot in a 100%-wide element)
 * at the layout's height; the fixed layout width is kept for files (`saveFigure`).
 */
import { notebookDisplay } from '../display';
import { figureTitle, plotlyCarrier, plotScript } from './html';
import { FIGURE_HEIGHT } from './layout';
import type { PlotlyFigure, PlotlyLayout } from './types';

/** The subset of tslab's `Display` used here. */
export interface HtmlDisplay {
  html(s: string): void;
}

/** Options for {@link showFigure}. */
export interface ShowOptions {
  /** Display to use (default: the running tslab kernel's `display`). */
  display?: HtmlDisplay;
  /**
   * Put the plotly bundle into this output again. Not needed after a page reload; useful when the
   * output that carried it was cleared and the saved notebook should draw on other machines.
   */
  reloadPlotly?: boolean;
  /** Outside a kernel, print nothing (default false: print a one-line note). */
  quiet?: boolean;
}

let carrierSent = false;
let figureCounter = 0;
// Distinct per kernel start, so new div ids never collide with outputs left from an earlier session.
const sessionTag = Date.now().toString(36);

/** The running tslab kernel's `display`, or undefined outside a kernel. */
export function kernelDisplay(): HtmlDisplay | undefined {
  return notebookDisplay() ?? undefined;
}

/** The layout used inline: no fixed width, autosized to the element (which is as wide as the output area). */
export function inlineLayout(layout: PlotlyLayout): PlotlyLayout {
  const { width: _fixedWidth, ...rest } = layout;
  return { ...rest, autosize: true };
}

/**
 * Shows a figure interactively in a tslab notebook (see the module comment for the output format).
 * Outside a kernel it draws nothing and prints a note (or nothing with `quiet`), so library code and
 * tests can call it. Returns nothing, so `showFigure(fig)` as a cell's last expression prints nothing.
 */
export function showFigure(fig: PlotlyFigure, opts: ShowOptions = {}): void {
  if (!fig || !Array.isArray(fig.data) || typeof fig.layout !== 'object') throw new Error('fig must be a plotly figure { data: [...], layout: {...} }');
  const display = opts.display ?? kernelDisplay();
  if (!display) {
    if (!opts.quiet) console.log(`showFigure: not running in a Jupyter kernel, so "${figureTitle(fig)}" is not shown; use saveFigure to write it to a file.`);
    return;
  }
  const id = `hpa-figure-${sessionTag}-${++figureCounter}`;
  const height = fig.layout.height ?? FIGURE_HEIGHT;
  const withCarrier = !carrierSent || opts.reloadPlotly === true;
  const html =
    (withCarrier ? plotlyCarrier() : '') +
    `<div id="${id}" class="hpa-figure" style="width:100%;height:${height}px"></div>` +
    `<script type="text/javascript">${plotScript({ data: fig.data, layout: inlineLayout(fig.layout) }, id)}</script>`;
  display.html(html);
  carrierSent = true;
}
