import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameToRecords } from '../src/frames';
import {
  groupSizes,
  minorityGroups,
  rewardLookup,
  rewardStatsByGroup,
  rewardTableFn,
  rowsToTypedFrame,
  SCORED_COLUMNS,
  scoredToPairwise,
  trainerReward,
  type ScoredRow,
} from '../src/data';

function row(prompt_id: string, group: string, response_id: string, reward: number, extra: Record<string, number> = {}): ScoredRow {
  return { prompt_id, prompt: `prompt ${prompt_id}`, group, response_id, response: `text ${response_id}`, reward, ...extra };
}

// Group a: 2 prompts x 3 responses; group b: 1 prompt x 2 responses; group c: 1 prompt x 1 response.
const rows: ScoredRow[] = [
  row('p1', 'a', 'r1', 1), row('p1', 'a', 'r2', 0.4), row('p1', 'a', 'r3', 0),
  row('p2', 'a', 'r1', 0.5), row('p2', 'a', 'r2', 0.5), row('p2', 'a', 'r3', 0.1),
  row('p3', 'b', 'r1', 0), row('p3', 'b', 'r2', 2),
  row('p4', 'c', 'r1', 3),
];
const frame = rowsToTypedFrame(rows, SCORED_COLUMNS);

test('groupSizes: sizes, shares and minorities by rows and by prompts', () => {
  assert.deepEqual(frameToRecords(groupSizes(frame)), [
    { group: 'a', size: 6, share: 6 / 9, is_minority: false },
    { group: 'b', size: 2, share: 2 / 9, is_minority: true },
    { group: 'c', size: 1, share: 1 / 9, is_minority: true },
  ]);
  // By prompts: a 2, b 1, c 1 -> shares 0.5, 0.25, 0.25; ties sorted by name; 0.25 < 1/3.
  assert.deepEqual(frameToRecords(groupSizes(rows, { by: 'prompts' })).map((g) => [g.group, g.size, g.share, g.is_minority]), [
    ['a', 2, 0.5, false], ['b', 1, 0.25, true], ['c', 1, 0.25, true],
  ]);
  assert.deepEqual(minorityGroups(frame), ['c', 'b']);
  assert.deepEqual(minorityGroups(frame, { minority_threshold: 0.2 }), ['c']);
  assert.throws(() => groupSizes(frame, { minority_threshold: 2 }), /minority_threshold must be in \[0, 1\], got 2/);
  // Equal groups: no minority under the 1/P rule.
  assert.deepEqual(minorityGroups([{ group: 'x' }, { group: 'y' }]), []);
});

test('rewardStatsByGroup: count, mean, sample std, min, max per group', () => {
  const stats = frameToRecords<Record<string, number | string>>(rewardStatsByGroup(frame));
  // Group a rewards 1, .4, 0, .5, .5, .1: mean 2.5/6 = 0.41667, squared deviations sum 0.628333, std sqrt(0.628333 / 5).
  const xs = [1, 0.4, 0, 0.5, 0.5, 0.1];
  const mean = 2.5 / 6;
  const ss = xs.reduce((s, x) => s + (x - mean) ** 2, 0);
  assert.equal(stats[0]!.group, 'a');
  assert.equal(stats[0]!.count, 6);
  assert.ok(Math.abs((stats[0]!.mean as number) - mean) < 1e-12);
  assert.ok(Math.abs((stats[0]!.std as number) - Math.sqrt(ss / 5)) < 1e-12);
  assert.ok(Math.abs((stats[0]!.std as number) - 0.3544949459) < 1e-9);
  assert.deepEqual([stats[0]!.min, stats[0]!.max], [0, 1]);
  assert.deepEqual(stats[1], { group: 'b', count: 2, mean: 1, std: Math.SQRT2, min: 0, max: 2 });
  assert.ok(Number.isNaN(stats[2]!.std as number), 'one value: std is NaN (n - 1 = 0)');
});

