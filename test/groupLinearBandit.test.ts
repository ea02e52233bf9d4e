import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../src/backend';
import {
  GROUP_LINEAR_BANDIT,
  banditFeatureTensor,
  banditFeatures,
  banditReward,
  generateGroupLinearBandit,
  pairsToFrame,
} from '../src/data/groupLinearBandit';

const BANDIT_TRUE_THETAS = GROUP_LINEAR_BANDIT.true_thetas;

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('feature map matches hand-computed values', () => {
  // a = 0 gives c = 1; state (0, 0.5): cos 0 = 1, sin 0 = 0, cos(pi/2) = 0, sin(pi/2) = 1.
  const f0 = banditFeatures([0, 0.5], 0, 8);
  [1, 0, 0, 1].forEach((v, k) => close(f0[k]!, v));
  // a = 4 gives c = 1.5; state (1/3, 0): cos(pi/3) = 0.5, sin(pi/3) = sqrt(3)/2.
  const f4 = banditFeatures([1 / 3, 0], 4, 8);
  [0.75, Math.sqrt(3) / 2 / 1.5, 1.5, 0].forEach((v, k) => close(f4[k]!, v));
  // r = theta . phi with theta_1 = (1,3,1,3): 0.75 + 3 sqrt(3)/3 + 1.5 + 0.
  close(banditReward([1 / 3, 0], 4, BANDIT_TRUE_THETAS[0]!, 8), 0.75 + Math.sqrt(3) + 1.5);
  assert.throws(() => banditFeatures([0.1, 0.2], 8, 8), /action must be an integer in \[0, 8\)/);
});

test('feature tensor equals the plain feature map', async () => {
  await initBackend('cpu');
  const states = [
    [0.1, 0.9],
    [0.5, 0.25],
  ];
  const phi = tf.tidy(() => banditFeatureTensor(tf.tensor2d(states), 8).arraySync());
  states.forEach((s, i) => {
    for (let a = 0; a < 8; a++) banditFeatures(s, a, 8).forEach((v, k) => close(phi[i]![a]![k]!, v, 1e-6));
  });
});

test('same seed gives the same data, another seed other data', () => {
  const a = generateGroupLinearBandit({ seed: 11, split: 'uneven' });
  const b = generateGroupLinearBandit({ seed: 11, split: 'uneven' });
  const c = generateGroupLinearBandit({ seed: 12, split: 'uneven' });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.train.states, c.train.states);
});

test('split sizes: even 150/150, uneven 60/240, balanced validation, explicit counts', () => {
  const count = (groups: number[], g: number) => groups.filter((x) => x === g).length;
  const even = generateGroupLinearBandit({ seed: 1, split: 'even' });
  assert.deepEqual([count(even.train.group_index, 0), count(even.train.group_index, 1)], [150, 150]);
  const uneven = generateGroupLinearBandit({ seed: 1, split: 'uneven', val_pairs_per_group: 50 });
  assert.deepEqual([count(uneven.train.group_index, 0), count(uneven.train.group_index, 1)], [60, 240]);
  assert.deepEqual([count(uneven.val.group_index, 0), count(uneven.val.group_index, 1)], [50, 50]);
  assert.equal(uneven.train.states.length, 300);
  const custom = generateGroupLinearBandit({ seed: 1, group_counts: [7, 3] });
  assert.deepEqual([count(custom.train.group_index, 0), count(custom.train.group_index, 1)], [7, 3]);
  // Groups are interleaved, not in blocks.
  assert.notDeepEqual(uneven.train.group_index.slice(0, 60), new Array(60).fill(0));
});

test('deterministic labels agree with the group true rewards; actions distinct; states in [0,1]^2', () => {
  const { train, val } = generateGroupLinearBandit({ seed: 3, split: 'uneven' });
  for (const data of [train, val]) {
    data.states.forEach((s, i) => {
      assert.ok(s.every((x) => x >= 0 && x < 1));
      assert.notEqual(data.chosen[i], data.rejected[i]);
      const theta = BANDIT_TRUE_THETAS[data.group_index[i]!]!;
      assert.ok(banditReward(s, data.chosen[i]!, theta) >= banditReward(s, data.rejected[i]!, theta), `pair ${i}`);
    });
  }
  // The two groups disagree on a good share of pairs, which is what makes the problem group-sensitive.
  const disagree = train.states.filter((s, i) => {
    const other = BANDIT_TRUE_THETAS[1 - train.group_index[i]!]!;
    return banditReward(s, train.chosen[i]!, other) < banditReward(s, train.rejected[i]!, other);
  }).length;
  assert.ok(disagree > 30, `only ${disagree} pairs where the groups disagree`);
});

