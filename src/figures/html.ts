/**
 * HTML for figures, with plotly.js read from the local plotly.js-dist-min package (no CDN: the files
 * and notebooks open offline and in closed networks).
 *
 * Two uses:
 * - {@link figureHtml}: a standalone page (what `saveFigure` writes) that embeds the whole bundle and
 *   draws the figure at its fixed layout size.
 * - Notebook outputs (`showFigure`): the bundle must be in the page once, not in every output. One output
 *   per kernel session carries it as an INERT element ({@link plotlyCarrier}: a `<script>` of a
 *   non-JavaScript type, so the browser stores the text and runs nothing), and every figure output
 *   carries a small loader ({@link plotlyLoaderScript}). The first loader that runs without
 *   `window.Plotly` finds the carrier anywhere in the page (outputs may render in any order, so it
 *   looks again for a few seconds; in a page still being parsed it waits until the carrier's text is
 *   complete), runs it once, and every other figure waits on the same promise.
 *   Reloading the page re-runs the stored outputs of a trusted notebook, so the carrier is found again.
 *   When the page has no carrier (its output was cleared or not saved before a reload, while the kernel
 *   believes it already sent one), the loader takes the copy it cached in the browser's IndexedDB the
 *   last time it ran a carrier. The bundle runs inside a function that hides `define`, `module` and
 *   `exports`, so its UMD header takes the browser branch (`window.Plotly`) even in pages that define
 *   module-loader globals (the classic Notebook loads RequireJS).
 *
 * Other places for the bundle were rejected: a URL served by Jupyter (`/files/...`) depends on the
 * server's root folder (node_modules lies outside `notebooks/`) and does not exist in exported HTML;
 * a CDN is unreachable on closed machines; the bundle in every output made a one-figure notebook 5 MB
 * and a ten-figure one 50 MB.
 */
import { readFileSync } from 'node:fs';
import type { PlotlyFigure } from './types';

let bundleCache: string | undefined;

/** Path of the local plotly bundle. */
export function plotlyBundlePath(): string {
  return require.resolve('plotly.js-dist-min');
}

/** Version of the local plotly bundle (from its package.json). */
export function plotlyVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('plotly.js-dist-min/package.json') as { version: string }).version;
}

/**
 * The plotly.js bundle's source, read once, with `</script` escaped so it can sit inside an inline
 * `<script>` element (`<\/script` means the same to JavaScript).
 */
export function plotlyBundle(): string {
  if (bundleCache === undefined) bundleCache = readFileSync(plotlyBundlePath(), 'utf8').replace(/<\/script/gi, '<\\/script');
  return bundleCache;
}

/** The `type` of the inert element that carries the bundle in a notebook page. */
export const PLOTLY_CARRIER_TYPE = 'text/x-hpa-plotly';

/** The bundle as an inert element for a notebook output (see the module comment); about 4.8 MB. */
export function plotlyCarrier(): string {
  return `<script type="${PLOTLY_CARRIER_TYPE}" data-plotly-version="${plotlyVersion()}">${plotlyBundle()}</script>`;
}

/**
 * Defines `window.hpaPlotlyReady()` once per page: a promise of `window.Plotly` that runs the page's
 * carrier, or the copy cached in IndexedDB, the first time it is needed (see the module comment).
 * About 1.5 kB; every figure output includes it because any output may be the first to run.
 */
export function plotlyLoaderScript(): string {
  return `(function(w){if(w.hpaPlotlyReady)return;
var VERSION=${scriptJson(plotlyVersion())},CARRIER='script[type="${PLOTLY_CARRIER_TYPE}"]',pending=null;
function run(text){var s=document.createElement('script');
s.text='(function(define,module,exports){'+text+'\\n})();';document.head.appendChild(s);s.remove();return w.Plotly;}
function store(mode,use){return new Promise(function(resolve){try{var open=w.indexedDB.open('hpa-kit-plotly',1);
open.onupgradeneeded=function(){open.result.createObjectStore('bundle');};
open.onsuccess=function(){try{var db=open.result,tx=db.transaction('bundle',mode);use(tx.objectStore('bundle'),resolve);
tx.oncomplete=tx.onabort=tx.onerror=function(){db.close();resolve(null);};}catch(e){resolve(null);}};
open.onerror=function(){resolve(null);};}catch(e){resolve(null);}});}
function save(text){store('readwrite',function(os){var r=os.getKey(VERSION);r.onsuccess=function(){if(r.result===undefined)os.put(text,VERSION);};});}
function cached(){return store('readonly',function(os,resolve){var r=os.get(VERSION);r.onsuccess=function(){resolve(typeof r.result==='string'?r.result:null);};});}
w.hpaPlotlyReady=function(){if(w.Plotly)return Promise.resolve(w.Plotly);if(pending)return pending;
pending=new Promise(function(resolve,reject){var tries=0,askedCache=false;
(function attempt(){if(w.Plotly)return resolve(w.Plotly);
var c=document.querySelector(CARRIER);
if(c&&(c.nextSibling||document.readyState!=='loading')){var text=c.textContent;if(run(text)){save(text);return resolve(w.Plotly);}return reject(new Error('the plotly.js bundle in this page did not define Plotly'));}
if(tries>=3&&!askedCache){askedCache=true;cached().then(function(text){if(text&&!w.Plotly)run(text);attempt();});return;}
if(++tries<100)return setTimeout(attempt,100);
reject(new Error('plotly.js is not in this page'));})();});
pending.catch(function(){pending=null;});return pending;};})(window);`;
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

/** Message written into a figure's element when plotly.js cannot be loaded. */
export const PLOTLY_MISSING_NOTE =
  'plotly.js is not loaded in this page: re-run showFigure with { reloadPlotly: true }, or restart the kernel and run all cells.';

/**
 * Script that draws `fig` into the element with id `divId` (responsive: it follows the element's width)
 * once {@link plotlyLoaderScript}'s promise gives plotly, writing {@link PLOTLY_MISSING_NOTE} into the
 * element when plotly cannot be loaded.
 */
export function plotScript(fig: PlotlyFigure, divId: string): string {
  return `${plotlyLoaderScript()}
(function(){var fig=${scriptJson(fig)};var id=${scriptJson(divId)};
window.hpaPlotlyReady().then(function(P){var el=document.getElementById(id);
if(el)return P.newPlot(el,fig.data,fig.layout,{displaylogo:false,responsive:true});},
function(){var el=document.getElementById(id);if(el)el.textContent=${scriptJson(PLOTLY_MISSING_NOTE)};});})();`;
}

/** A figure as a standalone HTML page at its layout size (default 1000x600), embedding the whole plotly bundle. */
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
