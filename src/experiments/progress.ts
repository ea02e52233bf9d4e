/**
 * Progress reporters for experiment runs: a bar on a terminal, plain lines in logs, and an HTML bar
 * that updates in place in a tslab notebook.
 */
import { inNotebook } from '../display';
import { escapeProgressHtml, formatSeconds, htmlBar, inPlaceHtmlDisplay, lineWriter, textBar, type ProgressHtmlDisplay, type ProgressStream } from '../progress';
import type { ExperimentProgress, ProgressCallback } from './types';

export type { ProgressStream } from '../progress';

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
  const bar = textBar(p.total === 0 ? 1 : p.done / p.total, width);
  const parts = [`${p.experiment} ${bar} ${p.done}/${p.total} cells`, `${p.cached} cached`, `${p.failed} failed`, formatSeconds(p.elapsedMs)];
  const eta = etaMs(p);
  if (eta !== null && !p.finished) parts.push(`eta ${formatSeconds(eta)}`);
  let line = parts.join(', ');
  if (p.last && !p.finished) line += ` (last: ${p.last.label}${p.last.error ? ' FAILED' : ''})`;
  return line;
}

/** Reports to a terminal: a bar redrawn in place on a TTY, else a line every `every` cells and at the end. */
export function terminalProgress(options: TerminalProgressOptions = {}): ProgressCallback {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const width = options.width ?? 24;
  const write = lineWriter(stream, tty);
  return (p) => {
    const line = formatProgress(p, width);
    if (tty) return write(line, p.finished);
    const every = options.every ?? Math.max(1, Math.ceil(p.total / 10));
    const started = p.done === 0 && !p.finished;
    // The last cell's report is skipped: the final report right after it says the same.
    const periodic = p.done % every === 0 && p.done < p.total;
    if (started || periodic || p.finished) write(line, p.finished);
  };
}

/**
 * Reports in a tslab notebook with one HTML progress bar that updates in place (tslab's
 * `newDisplay()`). Pass a display for testing; otherwise it must run inside a tslab kernel.
 */
export function notebookProgress(display?: ProgressHtmlDisplay): ProgressCallback {
  const out = display ?? inPlaceHtmlDisplay();
  return (p) => out.html(progressHtml(p));
}

/** The HTML bar shown by {@link notebookProgress}. */
export function progressHtml(p: ExperimentProgress): string {
  const eta = etaMs(p);
  const text = [
    `<b>${escapeProgressHtml(p.experiment)}</b>: ${p.done}/${p.total} cells`,
    `${p.cached} cached`,
    `${p.failed} failed`,
    formatSeconds(p.elapsedMs),
    ...(eta !== null && !p.finished ? [`eta ${formatSeconds(eta)}`] : []),
  ].join(', ');
  const last = p.last && !p.finished ? ` <span style="color:#666">(last: ${escapeProgressHtml(p.last.label)})</span>` : '';
  return htmlBar(p.total === 0 ? 1 : p.done / p.total, p.failed > 0 ? 'failed' : p.finished ? 'finished' : 'running', text + last);
}

/** A notebook bar inside tslab, else a terminal reporter. */
export function autoProgress(): ProgressCallback {
  return inNotebook() ? notebookProgress() : terminalProgress();
}

/** Remaining time extrapolated from the cells that actually ran (cached cells cost nothing); null before any ran. */
function etaMs(p: ExperimentProgress): number | null {
  const ran = p.ran + p.failed;
  if (ran === 0) return null;
  return (p.elapsedMs / ran) * (p.total - p.done);
}
