/**
 * Rich display in tslab notebooks, with a plain-text fallback everywhere else (scripts, tests).
 */
import { dirname, join } from 'node:path';
import type { DataFrame } from 'danfojs-node';

interface TslabDisplay {
  html(s: string): void;
  markdown(s: string): void;
  raw(contentType: string, b: string | Uint8Array): unknown;
}

/**
 * The `display` of the tslab kernel this process runs in, or null outside a kernel. The kernel's own
 * tslab copy is found through the module cache (its jupyter module holds the live output channel), so
 * this works even when the kernel's tslab is not the copy this package would resolve.
 */
export function notebookDisplay(): TslabDisplay | null {
  return tslabPublicModule()?.display ?? null;
}

/** The public module of the tslab copy whose kernel runs this process, or null outside a kernel. */
function tslabPublicModule(): { display: TslabDisplay; newDisplay(): TslabDisplay } | null {
  for (const [path, mod] of Object.entries(require.cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(path)) continue;
    if ((mod?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData) {
      return require(join(dirname(path), 'public.js')) as { display: TslabDisplay; newDisplay(): TslabDisplay };
    }
  }
  return null;
}

/**
 * A new display of the running tslab kernel that shows one output and overwrites it on each call
 * (tslab's `newDisplay()`, from the kernel's own copy as in {@link notebookDisplay}); null outside a kernel.
 */
export function newNotebookDisplay(): TslabDisplay | null {
  const publicModule = tslabPublicModule();
  return publicModule ? publicModule.newDisplay() : null;
}

/** True when running inside a tslab Jupyter kernel. */
export function inNotebook(): boolean {
  return notebookDisplay() !== null;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function formatCell(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  return String(value);
}

/** An HTML table of the first `maxRows` rows of a DataFrame, with its shape. */
export function frameToHtml(df: DataFrame, maxRows = 20): string {
  const cols = df.columns;
  const rows = (df.values as unknown[][]).slice(0, maxRows);
  const head = `<tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(formatCell(v))}</td>`).join('')}</tr>`).join('');
  const [n, m] = df.shape;
  const more = n > maxRows ? ` (first ${maxRows} shown)` : '';
  return `<table class="dataframe"><thead>${head}</thead><tbody>${body}</tbody></table><p>${n} rows × ${m} columns${more}</p>`;
}

/** Shows a DataFrame: an HTML table in a notebook, danfojs's text table elsewhere. */
export function showFrame(df: DataFrame, maxRows = 20): void {
  const display = notebookDisplay();
  if (display) display.html(frameToHtml(df, maxRows));
  else df.head(Math.min(maxRows, df.shape[0] || 1)).print();
}

/** Shows Markdown in a notebook, or prints it elsewhere. */
export function showMarkdown(text: string): void {
  const display = notebookDisplay();
  if (display) display.markdown(text);
  else console.log(text);
}
