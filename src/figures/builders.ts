/**
 * PlotlyFigure builders: pure functions from analysis results (records or DataFrames) to plotly specs.
 */
import type { DataFrame } from 'danfojs-node';
import { ALL_GROUPS } from '../frames';
import type { SeedSummaryRow } from '../analysis/aggregate';
import type { CurveRow } from '../analysis/curves';
import { requireSeries, inputRecords, type MetricInput } from '../analysis/input';
import { baseLayout } from './layout';
import { groupDash, groupShade, methodColor, withAlpha } from './palette';
import type { PlotlyFigure, PlotlyTrace } from './types';

/** Options shared by the builders. */
export interface FigureOptions {
  title?: string;
  subtitle?: string;
  xTitle?: string;
  yTitle?: string;
  /** Label naming the method (default `method`). */
  methodKey?: string;
}

/** Options for curve figures. */
export interface CurveFigureOptions extends FigureOptions {
  /** Draw the interval bands (default true). */
  bands?: boolean;
  /** Only these groups (default: all in the rows). */
  groups?: readonly string[];
  /** Fixed y range, e.g. [0, 1] for rewards in 0–1. */
  yRange?: [number, number];
}

const CURVE_FIELDS = new Set(['group', 'metric', 'step', 'mean', 'lower', 'upper', 'n_seeds']);

function methodOf(row: Record<string, unknown>, methodKey: string): string {
  const m = row[methodKey];
  return m === undefined || m === null ? '' : String(m);
}

function traceName(method: string, group: string): string {
  return method ? `${method} · ${group}` : group;
}

/** Fails when rows mix values of a label other than the method, which would draw unrelated runs as one line. */
function assertSingleSetting(rows: readonly Record<string, unknown>[], fields: Set<string>, methodKey: string, what: string): void {
  const seen = new Map<string, Set<string>>();
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      if (fields.has(k) || k === methodKey) continue;
      let s = seen.get(k);
      if (!s) seen.set(k, (s = new Set()));
      s.add(String(v));
    }
  }
  for (const [k, values] of seen) {
    if (values.size > 1) throw new Error(`${what}: rows mix ${values.size} values of label '${k}' (${[...values].slice(0, 5).join(', ')}); filter to one value first`);
  }
}

/**
 * Mean curves with interval bands, one colour per method and one dash style per group (lighter shades
 * for later groups). Each (method, group) becomes three traces: the lower bound (invisible line), the
 * upper bound filled down to it (`fill: 'tonexty'`, translucent method colour, legend hidden) and the
 * mean line, all sharing a legend group so clicking the legend hides the band with its line.
 */
export function curvesFigure(curves: readonly CurveRow[] | DataFrame, opts: CurveFigureOptions & { title: string; yTitle: string }): PlotlyFigure {
  const methodKey = opts.methodKey ?? 'method';
  let rows = inputRecords<CurveRow>(curves as never, 'curves');
  if (rows.length === 0) throw new Error('curves is empty');
  for (const f of ['group', 'step', 'mean', 'lower', 'upper']) {
    if (!(f in rows[0]!)) throw new Error(`curves rows need a '${f}' field (use learningCurves to make them)`);
  }
  if (opts.groups) {
    const present = new Set(rows.map((r) => r.group));
    for (const g of opts.groups) if (!present.has(g)) throw new Error(`groups: '${g}' is not in curves (groups: ${[...present].join(', ')})`);
    rows = rows.filter((r) => opts.groups!.includes(r.group));
  }
  const metrics = new Set(rows.map((r) => r.metric));
  if (metrics.size > 1) throw new Error(`curves mix metrics (${[...metrics].join(', ')}); filter to one`);
  assertSingleSetting(rows, CURVE_FIELDS, methodKey, 'curves');
  const groups = [...new Set(rows.map((r) => r.group))].sort();
  const lines = new Map<string, { method: string; group: string; rows: CurveRow[] }>();
  for (const r of rows) {
    const method = methodOf(r, methodKey);
    const k = JSON.stringify([method, r.group]);
    let line = lines.get(k);
    if (!line) lines.set(k, (line = { method, group: r.group, rows: [] }));
    line.rows.push(r);
  }
  const data: PlotlyTrace[] = [];
  for (const { method, group, rows: pts } of lines.values()) {
    pts.sort((a, b) => a.step - b.step);
    const color = groupShade(methodColor(method), groups.indexOf(group), groups.length);
    const name = traceName(method, group);
    const x = pts.map((p) => p.step);
    if (opts.bands ?? true) {
      const band = { type: 'scatter', mode: 'lines', x, line: { width: 0, color }, legendgroup: name, showlegend: false, hoverinfo: 'skip' };
      data.push({ ...band, name: `${name} (lower)`, y: pts.map((p) => p.lower) });
      data.push({ ...band, name: `${name} (upper)`, y: pts.map((p) => p.upper), fill: 'tonexty', fillcolor: withAlpha(color, 0.18) });
    }
    data.push({
      type: 'scatter',
      mode: 'lines',
      name,
      x,
      y: pts.map((p) => p.mean),
      line: { color, dash: groupDash(group, groups), width: 2.5 },
      legendgroup: name,
      customdata: pts.map((p) => [p.lower, p.upper, p.n_seeds]),
      hovertemplate: `${name}<br>step %{x}<br>mean %{y:.3f} [%{customdata[0]:.3f}, %{customdata[1]:.3f}]<br>seeds %{customdata[2]}<extra></extra>`,
    });
  }
  const layout = baseLayout({ title: opts.title, subtitle: opts.subtitle, xTitle: opts.xTitle ?? 'training step', yTitle: opts.yTitle });
  if (opts.yRange) layout.yaxis = { ...layout.yaxis, range: opts.yRange };
  return { data, layout };
}

