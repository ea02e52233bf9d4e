/**
 * Worst-group reward: the minimum over preference groups at each step, and at the end of training.
 */
import { DataFrame } from 'danfojs-node';
import { ALL_GROUPS } from '../frames';
import { summariseOverSeeds, type SeedSummaryOptions, type SeedSummaryRow } from './aggregate';
import { averageCurves, smoothedSeries, type CurveOptions, type CurveRow } from './curves';
import { describeRun, labelKey, rowsToFrame, withoutLabels, type RunLabels, type MetricInput, type MetricSeries } from './input';

/** Group name given to worst-group curves. */
export const WORST_GROUP = 'worst';

/** One seed's final worst-group value. */
export type WorstFinalRow = RunLabels & { metric: string; step: number; value: number; worst_group: string };

/** Worst-group results: the averaged curve, per-seed finals and their summary. */
export interface WorstGroupResult {
  /** Mean over seeds of the per-step minimum over groups, with bootstrap interval (group `worst`). */
  curve: CurveRow[];
  /** Each seed's minimum over groups at its last logged step, and which group it was. */
  finalPerSeed: WorstFinalRow[];
  /** `finalPerSeed` averaged over seeds per setting. */
  final: SeedSummaryRow[];
}

/**
 * Worst-group curves. Each group's curve is smoothed first; then, per run and logged step, the minimum
 * over groups is taken. The groups are `opts.groups` or every group except `all`; every run must log
 * every one of them at every step it logs (otherwise the minimum would silently cover fewer groups, so
 * this is an error).
 */
export function worstGroup(input: MetricInput, opts: CurveOptions & SeedSummaryOptions = {}): WorstGroupResult {
  const all = smoothedSeries(input, opts).filter((s) => opts.groups || s.group !== ALL_GROUPS);
  const groups = [...new Set(all.map((s) => s.group))];
  const runs = new Map<string, { labels: RunLabels; byGroup: Map<string, MetricSeries> }>();
  for (const s of all) {
    const k = labelKey(s.labels);
    let run = runs.get(k);
    if (!run) runs.set(k, (run = { labels: s.labels, byGroup: new Map() }));
    run.byGroup.set(s.group, s);
  }
  const worstSeries: MetricSeries[] = [];
  const finalPerSeed: WorstFinalRow[] = [];
  for (const { labels, byGroup } of runs.values()) {
    const ref = byGroup.get(groups[0]!);
    for (const g of groups) {
      const s = byGroup.get(g);
      if (!s) throw new Error(`run ${describeRun(labels)} has no '${all[0]!.metric}' rows for group '${g}'`);
      if (s.steps.length !== ref!.steps.length || s.steps.some((st, i) => st !== ref!.steps[i])) {
        throw new Error(`run ${describeRun(labels)}: group '${g}' is logged at different steps than group '${groups[0]}'`);
      }
    }
    const values: number[] = [];
    const argmin: string[] = [];
    ref!.steps.forEach((_, i) => {
      let best = Infinity;
      let who = '';
      for (const g of groups) {
        const v = byGroup.get(g)!.values[i]!;
        if (v < best) [best, who] = [v, g];
      }
      values.push(best);
      argmin.push(who);
    });
    worstSeries.push({ labels, group: WORST_GROUP, metric: ref!.metric, steps: ref!.steps, values });
    const last = values.length - 1;
    finalPerSeed.push({ ...labels, metric: ref!.metric, step: ref!.steps[last]!, value: values[last]!, worst_group: argmin[last]! } as WorstFinalRow);
  }
  const seedKey = opts.seedKey ?? 'seed';
  const final = summariseOverSeeds(
    finalPerSeed.map((r) => ({ key: { ...withoutLabels(r, [seedKey, 'step', 'value', 'worst_group']), group: WORST_GROUP }, value: r.value })),
    opts,
  );
  return { curve: averageCurves(worstSeries, opts), finalPerSeed, final };
}

/** {@link worstGroup} with DataFrames. */
export function worstGroupFrames(input: MetricInput, opts: CurveOptions & SeedSummaryOptions = {}): { curve: DataFrame; finalPerSeed: DataFrame; final: DataFrame } {
  const r = worstGroup(input, opts);
  return {
    curve: rowsToFrame(r.curve, ['group', 'metric', 'step', 'mean', 'lower', 'upper', 'n_seeds']),
    finalPerSeed: rowsToFrame(r.finalPerSeed, ['metric', 'step', 'value', 'worst_group']),
    final: rowsToFrame(r.final, ['metric', 'group', 'n_seeds', 'n_censored', 'mean', 'lower', 'upper']),
  };
}
