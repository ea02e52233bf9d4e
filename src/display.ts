/**
 * Rich display in tslab notebooks, with a plain-text fallback everywhere else (scripts, tests).
 */
import type { DataFrame } from 'danfojs-node';

/** True when running inside a tslab Jupyter kernel. */
export function inNotebook(): boolean {
  const main = require.main?.filename ?? process.argv[1] ?? '';
  return /[\\/]tslab[\\/]/.test(main) || process.argv.includes('kernel') && /tslab/.test(process.argv.join(' '));
}

interface TslabDisplay {
  html(s: string): void;
  markdown(s: string): void;
  raw(contentType: string, b: string | Uint8Array): unknown;
}

/** tslab's display object when in a kernel, else null. */
export function notebookDisplay(): TslabDisplay | null {
  if (!inNotebook()) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('tslab') as { display: TslabDisplay }).display;
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
