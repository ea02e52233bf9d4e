import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, recordsToFrame, frameToRecords, type MetricRecord } from '../src';
import {
  bootstrapMeanInterval,
  curveAreaSummary,
  curveAreas,
  gapClosingSummary,
  gapClosingTimes,
  learningCurves,
  learningCurvesFrame,
  normalisedArea,
  recoverySummary,
  recoveryTimes,
  recoveryTimesFrame,
  smoothCurve,
  worstGroup,
  worstGroupFrames,
} from '../src/analysis';

/** Long-form rows for one run and group, one value per step starting at step 0. */
function curve(labels: Record<string, string | number>, group: string, values: number[], metric = 'reward_mean', stepSize = 1): MetricRecord[] {
  return values.map((value, i) => ({ step: i * stepSize, group, metric, value, ...labels }));
}

/** Reference bootstrap written out independently: same seed semantics (one Rng per interval, indices drawn in order). */
function referenceInterval(sample: number[], resamples: number, seed: number, level = 0.95): [number, number] {
  const rng = new Rng(seed);
  const means: number[] = [];
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < sample.length; i++) s += sample[rng.int(sample.length)]!;
    means.push(s / sample.length);
  }
  means.sort((a, b) => a - b);
  const q = (p: number) => {
    const h = (means.length - 1) * p;
    const lo = Math.floor(h);
    return means[lo]! + (h - lo) * (means[Math.min(lo + 1, means.length - 1)]! - means[lo]!);
  };
  return [q((1 - level) / 2), q((1 + level) / 2)];
}

// Minority curves of three seeds (best reward 1, threshold 0.9 * 1 = 0.9), counted by eye:
// seed 1 first reaches 0.9 at step 4; seed 2 at step 2 (then dips: still step 2); seed 3 never (censored).
const MINORITY = {
  1: [0.1, 0.3, 0.5, 0.85, 0.95, 0.9],
  2: [0.1, 0.2, 0.92, 0.5, 0.6, 0.7],
  3: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
};
const MAJORITY = [0.9, 0.92, 0.94, 0.95, 0.96, 0.97];

function grpoLogs(): MetricRecord[] {
  const rows: MetricRecord[] = [];
  for (const [seed, values] of Object.entries(MINORITY)) {
    rows.push(...curve({ method: 'grpo', seed: Number(seed) }, 'minority', values));
    rows.push(...curve({ method: 'grpo', seed: Number(seed) }, 'majority', MAJORITY));
    rows.push(...curve({ method: 'grpo', seed: Number(seed) }, 'all', MAJORITY.map((v) => v - 0.1)));
    rows.push(...curve({ method: 'grpo', seed: Number(seed) }, 'minority', [0, 0, 0, 0, 0, 0], 'kl'));
  }
  return rows;
}

test('bootstrap: matches an independent loop, constant sample has zero width, contains the mean, widens with spread', () => {
  const sample = [0.2, 0.5, 0.9, 0.4, 0.7];
  const r = bootstrapMeanInterval(sample, { resamples: 500, seed: 11 });
  const [lo, hi] = referenceInterval(sample, 500, 11);
  assert.equal(r.lower, lo);
  assert.equal(r.upper, hi);
  assert.ok(Math.abs(r.mean - 0.54) < 1e-12);
  assert.ok(r.lower < r.mean && r.mean < r.upper);
  assert.deepEqual(bootstrapMeanInterval(sample, { resamples: 500, seed: 11 }), r, 'same seed, same interval');
  const spread = Array.from({ length: 20 }, (_, i) => Math.sin(i * 1.7));
  assert.notDeepEqual(bootstrapMeanInterval(spread, { resamples: 500, seed: 12 }), bootstrapMeanInterval(spread, { resamples: 500, seed: 13 }), 'another seed, another interval');

  const constant = bootstrapMeanInterval([3, 3, 3, 3], { seed: 1 });
  assert.deepEqual([constant.mean, constant.lower, constant.upper], [3, 3, 3]);
  const narrow = bootstrapMeanInterval([0.45, 0.5, 0.55, 0.5], { seed: 2 });
  const wide = bootstrapMeanInterval([0.0, 0.5, 1.0, 0.5], { seed: 2 });
  assert.ok(wide.upper - wide.lower > 5 * (narrow.upper - narrow.lower));
  // With the same seed the resampled indices are identical, so the wide interval is the narrow one scaled by 10 about 0.5.
  assert.ok(Math.abs(wide.upper - 0.5 - 10 * (narrow.upper - 0.5)) < 1e-12);

  assert.throws(() => bootstrapMeanInterval([]), /non-empty/);
  assert.throws(() => bootstrapMeanInterval([1, NaN]), /sample\[1\]/);
  assert.throws(() => bootstrapMeanInterval([1], { resamples: 0 }), /resamples/);
  assert.throws(() => bootstrapMeanInterval([1], { level: 1.5 }), /level/);
});

