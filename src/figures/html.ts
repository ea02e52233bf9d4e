/**
 * Self-contained HTML for figures, with plotly.js read from the local plotly.js-dist-min package (no CDN:
 * the files open offline and in closed networks).
 */
import { readFileSync } from 'node:fs';
import type { PlotlyFigure } from './types';

let bundleCache: string | undefined;

/** Path of the local plotly bundle. */
export function plotlyBundlePath(): string {
  return require.resolve('plotly.js-dist-min');
}

/**
 * The plotly.js bundle's source, read once, with `</script` escaped so it can sit inside an inline
 * `<script>` element (`<\/script` means the same to JavaScript).
 */
export function plotlyBundle(): string {
  if (bundleCache === undefined) bundleCache = readFileSync(plotlyBundlePath(), 'utf8').replace(/<\/script/gi, '<\\/script');
  return bundleCache;
}

/** JSON for an inline script: `<`, `>` and `&` escaped so strings in the figure cannot close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Plain-text title of a figure (tags such as `<br>` removed), for page titles and messages. */
export function figureTitle(fig: PlotlyFigure): string {
  return (fig.layout.title?.text ?? 'figure').replace(/<br>.*$/s, '').replace(/<[^>]*>/g, '');
}

/**
 * Script that draws `fig` into the element with id `divId`, waiting for `window.Plotly` (which another
 * output may define) and writing a note into the element when plotly never arrives.
 */
export function plotScript(fig: PlotlyFigure, divId: string): string {
  return `(function(){var fig=${scriptJson(fig)};var id=${scriptJson(divId)};var tries=0;
function draw(){var el=document.getElementById(id);if(!el)return;
if(window.Plotly){window.Plotly.newPlot(el,fig.data,fig.layout,{displaylogo:false,responsive:true});return;}
if(++tries<50){setTimeout(draw,100);return;}
el.textContent='plotly.js is not loaded in this page: re-run showFigure with { reloadPlotly: true }.';}
draw();})();`;
}

/** A figure as a standalone HTML page that embeds the whole plotly bundle (about 4.8 MB). */
export function figureHtml(fig: PlotlyFigure): string {
  const w = fig.layout.width ?? 1000;
  const h = fig.layout.height ?? 600;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(figureTitle(fig))}</title>
<script>${plotlyBundle()}</script></head>
<body style="margin:0;background:white"><div id="figure" style="width:${w}px;height:${h}px"></div>
<script>${plotScript(fig, 'figure')}</script></body></html>
`;
}