/** Per-group reward curves for several methods with 95% bands (rows from `learningCurves`, metric `reward_mean`). */
export function rewardCurvesFigure(curves: readonly CurveRow[] | DataFrame, opts: CurveFigureOptions = {}): PlotlyFigure {
  return curvesFigure(curves, {
    ...opts,
    title: opts.title ?? 'Reward per preference group during training',
    subtitle: opts.subtitle ?? 'mean over seeds, shaded: bootstrap 95% interval',
    yTitle: opts.yTitle ?? 'mean reward (0–1)',
  });
}

/** Group-weight (alpha) trajectories of the group-robust trainer (rows from `learningCurves` with metric `alpha`). */
export function alphaTrajectoriesFigure(curves: readonly CurveRow[] | DataFrame, opts: CurveFigureOptions = {}): PlotlyFigure {
  return curvesFigure(curves, {
    yRange: [0, 1],
    ...opts,
    title: opts.title ?? 'Group weights α during group-robust training',
    subtitle: opts.subtitle ?? 'mean over seeds, shaded: bootstrap 95% interval',
    yTitle: opts.yTitle ?? 'group weight α (probability, 0–1)',
  });
}

/**
 * Share of samples in generation groups with zero reward spread, per preference group: the
 * trainer's metric `frac_reward_zero_std` (rows from `learningCurves(logs, { metric: 'frac_reward_zero_std' })`).
 */
export function zeroStdFractionFigure(curves: readonly CurveRow[] | DataFrame, opts: CurveFigureOptions = {}): PlotlyFigure {
  return curvesFigure(curves, {
    yRange: [0, 1],
    ...opts,
    title: opts.title ?? 'Generation groups with zero reward spread',
    subtitle: opts.subtitle ?? 'these get zero advantage in GRPO; mean over seeds, shaded: bootstrap 95% interval',
    yTitle: opts.yTitle ?? 'zero-std generation groups (fraction, 0–1)',
  });
}

/** Options for {@link recoveryVsShareFigure}. */
export interface RecoveryFigureOptions extends FigureOptions {
  /** Label holding the minority share (default `share`). */
  shareKey?: string;
  /** Field naming the series within a method (default `group`; rows without it give one series per method). */
  groupKey?: string;
}

/**
 * Recovery time against minority share with bootstrap-interval error bars, one line per (method, group).
 * Lines are dodged sideways by a small offset each so that overlapping means and bars stay apart (the
 * hover shows the exact share). Where some seeds never recovered, one note per share lists
 * "k/n" censored seeds per series, placed below or above that share's bars, wherever they leave room
 * (labels on the points would pile up when methods agree). Cells where every seed was
 * censored have no mean: they are drawn as open triangles at the run's last step (the time is longer
 * than that), labelled "not reached", and listed under the title, never left out silently.
 */
