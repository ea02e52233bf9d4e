/**
 * Writing figures to disk as standalone HTML and PNG.
 */
import { writeFileSync } from 'node:fs';
import { figuresDir } from '../runtime';
import { chromiumAvailable, chromiumPath, missingChromiumMessage, sharedExporter, type FigureExporter, type PngOptions } from './exporter';
import { outputStem } from './files';
import { figureHtml } from './html';
import type { PlotlyFigure } from './types';

/** File formats {@link saveFigure} writes. */
export type FigureFormat = 'html' | 'png';

/** Options for {@link saveFigure}. */
export interface SaveFigureOptions extends PngOptions {
  /** Output folder (default {@link figuresDir}). */
  dir?: string;
  /** Formats to write (default `['html', 'png']`). */
  formats?: readonly FigureFormat[];
  /** Without Chromium: `error` (default) throws after writing the HTML; `warn` skips the PNG with a warning. */
  onMissingChromium?: 'error' | 'warn';
  /** Exporter to render PNGs with (default the shared one; see {@link sharedExporter}). */
  exporter?: FigureExporter;
}

/** Paths written by {@link saveFigure}. */
export interface SavedFigure {
  html?: string;
  png?: string;
}

/**
 * Saves `fig` as `<dir>/<name>.html` (self-contained, plotly embedded from the local package) and/or
 * `<dir>/<name>.png` (rendered in headless Chromium). HTML is written first, so it exists even when
 * the PNG cannot be made.
 */
export async function saveFigure(fig: PlotlyFigure, name: string, opts: SaveFigureOptions = {}): Promise<SavedFigure> {
  if (!fig || !Array.isArray(fig.data) || typeof fig.layout !== 'object') throw new Error('fig must be a plotly figure { data: [...], layout: {...} }');
  const formats = opts.formats ?? ['html', 'png'];
  for (const f of formats) if (f !== 'html' && f !== 'png') throw new Error(`formats: unknown format '${String(f)}' (use 'html' or 'png')`);
  const stem = outputStem(opts.dir ?? figuresDir(), name);
  const saved: SavedFigure = {};
  if (formats.includes('html')) {
    saved.html = `${stem}.html`;
    writeFileSync(saved.html, figureHtml(fig));
  }
  if (formats.includes('png')) {
    if (!opts.exporter && !chromiumAvailable()) {
      const message = missingChromiumMessage(chromiumPath());
      if (opts.onMissingChromium === 'warn') {
        console.warn(`saveFigure(${name}): PNG skipped. ${message}`);
        return saved;
      }
      throw new Error(message);
    }
    const png = await (opts.exporter ?? sharedExporter()).toPng(fig, opts);
    saved.png = `${stem}.png`;
    writeFileSync(saved.png, png);
  }
  return saved;
}
