/**
 * PNG rendering through headless Chromium (playwright-core): one browser and page serve many figures.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_ENV, chromiumSetting } from '../runtime';
import { plotlyBundle } from './html';
import type { PlotlyFigure } from './types';

export { CHROMIUM_ENV } from '../runtime';
/** Default Chromium binary (Debian's `chromium` package). */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/**
 * Launch flags. The machines running the kit have no network, and Chromium otherwise keeps trying
 * to reach update, sync and field-trial servers; these flags stop that traffic (and the sandbox,
 * which needs privileges containers lack).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The Chromium binary to use: `HPA_CHROMIUM`, else `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return chromiumSetting() ?? DEFAULT_CHROMIUM;
}

/** Whether a Chromium binary exists at {@link chromiumPath}. */
export function chromiumAvailable(): boolean {
  return existsSync(chromiumPath());
}

/** Message for a missing browser, with the fix. */
export function missingChromiumMessage(path: string): string {
  return `PNG export needs Chromium, but ${path} does not exist. Install it (Debian/Ubuntu: apt-get install chromium) or point ${CHROMIUM_ENV} at a Chromium binary; HTML export works without it.`;
}

/** PNG size options. */
export interface PngOptions {
  /** CSS pixels; default the figure's layout width, else 1000. */
  width?: number;
  /** CSS pixels; default the figure's layout height, else 600. */
  height?: number;
  /** Device pixel ratio (default 1; 2 for sharper slides). */
  scale?: number;
}

/** Options for {@link FigureExporter}. */
export interface ExporterOptions {
  /** Chromium binary (default {@link chromiumPath}). */
  executablePath?: string;
  /**
   * Close the browser after this many idle milliseconds (default: never; call close()). The shared
   * exporter uses this so that a script that forgets close() still exits shortly after its last export.
   */
  idleCloseMs?: number;
}

/**
 * Renders figures to PNG with one lazily launched headless Chromium and one page that has loaded the
 * plotly bundle once. Calls are queued, so concurrent exports are safe. Call {@link FigureExporter.close}
 * when done.
 */
export class FigureExporter {
  private readonly executablePath: string;
  private readonly idleCloseMs: number | undefined;
  /** Browser and page, launched on first export; a promise so concurrent callers share one launch. */
  private session: Promise<{ browser: Browser; page: Page }> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(opts: ExporterOptions = {}) {
    this.executablePath = opts.executablePath ?? chromiumPath();
    this.idleCloseMs = opts.idleCloseMs;
    if (this.idleCloseMs !== undefined && !(this.idleCloseMs >= 0)) throw new Error(`idleCloseMs must be >= 0, got ${this.idleCloseMs}`);
  }

  /** True while a browser is running. */
  get running(): boolean {
    return this.session !== undefined;
  }

  private async launch(): Promise<{ browser: Browser; page: Page }> {
    if (!existsSync(this.executablePath)) throw new Error(missingChromiumMessage(this.executablePath));
    const { chromium } = await import('playwright-core');
    let browser: Browser;
    try {
      browser = await chromium.launch({ executablePath: this.executablePath, args: CHROMIUM_ARGS, headless: true });
    } catch (err) {
      throw new Error(`could not start Chromium at ${this.executablePath}: ${(err as Error).message}`);
    }
    try {
      const page = await browser.newPage();
      await page.setContent('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0"></body></html>');
      await page.addScriptTag({ content: plotlyBundle() });
      return { browser, page };
    } catch (err) {
      await browser.close();
      throw err;
    }
  }

  /** Renders a figure to PNG bytes. */
  toPng(fig: PlotlyFigure, opts: PngOptions = {}): Promise<Buffer> {
    const width = opts.width ?? fig.layout.width ?? 1000;
    const height = opts.height ?? fig.layout.height ?? 600;
    const scale = opts.scale ?? 1;
    for (const [k, v] of Object.entries({ width, height, scale })) {
      if (!(Number.isFinite(v) && v > 0)) throw new Error(`${k} must be a positive number, got ${v}`);
    }
    const job = this.queue.then(async () => {
      this.cancelIdle();
      if (!this.session) this.session = this.launch();
      let page: Page;
      try {
        page = (await this.session).page;
      } catch (err) {
        this.session = undefined;
        throw err;
      }
      const dataUrl = await page.evaluate(
        async ({ data, layout, width, height, scale }) => {
          const P = (window as unknown as { Plotly: any }).Plotly;
          const div = document.createElement('div');
          document.body.appendChild(div);
          try {
            await P.newPlot(div, data, { ...layout, width, height }, { staticPlot: true });
            return (await P.toImage(div, { format: 'png', width, height, scale })) as string;
          } finally {
            P.purge(div);
            div.remove();
          }
        },
        { data: fig.data, layout: fig.layout, width, height, scale },
      );
      const prefix = 'data:image/png;base64,';
      if (!dataUrl.startsWith(prefix)) throw new Error('plotly returned no PNG data');
      return Buffer.from(dataUrl.slice(prefix.length), 'base64');
    });
    this.queue = job.catch(() => undefined).then(() => this.scheduleIdle());
    return job;
  }

  private cancelIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private scheduleIdle(): void {
    if (this.idleCloseMs === undefined || !this.session) return;
    this.cancelIdle();
    this.idleTimer = setTimeout(() => void this.close(), this.idleCloseMs);
    // The timer alone must not keep the process alive; the browser does until the timer closes it.
    this.idleTimer.unref();
  }

  /** Closes the browser (a later export launches a new one). Safe to call twice. */
  async close(): Promise<void> {
    this.cancelIdle();
    const session = this.session;
    this.session = undefined;
    const opened = session ? await session.catch(() => undefined) : undefined;
    if (opened) await opened.browser.close();
  }
}

let shared: FigureExporter | undefined;

/** The exporter shared by {@link saveFigure} calls: launched on first use, closed after 5 s idle or by {@link closeFigureExporter}. */
export function sharedExporter(): FigureExporter {
  if (!shared) shared = new FigureExporter({ idleCloseMs: 5000 });
  return shared;
}

/** Closes the shared exporter's browser now. */
export async function closeFigureExporter(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await s.close();
}