export function recoveryVsShareFigure(summary: readonly SeedSummaryRow[] | DataFrame, opts: RecoveryFigureOptions = {}): PlotlyFigure {
  const methodKey = opts.methodKey ?? 'method';
  const shareKey = opts.shareKey ?? 'share';
  const groupKey = opts.groupKey ?? 'group';
  const rows = inputRecords<SeedSummaryRow>(summary as never, 'summary');
  if (rows.length === 0) throw new Error('summary is empty');
  rows.forEach((r, i) => {
    if (typeof r[shareKey] !== 'number') throw new Error(`summary[${i}].${shareKey} must be a number (the minority share), got ${String(r[shareKey])}`);
  });
  const groups = [...new Set(rows.map((r) => String(r[groupKey] ?? '')))].sort();
  const lines = new Map<string, { method: string; group: string; rows: SeedSummaryRow[] }>();
  for (const r of rows) {
    const method = methodOf(r, methodKey);
    const group = String(r[groupKey] ?? '');
    const k = JSON.stringify([method, group]);
    let line = lines.get(k);
    if (!line) lines.set(k, (line = { method, group, rows: [] }));
    if (line.rows.some((p) => p[shareKey] === r[shareKey])) throw new Error(`summary has two rows for ${traceName(method, group)} at ${shareKey} = ${r[shareKey]}; filter to one setting`);
    line.rows.push(r);
  }
  const data: PlotlyTrace[] = [];
  const neverReached: string[] = [];
  const censoredMarks: PlotlyTrace[] = [];
  const shares = [...new Set(rows.map((r) => r[shareKey] as number))].sort((a, b) => a - b);
  const censoredAt = new Map<number, string[]>(shares.map((x) => [x, []]));
  // Sideways offset between lines: a quarter of the closest pair of shares, split among the lines.
  const gaps = shares.slice(1).map((x, i) => x - shares[i]!);
  const dodge = lines.size > 1 ? (0.25 * (gaps.length ? Math.min(...gaps) : 0.1)) / lines.size : 0;
  [...lines.values()].forEach(({ method, group, rows: pts }, lineIndex) => {
    pts.sort((a, b) => (a[shareKey] as number) - (b[shareKey] as number));
    const color = groupShade(methodColor(method), Math.max(0, groups.indexOf(group)), groups.length);
    const name = group ? traceName(method, group) : method;
    const offset = (lineIndex - (lines.size - 1) / 2) * dodge;
    for (const p of pts) {
      if (!Number.isFinite(p.mean)) neverReached.push(`${name} at ${shareKey} ${p[shareKey]}`);
      else if (p.n_censored > 0) censoredAt.get(p[shareKey] as number)!.push(`${groups.length > 1 ? name : method} ${p.n_censored}/${p.n_seeds}`);
    }
    data.push({
      type: 'scatter',
      mode: 'lines+markers',
      name,
      x: pts.map((p) => (p[shareKey] as number) + offset),
      customdata: pts.map((p) => p[shareKey] as number),
      hovertemplate: `${name}<br>${shareKey} %{customdata}<br>%{y:.1f} steps<extra></extra>`,
      y: pts.map((p) => (Number.isFinite(p.mean) ? p.mean : null)) as number[],
      error_y: {
        type: 'data',
        symmetric: false,
        array: pts.map((p) => (Number.isFinite(p.mean) ? p.upper - p.mean : null)),
        arrayminus: pts.map((p) => (Number.isFinite(p.mean) ? p.mean - p.lower : null)),
        color,
        thickness: 1.5,
        width: 5,
      },
      line: { color, dash: group ? groupDash(group, groups) : 'solid', width: 2 },
      marker: { color, size: 8 },
      legendgroup: name,
    });
    const unreached = pts.filter((p) => !Number.isFinite(p.mean) && Number.isFinite(p.last_step));
    if (unreached.length) {
      censoredMarks.push({
        type: 'scatter',
        mode: 'markers+text',
        name: `${name}: not reached`,
        x: unreached.map((p) => (p[shareKey] as number) + offset),
        y: unreached.map((p) => p.last_step!),
        text: unreached.map((p) => `not reached by step ${p.last_step}`),
        textposition: 'bottom center',
        textfont: { size: 11, color },
        cliponaxis: false,
        marker: { color, size: 11, symbol: 'triangle-up-open', line: { width: 2 } },
        legendgroup: name,
        showlegend: false,
      });
    }
  });
  data.push(...censoredMarks);
  const subtitle = opts.subtitle ?? (neverReached.length ? `never reached by any seed: ${neverReached.join('; ')}` : 'mean over seeds that recovered; bars: bootstrap 95% interval');
  const layout = baseLayout({
    title: opts.title ?? 'Minority recovery time against minority share',
    subtitle,
    xTitle: opts.xTitle ?? 'minority share (fraction of users)',
    yTitle: opts.yTitle ?? 'recovery time (training steps)',
  });
  // Pad the share axis so point labels at the smallest and largest share are not cut at the plot edge.
  const [lo, hi] = [shares[0]!, shares[shares.length - 1]!];
  const pad = hi > lo ? 0.1 * (hi - lo) : 0.05;
  layout.xaxis = { ...layout.xaxis, range: [lo - pad, hi + pad] };
  layout.annotations = censoredNotes(rows, shareKey, censoredAt);
  return { data, layout };
}

