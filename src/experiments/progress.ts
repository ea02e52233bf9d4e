/**
 * Progress reporters for experiment runs: a bar on a terminal, plain lines in logs, and an HTML bar
 * that updates in place in a tslab notebook.
 */
import { inNotebook } from '../display';
import type { ExperimentProgress, ProgressCallback } from './types';

/** Where terminal progress goes (process.stderr by default). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Options of {@link terminalProgress}. */
export interface TerminalProgressOptions {
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Redraw one line with carriage returns; default: whether the stream is a TTY. */
  tty?: boolean;
  /** Without a TTY, print a line every `every` finished cells (default: about every 10% of them). */
  every?: number;
  /** Characters of the bar (default 24). */
  width?: number;
}

/** One line: `toy [#####-------] 5/12 cells, 2 cached, 0 failed, 3.1 s, eta 4.2 s (last: method=a, seed=1)`. */
export function formatProgress(p: ExperimentProgress, width = 24): string {
  const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const parts = [`${p.experiment} ${bar} ${p.done}/${p.total} cells`, `${p.cached} cached`, `${p.failed} failed`, seconds(p.elapsedMs)];
  const eta = etaMs(p);
  if (eta !== null && !p.finished) parts.push(`eta ${seconds(eta)}`);
  let line = parts.join(', ');
  if (p.last && !p.finished) line += ` (last: ${p.last.label}${p.last.error ? ' FAILED' : ''})`;
  return line;
}

/** Reports to a terminal: a bar redrawn in place on a TTY, else a line every `every` cells and at the end. */
export function terminalProgress(options: TerminalProgressOptions = {}): ProgressCallback {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const width = options.width ?? 24;
  let lastLength = 0;
  return (p) => {
    const line = formatProgress(p, width);
    if (tty) {
      stream.write(`\r${line}${' '.repeat(Math.max(0, lastLength - line.length))}${p.finished ? '\n' : ''}`);
      lastLength = line.length;
      return;
    }
    const every = options.every ?? Math.max(1, Math.ceil(p.total / 10));
    const started = p.done === 0 && !p.finished;
    // The last cell's report is skipped: the final report right after it says the same.
    const periodic = p.done % every === 0 && p.done < p.total;
    if (started || periodic || p.finished) stream.write(`${line}\n`);
  };
}

/** Minimal view of tslab's display used here. */
interface HtmlDisplay {
  html(s: string): void;
}

/**
 * Reports in a tslab notebook with one HTML progress bar that updates in place (tslab's
 * `newDisplay()`). Pass a display for testing; otherwise it must run inside a tslab kernel.
 */
export function notebookProgress(display?: HtmlDisplay): ProgressCallback {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const out = display ?? (require('tslab') as { newDisplay(): HtmlDisplay }).newDisplay();
  return (p) => out.html(progressHtml(p));
}

/** The HTML bar shown by {@link notebookProgress}. */
export function progressHtml(p: ExperimentProgress): string {
  const pct = p.total === 0 ? 100 : (100 * p.done) / p.total;
  const color = p.failed > 0 ? '#d62728' : p.finished ? '#2ca02c' : '#1f77b4';
  const eta = etaMs(p);
  const text = [
    `<b>${escapeHtml(p.experiment)}</b>: ${p.done}/${p.total} cells`,
    `${p.cached} cached`,
    `${p.failed} failed`,
    seconds(p.elapsedMs),
    ...(eta !== null && !p.finished ? [`eta ${seconds(eta)}`] : []),
  ].join(', ');
  const last = p.last && !p.finished ? ` <span style="color:#666">(last: ${escapeHtml(p.last.label)})</span>` : '';
  return (
    `<div style="font-family:sans-serif;font-size:13px">` +
    `<div style="width:320px;height:12px;border:1px solid #999;border-radius:3px;background:#eee">` +
    `<div style="width:${pct.toFixed(1)}%;height:100%;background:${color}"></div></div>` +
    `<div>${text}${last}</div></div>`
  );
}

/** A notebook bar inside tslab, else a terminal reporter. */
export function autoProgress(): ProgressCallback {
  return inNotebook() ? notebookProgress() : terminalProgress();
}

/** Remaining time extrapolated from the cells that actually ran (cached cells cost nothing); null before any ran. */
function etaMs(p: ExperimentProgress): number | null {
  const ran = p.ran + p.failed;
  if (ran === 0) return null;
  return ((p.elapsedMs / ran) * (p.total - p.done));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