test('scoredToPairwise: pairs within prompt and group when the gap reaches the margin; ties never pair', () => {
  const pairs = frameToRecords<Record<string, string | number>>(scoredToPairwise(frame, { margin: 0.5 }));
  // Exact expectation: p1: r1>r2 (0.6), r1>r3 (1); p2: none reaches 0.5 (0.4 max); p3: r2>r1 (2).
  assert.deepEqual(pairs.map((p) => `${p.prompt_id}/${p.group}/${p.chosen_id}>${p.rejected_id}`), ['p1/a/r1>r2', 'p1/a/r1>r3', 'p3/b/r2>r1']);
  assert.deepEqual(pairs[0], {
    prompt_id: 'p1', prompt: 'prompt p1', group: 'a', chosen: 'text r1', rejected: 'text r2', weight: 1,
    chosen_id: 'r1', rejected_id: 'r2', chosen_reward: 1, rejected_reward: 0.4, reward_gap: 0.6,
  });
  // Margin 0: strictly better only, so the p2 tie (r1 = r2 = 0.5) gives no pair.
  const all = frameToRecords<Record<string, string>>(scoredToPairwise(rows, { margin: 0 }));
  assert.deepEqual(all.filter((p) => p.prompt_id === 'p2').map((p) => `${p.chosen_id}>${p.rejected_id}`), ['r1>r3', 'r2>r3']);
  assert.equal(all.length, 3 + 2 + 1);
  const carried = frameToRecords(scoredToPairwise([row('p', 'g', 'x', 1, { votes: 10 }), row('p', 'g', 'y', 0, { votes: 4 })], { margin: 1, carry: ['votes'] }));
  assert.deepEqual([carried[0]!.chosen_votes, carried[0]!.rejected_votes], [10, 4]);
  assert.throws(() => scoredToPairwise(rows, { margin: -1 }), /margin must be a finite number >= 0, got -1/);
  assert.throws(() => scoredToPairwise(rows, { margin: 0, carry: ['votes'] }), /carry column 'votes' is not in the scored data/);
  assert.equal(scoredToPairwise([], { margin: 0 }).shape[0], 0);
});

test('rewardLookup and the trainer adapter: exact values, unseen keys and bad indices are errors', () => {
  const lookup = rewardLookup(frame);
  assert.equal(lookup('p1', 'a', 'r2'), 0.4);
  assert.equal(lookup('p3', 'b', 'r2'), 2);
  assert.throws(() => lookup('p3', 'a', 'r2'), /no reward for prompt_id='p3', group='a', response_id='r2'/);
  const reward = trainerReward(lookup, ['r3', 'r1', 'r2']);
  assert.equal(reward(1, { id: 'p1', group: 'a', features: [1, 0] }), 1);
  assert.equal(reward(0, { id: 'p2', group: 'a' }), 0.1);
  assert.throws(() => reward(3, { id: 'p1', group: 'a' }), /response index 3 is outside 0\.\.2/);
  assert.throws(() => reward(2, { id: 'p4', group: 'c' }), /no reward for prompt_id='p4', group='c', response_id='r2'/);
  // Numeric prompt ids are looked up by their decimal text.
  assert.equal(trainerReward(rewardLookup([row('7', 'g', 'r', 0.25)]), ['r'])(0, { id: 7, group: 'g' }), 0.25);
  assert.throws(() => rewardLookup([row('p', 'g', 'r', 1), row('p', 'g', 'r', 2)]), /duplicate key prompt_id='p', group='g', response_id='r'/);
  assert.throws(() => rewardLookup([row('p', 'g', 'r', NaN)]), /not finite/);
});

test('rewardTableFn: reward by group row and response index, whatever the prompt id', () => {
  const fn = rewardTableFn({ responses: ['r0', 'r1', 'r2'], rewardTable: { a: [0, 1, 0.5], b: [1, 0, 0] } });
  assert.equal(fn(1, { id: 'any', group: 'a' }), 1);
  assert.equal(fn(2, { id: 3, group: 'a' }), 0.5);
  assert.equal(fn(0, { id: 'x', group: 'b', features: [0, 1] }), 1);
  // The trainer passes a categorical response as the token list [k] and features as a Float32Array.
  assert.equal(fn([1], { id: 'x', group: 'a', features: new Float32Array([1, 0]) }), 1);
  assert.throws(() => fn([1, 2], { id: 'x', group: 'a' }), /expected a response index k or a one-token response \[k\], got 2 tokens/);
  assert.throws(() => fn(0, { id: 'x', group: 'c' }), /unknown group 'c' \(known: a, b\)/);
  assert.throws(() => fn(-1, { id: 'x', group: 'a' }), /response index -1 is outside 0\.\.2/);
  assert.throws(() => rewardTableFn({ responses: ['r0'], rewardTable: { a: [0, 1] } }), /rewardTable\['a'\] has 2 entries, expected one per response \(1\)/);
});