/**
 * One note per share listing its partly censored series, inside the plot at the bottom of that
 * share's column when its error bars leave room there, else at the top.
 */
function censoredNotes(rows: readonly SeedSummaryRow[], shareKey: string, censoredAt: Map<number, string[]>): Record<string, unknown>[] {
  const finite = rows.filter((r) => Number.isFinite(r.mean));
  const values = finite.flatMap((r) => [r.lower, r.upper, r.mean]).filter(Number.isFinite);
  const [yMin, yMax] = values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
  const span = yMax - yMin || 1;
  const notes: Record<string, unknown>[] = [];
  for (const [share, lines] of censoredAt) {
    if (lines.length === 0) continue;
    const column = finite.filter((r) => r[shareKey] === share);
    const low = Math.min(...column.map((r) => r.lower));
    // About 5% of the plot height per text line (two header lines), plus a little air.
    const needed = (0.05 * (lines.length + 1) + 0.03) * span;
    const atBottom = low - yMin >= needed;
    notes.push({
      x: share,
      xref: 'x',
      y: atBottom ? 0 : 1,
      yref: 'paper',
      yanchor: atBottom ? 'bottom' : 'top',
      showarrow: false,
      align: 'center',
      font: { size: 10, color: '#444' },
      text: `censored seeds:<br>${lines.join('<br>')}`,
    });
  }
  return notes;
}

/** Options for {@link advantageDistributionFigure}. */
export interface AdvantageFigureOptions extends FigureOptions {
  /** Logged metric whose values are pooled per group (default `advantage_mean`: one value per step and seed). */
  metric?: string;
  /** Methods to compare, in this order (default: every method in the logs, sorted). */
  methods?: readonly string[];
  /** Include the whole-batch group `all` (default false). */
  includeAll?: boolean;
}

/**
 * Distribution of advantages per preference group, one box per method side by side (e.g. GRPO against
 * P-GRPO): every logged value of `metric` (over steps and seeds) for that method and group is pooled.
 * Boxes show median, quartiles, 1.5-IQR whiskers and the mean (dashed).
 */
export function advantageDistributionFigure(logs: MetricInput, opts: AdvantageFigureOptions = {}): PlotlyFigure {
  const metric = opts.metric ?? 'advantage_mean';
  const methodKey = opts.methodKey ?? 'method';
  const series = requireSeries(logs, metric, 'logs').filter((s) => opts.includeAll || s.group !== ALL_GROUPS);
  const present = [...new Set(series.map((s) => methodOf(s.labels, methodKey)))].sort();
  const methods = opts.methods ?? present;
  for (const m of methods) if (!present.includes(m)) throw new Error(`methods: '${m}' has no '${metric}' rows (methods: ${present.join(', ')})`);
  const groups = [...new Set(series.map((s) => s.group))].sort();
  const data: PlotlyTrace[] = methods.map((method) => {
    const x: string[] = [];
    const y: number[] = [];
    for (const s of series) {
      if (methodOf(s.labels, methodKey) !== method) continue;
      for (const v of s.values) {
        x.push(s.group);
        y.push(v);
      }
    }
    const color = methodColor(method);
    return { type: 'box', name: method || metric, x, y, marker: { color }, line: { color }, fillcolor: withAlpha(color, 0.3), boxmean: true, boxpoints: false, offsetgroup: method };
  });
  const layout = baseLayout(
    {
      title: opts.title ?? `Advantage per preference group: ${methods.join(' vs ')}`,
      subtitle: opts.subtitle ?? `${metric}, pooled over steps and seeds`,
      xTitle: opts.xTitle ?? 'preference group',
      yTitle: opts.yTitle ?? 'advantage (standardised reward units)',
    },
    { boxmode: 'group' },
  );
  layout.xaxis = { ...layout.xaxis, categoryorder: 'array', categoryarray: groups, type: 'category' };
  return { data, layout };
}