test('smoothing: EMA and centred window by hand', () => {
  assert.deepEqual(smoothCurve([0, 1, 1, 1], { kind: 'ema', alpha: 0.5 }), [0, 0.5, 0.75, 0.875]);
  assert.deepEqual(smoothCurve([0, 3, 6, 3], { kind: 'window', width: 3 }), [1.5, 3, 4, 4.5]);
  assert.deepEqual(smoothCurve([1, 2], { kind: 'none' }), [1, 2]);
  assert.throws(() => smoothCurve([1], { kind: 'window', width: 2 }), /smoothing.width/);
  assert.throws(() => smoothCurve([1], { kind: 'ema', alpha: 0 }), /smoothing.alpha/);
});

test('learning curves: mean over seeds per step with interval and seed count; frame input = record input', () => {
  const logs = grpoLogs();
  const rows = learningCurves(logs, { groups: ['minority'], resamples: 300, seed: 5 });
  assert.equal(rows.length, 6);
  const step2 = rows.find((r) => r.step === 2)!;
  assert.equal(step2.method, 'grpo');
  assert.equal(step2.seed, undefined, 'seed is averaged out');
  assert.equal(step2.n_seeds, 3);
  assert.ok(Math.abs(step2.mean - (0.5 + 0.92 + 0.3) / 3) < 1e-12);
  const [lo, hi] = referenceInterval([0.5, 0.92, 0.3], 300, 5);
  assert.equal(step2.lower, lo);
  assert.equal(step2.upper, hi);
  // Smoothing happens per seed before averaging: EMA(0.5) of seed means at step 1 = mean of (x0 + x1) / 2.
  const smoothed = learningCurves(logs, { groups: ['minority'], smoothing: { kind: 'ema', alpha: 0.5 }, resamples: 10 });
  assert.ok(Math.abs(smoothed[1]!.mean - (0.2 + 0.15 + 0.15) / 3) < 1e-12);

  const fromFrame = frameToRecords(learningCurvesFrame(recordsToFrame(logs), { groups: ['minority'], resamples: 300, seed: 5 }));
  assert.deepEqual(fromFrame, rows);
  assert.throws(() => learningCurves(logs, { metric: 'reward' }), /no rows with metric 'reward'/);
  assert.throws(() => learningCurves(logs, { groups: ['minorty'] }), /groups: 'minorty'/);
});

