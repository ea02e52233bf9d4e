import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedFinalDifference, type MetricRecord } from '../src';

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