test('Bradley-Terry labels agree with the true ranking at the rate sigmoid(|margin|) predicts', () => {
  const { train } = generateGroupLinearBandit({ seed: 5, group_counts: [1500, 1500], preference: 'bradley_terry', val_pairs_per_group: 1 });
  let agree = 0;
  let expected = 0;
  let variance = 0;
  train.states.forEach((s, i) => {
    const theta = BANDIT_TRUE_THETAS[train.group_index[i]!]!;
    const m = banditReward(s, train.chosen[i]!, theta) - banditReward(s, train.rejected[i]!, theta);
    if (m > 0) agree += 1;
    const p = 1 / (1 + Math.exp(-Math.abs(m)));
    expected += p;
    variance += p * (1 - p);
  });
  assert.ok(agree < train.states.length, 'some labels must be flipped');
  assert.ok(Math.abs(agree - expected) < 4 * Math.sqrt(variance), `agree ${agree} expected ${expected.toFixed(1)}`);
});

test('pairwise frame has the documented columns and values', () => {
  const { train } = generateGroupLinearBandit({ seed: 2, group_counts: [2, 1], val_pairs_per_group: 1 });
  const df = pairsToFrame(train);
  assert.deepEqual(df.columns, ['prompt_id', 'prompt', 'group', 'chosen', 'rejected']);
  assert.deepEqual(df.shape, [3, 5]);
  const rows = df.values as unknown[][];
  rows.forEach((row, i) => {
    assert.equal(row[0], i);
    assert.deepEqual(String(row[1]).split(',').map(Number), train.states[i]);
    assert.equal(row[2], train.group_names[train.group_index[i]!]);
    assert.equal(row[3], train.chosen[i]);
    assert.equal(row[4], train.rejected[i]);
  });
});

test('bad options are named', () => {
  assert.throws(() => generateGroupLinearBandit({ seed: 1, split: 'odd' as never }), /split must be 'even' or 'uneven'/);
  assert.throws(() => generateGroupLinearBandit({ seed: 1, group_counts: [10, 0] }), /group_counts\[1\] must be a positive integer/);
  assert.throws(() => generateGroupLinearBandit({ seed: 1, group_counts: [10] }), /group_counts must have one count per group/);
  assert.throws(() => generateGroupLinearBandit({ seed: 1, preference: 'random' as never }), /preference must be/);
  assert.throws(() => generateGroupLinearBandit({ seed: 1, true_thetas: [[1, 2, 3]] }), /true_thetas\[0\] must be 4 finite numbers/);
});

test('feature maps: swapped reverses and flipped negates the features of every group but the first', async () => {
  await initBackend('cpu');
  const s = [0.3, 0.8];
  const base = banditFeatures(s, 5, 8);
  assert.deepEqual(banditFeatures(s, 5, 8, 'swapped', 0), base);
  assert.deepEqual(banditFeatures(s, 5, 8, 'swapped', 1), [base[3], base[2], base[1], base[0]]);
  assert.deepEqual(banditFeatures(s, 5, 8, 'flipped', 1), base.map((x) => -x));
  assert.deepEqual(banditFeatures(s, 5, 8, 'same', 1), base);
  // r_2 under swapped with theta_2 = (3,1,3,1): 3 f3 + f2 + 3 f1 + f0, i.e. theta_1 . phi.
  close(banditReward(s, 5, BANDIT_TRUE_THETAS[1]!, 8, 'swapped', 1), banditReward(s, 5, BANDIT_TRUE_THETAS[0]!, 8));
  assert.throws(() => banditFeatures(s, 5, 8, 'rotated' as 'same', 1), /feature_map must be one of same, swapped, flipped, got 'rotated'/);
  const states = [
    [0.1, 0.9],
    [0.5, 0.25],
    [0.7, 0.4],
  ];
  const groups = [1, 0, 1];
  for (const map of ['swapped', 'flipped'] as const) {
    const phi = tf.tidy(() => banditFeatureTensor(tf.tensor2d(states), 8, map, groups).arraySync());
    states.forEach((st, i) => {
      for (let a = 0; a < 8; a++) banditFeatures(st, a, 8, map, groups[i]).forEach((v, k) => close(phi[i]![a]![k]!, v, 1e-6));
    });
    assert.throws(() => tf.tidy(() => banditFeatureTensor(tf.tensor2d(states), 8, map)), /feature map '.*' needs the group index of each of the 3 states, got none/);
  }
});

test('swapped data: the same states and action pairs as same, each pair labelled by its group under its own map', () => {
  const same = generateGroupLinearBandit({ seed: 3, split: 'uneven', val_pairs_per_group: 10 });
  const swapped = generateGroupLinearBandit({ seed: 3, split: 'uneven', val_pairs_per_group: 10, feature_map: 'swapped' });
  assert.equal(swapped.feature_map, 'swapped');
  assert.deepEqual(swapped.train.states, same.train.states);
  swapped.train.states.forEach((s, i) => {
    const g = swapped.train.group_index[i]!;
    const r = (a: number) => banditReward(s, a, swapped.true_thetas[g]!, 8, 'swapped', g);
    assert.ok(r(swapped.train.chosen[i]!) >= r(swapped.train.rejected[i]!), `pair ${i}`);
  });
  // Under swapped both groups' rewards equal theta_1 . phi, so no pair's label disagrees with group 1's ranking.
  const disagree = same.train.states.filter((_, i) => same.train.group_index[i] === 1 && same.train.chosen[i] !== swapped.train.chosen[i]).length;
  assert.ok(disagree > 0, 'group 2 labels change from same to swapped');
});