test('recovery time (a): first crossing of fraction * best, censored seeds kept and counted', () => {
  const logs = grpoLogs();
  const rows = recoveryTimes(logs, { best: { minority: 1, majority: 1 }, fraction: 0.9 });
  const minority = rows.filter((r) => r.group === 'minority').sort((a, b) => (a.seed as number) - (b.seed as number));
  assert.deepEqual(minority.map((r) => r.recovery_step), [4, 2, Infinity]);
  assert.deepEqual(minority.map((r) => r.censored), [false, false, true]);
  assert.deepEqual(minority.map((r) => r.last_step), [5, 5, 5]);
  assert.ok(rows.filter((r) => r.group === 'majority').every((r) => r.recovery_step === 0));
  assert.ok(!rows.some((r) => r.group === 'all'), "the whole-batch group 'all' is not a preference group");

  // A smaller best moves the threshold to 0.9 * 0.6 = 0.54: seed 1 reaches it at step 3 (0.85), seed 2 at 2, seed 3 at 5 (0.6).
  const lenient = recoveryTimes(logs, { best: { minority: 0.6, majority: 1 }, groups: ['minority'] });
  assert.deepEqual(lenient.map((r) => r.recovery_step), [3, 2, 5]);

  // EMA(0.5) of seed 2: 0.1, 0.15, 0.535, 0.5175, ... never reaches 0.9 -> censored.
  const smooth = recoveryTimes(logs, { best: { minority: 1 }, groups: ['minority'], smoothing: { kind: 'ema', alpha: 0.5 } });
  assert.equal(smooth.find((r) => r.seed === 2)!.censored, true);

  const summary = recoverySummary(logs, { best: { minority: 1, majority: 1 }, groups: ['minority'], resamples: 400, seed: 3 });
  assert.equal(summary.length, 1);
  const s = summary[0]!;
  assert.deepEqual([s.method, s.group, s.n_seeds, s.n_censored, s.mean], ['grpo', 'minority', 3, 1, 3]);
  assert.deepEqual([s.lower, s.upper], referenceInterval([4, 2], 400, 3));
  const horizon = recoverySummary(logs, { best: { minority: 1 }, groups: ['minority'], censored: 'horizon', resamples: 50 })[0]!;
  assert.ok(Math.abs(horizon.mean - (4 + 2 + 5) / 3) < 1e-12);
  assert.equal(horizon.n_censored, 1);

  const allCensored = recoverySummary(logs, { best: { minority: 10 }, groups: ['minority'], resamples: 50 })[0]!;
  assert.deepEqual([allCensored.n_censored, allCensored.n_seeds], [3, 3]);
  assert.ok(Number.isNaN(allCensored.mean) && Number.isNaN(allCensored.lower));

  const frame = recoveryTimesFrame(recordsToFrame(logs), { best: { minority: 1, majority: 1 } });
  assert.deepEqual(frameToRecords(frame), rows, 'DataFrame in and out keeps Infinity and the censored flags');
  assert.throws(() => recoveryTimes(logs, { best: { minority: 1 } }), /best has no entry for group 'majority'/);
  assert.throws(() => recoveryTimes(logs, { best: { minority: -1, majority: 1 } }), /best\['minority'\]/);
  assert.throws(() => recoveryTimes(logs, { best: { minority: 1, majority: 1 }, fraction: 1.2 }), /fraction/);
});

test('recovery time (b): gap stays below delta for the rest of the run', () => {
  const run = (seed: number, minority: number[]) => [
    ...curve({ method: 'pgrpo', seed }, 'majority', [1, 1, 1, 1, 1, 1]),
    ...curve({ method: 'pgrpo', seed }, 'minority', minority),
  ];
  // gaps seed 1: 0.8, 0.05, 0.5, 0.08, 0.04, 0.03 -> closes for good at step 3 (the early dip at step 1 does not count)
  // gaps seed 2: 0.9, 0.5, 0.3, 0.2, 0.2, 0.2  -> never closes: censored, final gap 0.2
  // gaps seed 3: all 0.01                    -> closed from step 0
  const logs = [...run(1, [0.2, 0.95, 0.5, 0.92, 0.96, 0.97]), ...run(2, [0.1, 0.5, 0.7, 0.8, 0.8, 0.8]), ...run(3, [0.99, 0.99, 0.99, 0.99, 0.99, 0.99])];
  const rows = gapClosingTimes(logs, { majority: 'majority', minority: 'minority', delta: 0.1 });
  assert.deepEqual(rows.map((r) => r.recovery_step), [3, Infinity, 0]);
  assert.deepEqual(rows.map((r) => r.censored), [false, true, false]);
  assert.ok(Math.abs(rows[1]!.final_gap - 0.2) < 1e-12);
  const summary = gapClosingSummary(logs, { majority: 'majority', minority: 'minority', delta: 0.1, resamples: 200, seed: 9 })[0]!;
  assert.deepEqual([summary.method, summary.n_seeds, summary.n_censored, summary.mean], ['pgrpo', 3, 1, 1.5]);
  assert.deepEqual([summary.lower, summary.upper], referenceInterval([3, 0], 200, 9));

  const misaligned = [...run(1, [0.2, 0.95, 0.5, 0.92, 0.96, 0.97]), ...curve({ method: 'pgrpo', seed: 1 }, 'minority', [0.5], 'reward_mean').map((r) => ({ ...r, step: 10 }))];
  assert.throws(() => gapClosingTimes(misaligned, { majority: 'majority', minority: 'minority', delta: 0.1 }), /different steps/);
  assert.throws(() => gapClosingTimes(logs, { majority: 'majority', minority: 'minority', delta: 0 }), /delta/);
  assert.throws(() => gapClosingTimes(logs, { majority: 'majority', minority: 'nobody', delta: 0.1 }), /groups: 'nobody'/);
});

