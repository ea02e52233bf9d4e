/**
 * The pieces every progress display shares: a text bar, a one-line terminal writer that redraws in
 * place on a TTY, an HTML bar that a notebook updates in place, and their formatting. The experiment
 * runner (experiments/progress) and the trainer (trainer/progress) build their reports from these.
 */
import { newNotebookDisplay } from './display';

/** Where terminal progress goes (process.stderr by default). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** The part of a tslab display a progress bar needs. */
export interface ProgressHtmlDisplay {
  html(s: string): void;
}

/** `[#####-----]`: `fraction` (clamped to 0..1) of `width` characters filled. */
export function textBar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** Milliseconds as seconds with one decimal: `3.0 s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Text escaped for HTML element content and attribute values. */
export function escapeProgressHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Bar colour of {@link htmlBar}: running, finished, failed. */
export type BarState = 'running' | 'finished' | 'failed';
const BAR_COLOURS: Record<BarState, string> = { running: '#1f77b4', finished: '#2ca02c', failed: '#d62728' };

/** A 320 px HTML bar filled to `fraction` with a line of (already escaped) HTML below it. */
export function htmlBar(fraction: number, state: BarState, textHtml: string): string {
  const pct = 100 * Math.min(1, Math.max(0, fraction));
  return (
    `<div style="font-family:sans-serif;font-size:13px">` +
    `<div style="width:320px;height:12px;border:1px solid #999;border-radius:3px;background:#eee">` +
    `<div style="width:${pct.toFixed(1)}%;height:100%;background:${BAR_COLOURS[state]}"></div></div>` +
    `<div>${textHtml}</div></div>`
  );
}

/**
 * A writer of one status line: on a TTY each call redraws the line in place (`\r`, padded over the
 * previous text) and `final` ends it with a newline; otherwise every call prints its own line.
 */
export function lineWriter(stream: ProgressStream, tty: boolean): (line: string, final: boolean) => void {
  let lastLength = 0;
  return (line, final) => {
    if (!tty) {
      stream.write(`${line}\n`);
      return;
    }
    stream.write(`\r${line}${' '.repeat(Math.max(0, lastLength - line.length))}${final ? '\n' : ''}`);
    lastLength = final ? 0 : line.length;
  };
}

/**
 * A display that shows one HTML output and replaces it on every call (tslab's `newDisplay()` of the
 * running kernel). Throws outside a tslab kernel.
 */
export function inPlaceHtmlDisplay(): ProgressHtmlDisplay {
  const display = newNotebookDisplay();
  if (!display) throw new Error('a notebook progress bar needs a tslab kernel; pass a display, or use terminal progress');
  return busyTolerant(display);
}

/**
 * tslab's kernel socket takes one send at a time and throws `EBUSY` when updates come in a burst (the
 * cells of a population finishing together): thrown from a worker's message handler, that killed the
 * kernel. Here an update met by `EBUSY` is kept and sent by a retry a moment later; updates arriving
 * meanwhile replace it, so the latest one is shown. Any other error is thrown as before.
 */
export function busyTolerant(display: ProgressHtmlDisplay, retryMs = 20): ProgressHtmlDisplay {
  let pending: string | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const send = (html: string) => {
    try {
      display.html(html);
    } catch (err) {
      if ((err as NodeJS.ErrnoException)?.code !== 'EBUSY') throw err;
      pending = html;
      timer ??= setTimeout(flush, retryMs);
    }
  };
  const flush = () => {
    timer = null;
    const html = pending;
    pending = null;
    if (html !== null) send(html);
  };
  return {
    html: (html: string) => {
      if (timer !== null) pending = html;
      else send(html);
    },
  };
}
