/**
 * Shared layout: titles, unit-bearing axis titles and a legend below the plot, sized for 1000x600 PNGs.
 */
import type { PlotlyLayout } from './types';

/** Default figure width in CSS pixels (PNG export size at scale 1). */
export const FIGURE_WIDTH = 1000;
/** Default figure height in CSS pixels. */
export const FIGURE_HEIGHT = 600;

/** What every figure states: a title and axis titles that include units. */
export interface AxisText {
  title: string;
  xTitle: string;
  yTitle: string;
  /** Optional second title line in smaller type (e.g. smoothing, seeds, interval). */
  subtitle?: string;
}

/**
 * Base layout: white template, title top-left, legend horizontal BELOW the axes (the x-axis title sits
 * between them), so legends never cover data and long method/group names wrap instead of squeezing
 * the plot. The bottom margin leaves room for about three legend rows at 1000x600.
 */
export function baseLayout(text: AxisText, extra: Partial<PlotlyLayout> = {}): PlotlyLayout {
  const title = text.subtitle ? `${text.title}<br><sup>${text.subtitle}</sup>` : text.title;
  return {
    title: { text: title, x: 0.02, xanchor: 'left' } as PlotlyLayout['title'],
    xaxis: { title: { text: text.xTitle }, zeroline: false, showline: true, ticks: 'outside', automargin: true },
    yaxis: { title: { text: text.yTitle }, zeroline: false, showline: true, ticks: 'outside', automargin: true },
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    plot_bgcolor: 'white',
    paper_bgcolor: 'white',
    font: { family: 'Arial, Helvetica, sans-serif', size: 14 },
    legend: { orientation: 'h', x: 0, xanchor: 'left', y: -0.16, yanchor: 'top', font: { size: 13 } },
    margin: { l: 80, r: 30, t: text.subtitle ? 90 : 70, b: 130 },
    hovermode: 'closest',
    ...extra,
  };
}
