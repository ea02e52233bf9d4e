import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finalValueSummary, finalValues, pairedDifference, pairedFinalDifference, type MetricRecord } from '../src';

function run(method: string, seed: number, first: number, last: number, split = 'uneven'): MetricRecord[] {
  return [
    { step: 0, group: 'all', metric: 'worst_group_val_loss', value: first, method, seed, split },
    { step: 50, group: 'all', metric: 'worst_group_val_loss', value: last, method, seed, split },
    { step: 50, group: 'g1', metric: 'worst_group_val_loss', value: 99, method, seed, split },
  ];
}

test('paired final difference uses each seed\'s last step and pairs by seed', () => {
  const logs = [
    ...run('gr_dpo', 0, 9, 1), ...run('gr_dpo', 1, 9, 2), ...run('gr_dpo', 2, 9, 3),
    ...run('dpo', 0, 0, 2), ...run('dpo', 1, 0, 2), ...run('dpo', 2, 0, 5),
  ];
  const [row] = pairedFinalDifference(logs, { metric: 'worst_group_val_loss', group: 'all', a: 'gr_dpo', b: 'dpo' });
  assert.equal(row!.split, 'uneven');
  assert.equal(row!.n_seeds, 3);
  assert.equal(row!.mean_a, 2);
  assert.equal(row!.mean_b, 3);
  assert.equal(row!.mean_difference, -1); // (1-2) + (2-2) + (3-5) = -3 over 3 seeds
  assert.equal(row!.a_lower_in, 2);
  assert.ok(row!.lower >= -2 && row!.upper <= 0 && row!.lower <= -1 && row!.upper >= -1, `interval [${row!.lower}, ${row!.upper}]`);
});

test('a seed present for one method only is an error, not silently dropped', () => {
  const logs = [...run('gr_dpo', 0, 1, 1), ...run('gr_dpo', 1, 1, 1), ...run('dpo', 0, 1, 1)];
  assert.throws(() => pairedFinalDifference(logs, { metric: 'worst_group_val_loss', group: 'all', a: 'gr_dpo', b: 'dpo' }), /seed 1 .* only one of 'gr_dpo' and 'dpo'/);
});

test('pairedDifference: pairs per setting, leaves censored pairs out and counts them', () => {
  const times = [
    // share 0.1: seed 0 both recover (12 vs 10), seed 1 b censored, seed 2 both recover (20 vs 14).
    { method: 'grpo', seed: 0, share: 0.1, recovery_step: 12, censored: false },
    { method: 'pgrpo', seed: 0, share: 0.1, recovery_step: 10, censored: false },
    { method: 'grpo', seed: 1, share: 0.1, recovery_step: 30, censored: false },
    { method: 'pgrpo', seed: 1, share: 0.1, recovery_step: Infinity, censored: true },
    { method: 'grpo', seed: 2, share: 0.1, recovery_step: 20, censored: false },
    { method: 'pgrpo', seed: 2, share: 0.1, recovery_step: 14, censored: false },
    // share 0.3: one seed, a recovers later.
    { method: 'grpo', seed: 0, share: 0.3, recovery_step: 5, censored: false },
    { method: 'pgrpo', seed: 0, share: 0.3, recovery_step: 8, censored: false },
    { method: 'rloo', seed: 0, share: 0.3, recovery_step: 1, censored: false }, // not compared
  ];
  const rows = pairedDifference(times, { value: 'recovery_step', a: 'grpo', b: 'pgrpo', by: ['share'], censored: 'censored' });
  assert.deepEqual(rows.map((r) => [r.share, r.n_seeds, r.n_censored_pairs, r.mean_a, r.mean_b, r.mean_difference, r.a_lower_in]), [
    [0.1, 3, 1, 16, 12, 4, 0], // (2 + 6) / 2
    [0.3, 1, 0, 5, 8, -3, 1],
  ]);
  assert.ok(rows[0]!.lower <= 4 && rows[0]!.upper >= 4 && rows[0]!.lower >= 2 && rows[0]!.upper <= 6);
  // Every pair censored: counted, nothing to average.
  const none = pairedDifference(times.filter((t) => t.seed === 1), { value: 'recovery_step', a: 'grpo', b: 'pgrpo', censored: 'censored' });
  assert.deepEqual([none[0]!.n_seeds, none[0]!.n_censored_pairs, Number.isNaN(none[0]!.mean_difference)], [1, 1, true]);
  assert.throws(() => pairedDifference(times.slice(0, 5), { value: 'recovery_step', a: 'grpo', b: 'pgrpo', by: ['share'] }), /seed 2 of \{share=0.1\} has 'recovery_step' for only one of 'grpo' and 'pgrpo'/);
  assert.throws(() => pairedDifference([{ method: 'grpo', seed: 0, t: 'x' }], { value: 't', a: 'grpo', b: 'pgrpo' }), /rows\[0\]\.t must be a number/);
});

test('finalValues and finalValueSummary: last logged step per run, then mean over seeds per method and setting', () => {
  const logs = [...run('gr_dpo', 0, 9, 1), ...run('gr_dpo', 1, 9, 3), ...run('dpo', 0, 0, 2), ...run('dpo', 1, 0, 6, 'even')];
  const finals = finalValues(logs, { metric: 'worst_group_val_loss', group: 'all' });
  assert.deepEqual(finals.map((f) => [f.labels.method, f.labels.seed, f.step, f.value]), [['gr_dpo', 0, 50, 1], ['gr_dpo', 1, 50, 3], ['dpo', 0, 50, 2], ['dpo', 1, 50, 6]]);
  const summary = finalValueSummary(logs, { metric: 'worst_group_val_loss', group: 'all' });
  assert.deepEqual(summary.map((r) => [r.method, r.split, r.metric, r.group, r.n_seeds, r.mean]), [
    ['gr_dpo', 'uneven', 'worst_group_val_loss', 'all', 2, 2],
    ['dpo', 'uneven', 'worst_group_val_loss', 'all', 1, 2],
    ['dpo', 'even', 'worst_group_val_loss', 'all', 1, 6],
  ]);
  assert.throws(() => finalValueSummary(logs, { metric: 'worst_group_val_loss', group: 'g9' }), /no 'worst_group_val_loss' rows for group 'g9' \(groups present: all, g1\)/);
  assert.throws(() => finalValues(logs, { metric: 'typo' }), /no rows with metric 'typo'/);
});
