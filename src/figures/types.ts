/**
 * Plotly figure specs as plain data (plotly.js 3 conventions), so builders stay pure and testable.
 */

/** One plotly trace; only the fields the builders set are typed, the rest pass through. */
export interface PlotlyTrace {
  type: string;
  name?: string;
  x?: readonly (number | string)[];
  y?: readonly (number | string)[];
  [key: string]: unknown;
}

/** A plotly layout (title and axis titles as `{ text }`, as plotly.js 3 requires). */
export interface PlotlyLayout {
  title?: { text: string };
  xaxis?: { title?: { text: string }; [key: string]: unknown };
  yaxis?: { title?: { text: string }; [key: string]: unknown };
  width?: number;
  height?: number;
  [key: string]: unknown;
}

/** A figure as passed to `Plotly.newPlot(div, data, layout)`. */
export interface PlotlyFigure {
  data: PlotlyTrace[];
  layout: PlotlyLayout;
}