test('area under the curve: triangle and uneven steps, normalised by the step span', () => {
  assert.equal(normalisedArea([0, 1, 2], [0, 1, 0]), 0.5);
  assert.equal(normalisedArea([0, 2, 4], [0, 2, 0]), 1);
  assert.ok(Math.abs(normalisedArea([0, 1, 3], [0, 2, 2]) - 5 / 3) < 1e-12);
  assert.equal(normalisedArea([7], [0.3]), 0.3);
  assert.throws(() => normalisedArea([0, 0], [1, 1]), /increase strictly/);
  const logs = [
    ...curve({ method: 'grpo', seed: 1 }, 'minority', [0, 1, 0], 'reward_mean', 10),
    ...curve({ method: 'grpo', seed: 2 }, 'minority', [0, 0.5, 0], 'reward_mean', 10),
  ];
  assert.deepEqual(curveAreas(logs).map((r) => r.auc), [0.5, 0.25]);
  const s = curveAreaSummary(logs, { resamples: 100, seed: 4 })[0]!;
  assert.equal(s.mean, 0.375);
  assert.deepEqual([s.lower, s.upper], referenceInterval([0.5, 0.25], 100, 4));
});

test('worst-group reward: per-step minimum over groups, final value and which group', () => {
  const logs = [
    ...curve({ method: 'grpo', seed: 1 }, 'a', [0.5, 0.6, 0.9]),
    ...curve({ method: 'grpo', seed: 1 }, 'b', [0.2, 0.7, 0.4]),
    ...curve({ method: 'grpo', seed: 2 }, 'a', [0.1, 0.2, 0.3]),
    ...curve({ method: 'grpo', seed: 2 }, 'b', [0.4, 0.5, 0.6]),
    ...curve({ method: 'grpo', seed: 1 }, 'all', [0, 0, 0]),
    ...curve({ method: 'grpo', seed: 2 }, 'all', [0, 0, 0]),
  ];
  const r = worstGroup(logs, { resamples: 100, seed: 1 });
  // seed 1 minima: 0.2, 0.6, 0.4; seed 2 minima: 0.1, 0.2, 0.3 ('all' excluded)
  assert.deepEqual(r.curve.map((c) => [c.group, c.step, Number(c.mean.toFixed(12))]), [['worst', 0, 0.15], ['worst', 1, 0.4], ['worst', 2, 0.35]]);
  assert.deepEqual(r.finalPerSeed.map((f) => [f.seed, f.value, f.worst_group]), [[1, 0.4, 'b'], [2, 0.3, 'a']]);
  assert.equal(r.final.length, 1);
  assert.ok(Math.abs(r.final[0]!.mean - 0.35) < 1e-12);
  assert.deepEqual([r.final[0]!.lower, r.final[0]!.upper], referenceInterval([0.4, 0.3], 100, 1));
  assert.equal(worstGroupFrames(recordsToFrame(logs), { resamples: 10 }).curve.shape[0], 3);
  const missing = logs.filter((row) => !(row.seed === 2 && row.group === 'b' && row.step === 1));
  assert.throws(() => worstGroup(missing), /group 'b' is logged at different steps/);
});

test('bad logs: duplicate steps, non-finite values and malformed rows are named', () => {
  const dup = [...curve({ method: 'grpo' }, 'a', [1, 2]), ...curve({ method: 'grpo' }, 'a', [1, 2])];
  assert.throws(() => learningCurves(dup), /step 0 is logged twice .*method=grpo/);
  const nan = curve({ method: 'grpo', seed: 0 }, 'a', [1, NaN]);
  assert.throws(() => learningCurves(nan), /records\[1\]\.value must be a finite number/);
  const noGroup = [{ step: 0, group: '', metric: 'reward_mean', value: 1 }];
  assert.throws(() => learningCurves(noGroup), /records\[0\]\.group/);
  assert.throws(() => learningCurves('x' as never), /array of records or a danfojs DataFrame/);
});
