import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Rng } from '../src/random';
import {
  createDrGrpoEstimator,
  createEstimator,
  createGrpoEstimator,
  createPgrpoEstimator,
  createRlooEstimator,
  defineEstimator,
  type AdvantageInput,
  type AdvantageResult,
  type EstimatorSpec,
  type PgrpoOptions,
} from '../src/advantages';

/** Expected values below were worked out by hand (and checked to 30 digits with Python's decimal module). */
function batch(rewards: number[], generation: number[], preference: string[]): AdvantageInput {
  return { rewards: Float64Array.from(rewards), generationGroups: Int32Array.from(generation), preferenceGroups: preference };
}

function assertClose(actual: ArrayLike<number>, expected: number[], tol = 1e-12, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `${what}[${i}] = ${actual[i]}, expected ${expected[i]}`);
  }
}

// Two generation groups (prompts 0 and 1) crossed with two preference groups (a, b):
//   prompt 0: rewards 1, 2, 3 -> mean 2, unbiased std 1
//   prompt 1: rewards 0, 4, 8 -> mean 4, unbiased std 4
//   group a: 1, 3, 4 -> mean 8/3, std sqrt(7/3);  group b: 2, 0, 8 -> mean 10/3, std sqrt(52/3)
//   whole batch: mean 3, unbiased std sqrt(40/5) = 2·sqrt(2)
const BASIC = batch([1, 2, 3, 0, 4, 8], [0, 0, 0, 1, 1, 1], ['a', 'b', 'a', 'b', 'a', 'b']);

test('grpo, scale_rewards group (default epsilon 1e-4): (r - group mean) / (unbiased group std + 1e-4)', () => {
  const out = createGrpoEstimator().compute(BASIC);
  const p = 0.9999000099990001; // 1 / 1.0001
  const q = 0.9999750006249844; // 4 / 4.0001
  assertClose(out.advantages, [-p, 0, p, -q, 0, q]);
  assert.deepEqual([...out.baselines], [2, 2, 2, 4, 4, 4]);
  assertClose(out.scales, [1.0001, 1.0001, 1.0001, 4.0001, 4.0001, 4.0001]);
  assert.deepEqual([...out.zeroStdGeneration], [0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...out.fallback], [0, 0, 0, 0, 0, 0]);
});

test('grpo, scale_rewards batch: group mean, batch std (2·sqrt 2); none: no division', () => {
  const batchOut = createGrpoEstimator({ scale_rewards: 'batch', epsilon: 0 }).compute(BASIC);
  const s = 0.3535533905932738; // 1 / (2·sqrt 2)
  assertClose(batchOut.advantages, [-s, 0, s, -4 * s, 0, 4 * s]);
  assertClose(batchOut.scales, Array(6).fill(2.8284271247461903));
  const noneOut = createGrpoEstimator({ scale_rewards: 'none' }).compute(BASIC);
  assert.deepEqual([...noneOut.advantages], [-1, 0, 1, -4, 0, 4]);
  assert.deepEqual([...noneOut.scales], [1, 1, 1, 1, 1, 1]);
});

test('dr_grpo: mean-only advantages with scale 1', () => {
  const est = createDrGrpoEstimator();
  assert.equal(est.name, 'dr_grpo');
  const out = est.compute(BASIC);
  assert.deepEqual([...out.advantages], [-1, 0, 1, -4, 0, 4]);
  assert.deepEqual([...out.baselines], [2, 2, 2, 4, 4, 4]);
  assert.deepEqual([...out.scales], [1, 1, 1, 1, 1, 1]);
});

test('rloo: leave-one-out baselines (sum - r) / (G - 1)', () => {
  const out = createRlooEstimator().compute(BASIC);
  // prompt 0: (6-1)/2, (6-2)/2, (6-3)/2; prompt 1: (12-0)/2, (12-4)/2, (12-8)/2
  assert.deepEqual([...out.baselines], [2.5, 2, 1.5, 6, 4, 2]);
  assert.deepEqual([...out.advantages], [-1.5, 0, 1.5, -6, 0, 6]);
  assert.deepEqual([...out.scales], [1, 1, 1, 1, 1, 1]);
});

test('equal float rewards give exactly zero advantages for every generation-group estimator', () => {
  // A naive mean of three 0.2's is not 0.2, and 0.1 + 0.2 is not 0.3: both must still give exact zeros.
  assert.notEqual((0.2 + 0.2 + 0.2) / 3, 0.2);
  assert.notEqual(0.1 + 0.2, 0.3);
  const input = batch([0.2, 0.2, 0.2, 0.1 + 0.2, 0.3, 0.3, 0, 1, 0.5], [0, 0, 0, 1, 1, 1, 2, 2, 2], Array(9).fill('a'));
  const estimators = [
    createGrpoEstimator(),
    createGrpoEstimator({ scale_rewards: 'batch' }),
    createGrpoEstimator({ scale_rewards: 'none', epsilon: 0 }),
    createDrGrpoEstimator(),
    createRlooEstimator(),
  ];
  for (const est of estimators) {
    const out = est.compute(input);
    for (let i = 0; i < 6; i++) assert.ok(Object.is(out.advantages[i], 0), `${est.name}: advantages[${i}] = ${out.advantages[i]}`);
    assert.deepEqual([...out.zeroStdGeneration], [1, 1, 1, 1, 1, 1, 0, 0, 0], est.name);
    assert.equal(out.baselines[0], 0.2, est.name);
    assert.notEqual(out.advantages[6], 0, est.name);
  }
  // prompt 2 (0, 1, 0.5) under grpo: mean 0.5, std 0.5 -> -0.5/0.5001, 0.5/0.5001, 0
  assertClose(createGrpoEstimator().compute(input).advantages.subarray(6), [-0.9998000399920016, 0.9998000399920016, 0]);
});

test('single-sample generation groups are an error for grpo, dr_grpo and rloo (num_generations >= 2)', () => {
  const input = batch([1, 2, 3], [4, 4, 7], ['a', 'a', 'a']);
  for (const est of [createGrpoEstimator(), createDrGrpoEstimator(), createRlooEstimator()]) {
    assert.throws(() => est.compute(input), /generation group 7 has 1 sample.*num_generations >= 2/);
  }
  // Generation groups need not be contiguous nor equal-sized.
  const scattered = createDrGrpoEstimator().compute(batch([1, 5, 3, 7, 9], [3, 8, 3, 8, 8], Array(5).fill('a')));
  assert.deepEqual([...scattered.advantages], [-1, -2, 1, 0, 2]);
});

test('pgrpo, update before: statistics of each preference group include the batch', () => {
  const est = createPgrpoEstimator({ epsilon: 1e-300 });
  const out = est.compute(BASIC);
  assertClose(out.advantages, [
    -1.091089451179962, -0.3202563076101743, 0.2182178902359924, -0.8006407690254357, 0.8728715609439695, 1.1208970766356099,
  ]);
  assertClose(out.baselines, [8 / 3, 10 / 3, 8 / 3, 10 / 3, 8 / 3, 10 / 3]);
  assert.deepEqual([...out.fallback], [0, 0, 0, 0, 0, 0]);
  const stats = est.stats();
  assert.deepEqual(Object.keys(stats), ['a', 'b']);
  assert.equal(stats.a!.count, 3);
  assertClose([stats.a!.mean, stats.a!.std, stats.a!.m2], [2.6666666666666665, 1.5275252316519468, 14 / 3]);
  assertClose([stats.b!.mean, stats.b!.std, stats.b!.m2], [3.3333333333333335, 4.163331998932265, 104 / 3]);
});

test('pgrpo: update before and after differ as computed by hand', () => {
  const next = batch([2, 6], [0, 0], ['a', 'b']);
  const before = createPgrpoEstimator({ update: 'before', epsilon: 1e-300 });
  before.compute(BASIC);
  // a: 1,3,4,2 -> mean 2.5, std sqrt(5/3);  b: 2,0,8,6 -> mean 4, std sqrt(40/3)
  assertClose(before.compute(next).advantages, [-0.3872983346207417, 0.5477225575051661]);

  const after = createPgrpoEstimator({ update: 'after', epsilon: 1e-300 });
  const first = after.compute(BASIC);
  // No history yet: every sample falls back to the whole batch (mean 3, std 2·sqrt 2).
  assert.deepEqual([...first.fallback], [1, 1, 1, 1, 1, 1]);
  assertClose(first.advantages, [-0.7071067811865476, -0.3535533905932738, 0, -1.0606601717798213, 0.3535533905932738, 1.7677669529663689]);
  // Second batch uses only the first: a mean 8/3 std sqrt(7/3); b mean 10/3 std sqrt(52/3).
  const second = after.compute(next);
  assertClose(second.advantages, [-0.4364357804719848, 0.6405126152203485]);
  assert.deepEqual([...second.fallback], [0, 0]);
  assert.equal(after.stats().a!.count, 4);
});

test('pgrpo: a preference group with equal float rewards keeps an exact mean and zero advantages', () => {
  const est = createPgrpoEstimator();
  for (const rewards of [[0.2, 0.2, 0.2], [0.2, 0.2]]) {
    const out = est.compute(batch(rewards, rewards.map(() => 0), rewards.map(() => 'a')));
    for (const a of out.advantages) assert.ok(Object.is(a, 0), `advantage ${a}`);
  }
  assert.equal(est.stats().a!.mean, 0.2);
  assert.equal(est.stats().a!.m2, 0);
});

test('pgrpo warm-up: groups with fewer than min_count rewards use the whole batch and are flagged', () => {
  const est = createPgrpoEstimator({ min_count: 3, epsilon: 1e-300 });
  // a: 1,2,3,4 (4 >= 3) -> mean 2.5, std sqrt(5/3). b: 5,9 (2 < 3) -> batch mean 4, std sqrt(40/5)
  const out = est.compute(batch([1, 2, 3, 4, 5, 9], [0, 0, 0, 1, 1, 1], ['a', 'a', 'a', 'a', 'b', 'b']));
  assertClose(out.advantages, [-1.161895003862225, -0.3872983346207417, 0.3872983346207417, 1.161895003862225, 0.3535533905932738, 1.7677669529663689]);
  assert.deepEqual([...out.fallback], [0, 0, 0, 0, 1, 1]);
  assertClose(out.baselines, [2.5, 2.5, 2.5, 2.5, 4, 4]);
  // Two more rewards for b: history 5, 9, 7, 10 -> mean 7.75, m2 14.75, std sqrt(14.75/3);
  // single-sample generation groups are allowed (and flagged as zero-spread).
  const out2 = est.compute(batch([7, 10], [0, 1], ['b', 'b']));
  assertClose(out2.advantages, [-0.338240712601273, 1.014722137803819]);
  assert.deepEqual([...out2.fallback], [0, 0]);
  assert.deepEqual([...out2.zeroStdGeneration], [1, 1]);
});

test('pgrpo running statistics equal a two-pass mean and std over every reward seen (random batches)', () => {
  const rng = new Rng(2024);
  const names = ['a', 'b', 'c'];
  for (const update of ['before', 'after'] as const) {
    const est = createPgrpoEstimator({ update });
    const seen: Record<string, number[]> = { a: [], b: [], c: [] };
    for (let step = 0; step < 8; step++) {
      const n = 1 + rng.int(60);
      const rewards: number[] = [];
      const prefs: string[] = [];
      for (let i = 0; i < n; i++) {
        const g = rng.int(3);
        const r = 3 * g + (g + 1) * rng.normal();
        rewards.push(r);
        prefs.push(names[g]!);
        seen[names[g]!]!.push(r);
      }
      est.compute(batch(rewards, Array.from({ length: n }, (_, i) => i), prefs));
      const stats = est.stats();
      for (const name of names) {
        const xs = seen[name]!;
        if (xs.length === 0) continue;
        const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
        const ss = xs.reduce((s, x) => s + (x - mean) ** 2, 0);
        const std = xs.length > 1 ? Math.sqrt(ss / (xs.length - 1)) : 0;
        assert.equal(stats[name]!.count, xs.length);
        assertClose([stats[name]!.mean, stats[name]!.std], [mean, std], 1e-12, `${update} step ${step} group ${name}`);
        assert.ok(Math.abs(stats[name]!.m2 - ss) <= 1e-12 * Math.max(1, ss));
      }
    }
  }
});

test('pgrpo decay: weights halve each batch; weighted mean and reliability-weighted std', () => {
  const est = createPgrpoEstimator({ decay: 0.5, epsilon: 1e-300 });
  est.compute(batch([0, 2, 5, 7], [0, 0, 1, 1], ['a', 'a', 'b', 'b']));
  // Batch 2 holds only a = 4. Weights of a: 0.5, 0.5, 1 on 0, 2, 4 -> W = 2, W2 = 1.5,
  // mean = (0 + 1 + 4) / 2 = 2.5, m2 = 0.5·6.25 + 0.5·0.25 + 1·2.25 = 5.5, var = 5.5 / (2 - 1.5/2) = 4.4.
  const out = est.compute(batch([4], [0], ['a']));
  assertClose(out.advantages, [0.7150969419341942]);
  const { a, b } = est.stats();
  assertClose([a!.count, a!.weight, a!.mean, a!.m2, a!.std], [3, 2, 2.5, 5.5, 2.0976176963403033]);
  // b was absent: its weights halved (W = 1, m2 = 1) but mean 6 and std sqrt(2) are unchanged.
  assertClose([b!.count, b!.weight, b!.mean, b!.m2, b!.std], [2, 1, 6, 1, 1.4142135623730951]);
});

test('pgrpo window: only the last N rewards of a group count', () => {
  const est = createPgrpoEstimator({ window: 3, epsilon: 1e-300 });
  est.compute(batch([1, 2], [0, 0], ['a', 'a']));
  // Window keeps 2, 3, 10 -> mean 5, m2 9 + 4 + 25 = 38, std sqrt(19)
  const out = est.compute(batch([3, 10], [0, 0], ['a', 'a']));
  assertClose(out.advantages, [-0.4588314677411235, 1.1470786693528088]);
  const { a } = est.stats();
  assertClose([a!.count, a!.mean, a!.m2, a!.std], [3, 5, 38, 4.358898943540674]);
});

test('pgrpo getState/setState through JSON continues bit for bit (full, decay, window)', () => {
  const configs: PgrpoOptions[] = [{}, { decay: 0.8, update: 'after' }, { window: 5, min_count: 3 }, { groups: ['a', 'b', 'c'] }];
  for (const options of configs) {
    const rng = new Rng(11);
    const makeBatch = () => {
      const n = 4 + rng.int(8);
      const rewards = Array.from({ length: n }, () => rng.normal());
      return batch(rewards, Array.from({ length: n }, (_, i) => i >> 1), Array.from({ length: n }, () => (rng.uniform() < 0.7 ? 'a' : 'b')));
    };
    const original = createPgrpoEstimator(options);
    for (let k = 0; k < 3; k++) original.compute(makeBatch());
    const restored = createPgrpoEstimator(options);
    restored.setState(JSON.parse(JSON.stringify(original.getState())));
    assert.deepEqual(restored.stats(), original.stats());
    for (let k = 0; k < 3; k++) {
      const input = makeBatch();
      const expected: AdvantageResult = original.compute(input);
      assert.deepEqual(restored.compute(input), expected, JSON.stringify(options));
    }
    assert.deepEqual(restored.getState(), original.getState());
  }
  assert.throws(() => createPgrpoEstimator({ decay: 0.9 }).setState(createPgrpoEstimator().getState()), /state has decay null but this estimator has decay 0.9/);
  assert.throws(() => createPgrpoEstimator().setState({ estimator: 'grpo', version: 1 }), /expects a pgrpo version 1 state/);
  const bad = { estimator: 'pgrpo', version: 1, decay: null, window: null, groups: [{ group: 'a', count: 2, weight: 2, weight_sq: 2, mean: 'x', m2: 0 }] };
  assert.throws(() => createPgrpoEstimator().setState(bad), /state.groups\[0\].mean must be a finite number/);
});

test('pgrpo declared groups: listed before being seen, unknown group is an error naming it', () => {
  const est = createPgrpoEstimator({ groups: ['a', 'b'] });
  assert.deepEqual(est.stats(), { a: { count: 0, weight: 0, mean: 0, std: 0, m2: 0 }, b: { count: 0, weight: 0, mean: 0, std: 0, m2: 0 } });
  assert.throws(() => est.compute(batch([1, 2, 3], [0, 0, 0], ['a', 'b', 'c'])), /preferenceGroups\[2\] is 'c', not one of the declared groups \[a, b\]/);
  assert.equal(est.stats().a!.count, 0, 'a rejected batch must not touch the statistics');
});

test('bad input is a clear error naming the parameter', () => {
  const est = createGrpoEstimator();
  const ok = batch([1, 2, 3, 4], [0, 0, 1, 1], ['a', 'a', 'a', 'a']);
  assert.throws(() => est.compute({ ...ok, generationGroups: new Int32Array(3) }), /grpo: generationGroups has length 3 but rewards has length 4/);
  assert.throws(() => est.compute({ ...ok, preferenceGroups: ['a'] }), /preferenceGroups has length 1 but rewards has length 4/);
  assert.throws(() => est.compute({ ...ok, rewards: Float64Array.from([1, NaN, 3, 4]) }), /rewards\[1\] is NaN; rewards must be finite/);
  assert.throws(() => est.compute({ ...ok, rewards: Float64Array.from([1, 2, -Infinity, 4]) }), /rewards\[2\] is -Infinity/);
  assert.throws(() => est.compute(batch([], [], [])), /rewards is empty/);
  assert.throws(() => est.compute({ ...ok, preferenceGroups: ['a', '', 'a', 'a'] }), /preferenceGroups\[1\] is ""; it must be a non-empty string/);
  assert.throws(() => createPgrpoEstimator().compute({ ...ok, rewards: Float64Array.from([1, 2, 3, Infinity]) }), /pgrpo: rewards\[3\] is Infinity/);
});

test('bad options are errors naming the option', () => {
  assert.throws(() => createGrpoEstimator({ scale_reward: 'group' } as never), /grpo: unknown option 'scale_reward'/);
  assert.throws(() => createGrpoEstimator({ scale_rewards: 'prompt' as never }), /scale_rewards must be one of group, batch, none/);
  assert.throws(() => createGrpoEstimator({ epsilon: -1 }), /epsilon must be a finite number >= 0/);
  assert.throws(() => createPgrpoEstimator({ decay: 0.9, window: 10 }), /decay and window are mutually exclusive/);
  assert.throws(() => createPgrpoEstimator({ decay: 0 }), /decay must be in \(0, 1\]/);
  assert.throws(() => createPgrpoEstimator({ min_count: 1 }), /min_count must be an integer >= 2/);
  assert.throws(() => createPgrpoEstimator({ window: 2, min_count: 3 }), /window must be an integer >= min_count \(3\)/);
  assert.throws(() => createPgrpoEstimator({ epsilon: 0 }), /epsilon must be a finite number > 0/);
  assert.throws(() => createPgrpoEstimator({ update: 'during' as never }), /update must be 'before' or 'after'/);
  assert.throws(() => createPgrpoEstimator({ groups: ['a', 'a'] }), /groups\[1\] 'a' is listed twice/);
});

test('createEstimator: names, configs with options, and ready estimators', () => {
  for (const name of ['grpo', 'dr_grpo', 'rloo', 'pgrpo'] as const) assert.equal(createEstimator(name).name, name);
  const batchScaled = createEstimator({ name: 'grpo', scale_rewards: 'batch', epsilon: 0 });
  assertClose(batchScaled.compute(BASIC).advantages.subarray(0, 1), [-0.3535533905932738]);
  const windowed = createEstimator({ name: 'pgrpo', window: 4 });
  assert.equal(windowed.getState() !== null && (windowed.getState() as { window: number }).window, 4);
  const custom = defineEstimator('const', (input) => new Float64Array(input.rewards.length).fill(0.5));
  assert.equal(createEstimator(custom), custom);
  assert.throws(() => createEstimator('ppo' as never), /unknown estimator 'ppo' \(known: grpo, dr_grpo, rloo, pgrpo, pgrpo_random_groups\)/);
  assert.throws(() => createEstimator({ name: 'rloo', epsilon: 1 } as never), /rloo: unknown option 'epsilon'/);
  assert.throws(() => createEstimator({ name: 'x', compute: () => null } as never), /missing: getState, setState/);
});

test('defineEstimator: validated input, derived baselines and flags, checked output', () => {
  const median = defineEstimator('minus_one', (input) => input.rewards.map((r) => r - 1));
  const out = median.compute(batch([1, 1, 3, 5], [0, 0, 1, 1], ['a', 'a', 'b', 'b']));
  assert.deepEqual([...out.advantages], [0, 0, 2, 4]);
  assert.deepEqual([...out.baselines], [1, 1, 1, 1]);
  assert.deepEqual([...out.scales], [1, 1, 1, 1]);
  assert.deepEqual([...out.zeroStdGeneration], [1, 1, 0, 0]);
  assert.throws(() => median.compute(batch([1, NaN], [0, 0], ['a', 'a'])), /minus_one: rewards\[1\] is NaN/);
  const short = defineEstimator('short', () => new Float64Array(1));
  assert.throws(() => short.compute(batch([1, 2, 3], [0, 0, 0], ['a', 'a', 'a'])), /short: returned advantages has length 1 but rewards has length 3/);
  const nan = defineEstimator('nan', (input) => new Float64Array(input.rewards.length).fill(NaN));
  assert.throws(() => nan.compute(batch([1, 2], [0, 0], ['a', 'a'])), /nan: returned advantages\[0\] is NaN/);
  assert.throws(() => median.setState({}), /stateless; setState expects null/);
});

test('generation ids: small dense ids and large or negative ids give the same advantages', () => {
  const rewards = Float64Array.from([1, 0, 0.5, 0.5, 1, 0.25]);
  const prefs = ['a', 'a', 'b', 'b', 'a', 'b'];
  const small = Int32Array.from([5, 5, 2, 2, 5, 2]); // prompt indices, out of order
  const large = Int32Array.from([5e8, 5e8, -3, -3, 5e8, -3]); // large and negative ids
  for (const spec of ['grpo', 'rloo', 'dr_grpo'] as const) {
    const a = createEstimator(spec).compute({ rewards, generationGroups: small, preferenceGroups: prefs });
    const b = createEstimator(spec).compute({ rewards, generationGroups: large, preferenceGroups: prefs });
    assert.deepEqual(Array.from(a.advantages), Array.from(b.advantages), spec);
  }
  // Hand-computed GRPO (n-1 std): group {1, 0, 1} mean 2/3, std sqrt(1/3); group {0.5, 0.5, 0.25} mean 5/12, std sqrt(1/48).
  const g = createEstimator('grpo').compute({ rewards, generationGroups: small, preferenceGroups: prefs });
  assert.ok(Math.abs(g.advantages[0]! - (1 / 3) / (Math.sqrt(1 / 3) + 1e-4)) < 1e-12);
  assert.ok(Math.abs(g.advantages[5]! - (-1 / 6) / (Math.sqrt(1 / 48) + 1e-4)) < 1e-12);
});

/**
 * One batch in two layouts with the same samples and the same order within each generation group:
 * `contiguous` lists each prompt's samples together under ids 0, 1, 2, ...; `scattered` deals the
 * prompts' samples out round-robin under large and negative ids. (Earlier versions had a fast path
 * for the first layout; the results must not depend on the layout.)
 * `order[j]` is the contiguous index of scattered sample j.
 */
function twoLayouts(rng: Rng, groupSizes: number[], reward: (prompt: number, k: number) => number) {
  const rewards: number[] = [];
  const prompts: number[] = [];
  const labels: string[] = [];
  const names = ['majority', 'minority', 'third'];
  const start: number[] = [];
  groupSizes.forEach((size, p) => {
    start.push(rewards.length);
    for (let k = 0; k < size; k++) {
      rewards.push(reward(p, k));
      prompts.push(p);
      labels.push(names[(p + (rng.uniform() < 0.2 ? 1 : 0)) % names.length]!);
    }
  });
  const order: number[] = [];
  for (let k = 0; order.length < rewards.length; k++) {
    groupSizes.forEach((size, p) => {
      if (k < size) order.push(start[p]! + k);
    });
  }
  const scatteredId = (p: number) => (p % 2 === 0 ? 2_000_000_000 - p : -1_000_000 - p);
  const contiguous = batch(rewards, prompts, labels);
  const scattered: AdvantageInput = {
    rewards: Float64Array.from(order, (i) => rewards[i]!),
    generationGroups: Int32Array.from(order, (i) => scatteredId(prompts[i]!)),
    // Equal labels as distinct string objects: grouping is by value, not by identity.
    preferenceGroups: order.map((i) => [...labels[i]!].join('')),
  };
  return { contiguous, scattered, order };
}

const RESULT_KEYS = ['advantages', 'baselines', 'scales', 'zeroStdGeneration', 'fallback'] as const;

function assertSameResults(a: AdvantageResult, b: AdvantageResult, order: number[], what: string, keys: readonly (keyof AdvantageResult)[] = RESULT_KEYS): void {
  for (const key of keys) {
    for (let j = 0; j < order.length; j++) {
      const x = a[key][order[j]!]!;
      const y = b[key][j]!;
      assert.ok(Object.is(x, y), `${what}: ${key} of sample ${order[j]} is ${x} in the contiguous layout, ${y} scattered`);
    }
  }
}

test('contiguous prompt ids and scattered ids give bit-identical results', () => {
  const rng = new Rng(7);
  // Random group sizes (1 only for pgrpo, which allows it), every fifth prompt with equal rewards,
  // one with 0.1 + 0.2 next to 0.3 (equal to a few ulps), rewards on very different scales.
  for (const minSize of [1, 2]) {
    const sizes = Array.from({ length: 40 }, () => minSize + rng.int(7));
    const reward = (p: number, k: number) =>
      p % 5 === 0 ? 0.2 : p === 3 ? [0.1 + 0.2, 0.3][k % 2]! : (p % 3 === 0 ? 1e6 : 1) * rng.normal();
    const { contiguous, scattered, order } = twoLayouts(rng, sizes, reward);
    const custom = defineEstimator('half', (input) => input.rewards.map((r) => r / 2));
    const perPrompt = minSize === 1 ? [custom] : [createGrpoEstimator(), createDrGrpoEstimator(), createRlooEstimator(), custom];
    for (const est of perPrompt) {
      const a = est.compute(contiguous);
      assertSameResults(a, est.compute(scattered), order, est.name);
      assert.equal(a.zeroStdGeneration[0], 1, est.name);
      if (est !== custom) for (let i = 0; i < sizes[0]!; i++) assert.ok(Object.is(a.advantages[i], 0), `${est.name}: exact zero`);
    }
    // Batch-wide and per-preference-group statistics follow the sample order, which the scattered
    // layout changes; the generation-group flags do not. With the order kept and the ids decreasing
    // (no longer increasing), every output is identical.
    const decreasing = { ...contiguous, generationGroups: contiguous.generationGroups.map((p) => 2_000_000_000 - p) };
    const specs: EstimatorSpec[] = minSize === 1 ? ['pgrpo'] : ['pgrpo', { name: 'grpo', scale_rewards: 'batch' }];
    for (const spec of specs) {
      const a = createEstimator(spec).compute(contiguous);
      assertSameResults(a, createEstimator(spec).compute(scattered), order, JSON.stringify(spec), ['zeroStdGeneration', 'fallback']);
      assert.deepEqual(createEstimator(spec).compute(decreasing), a, JSON.stringify(spec));
    }
  }
});

test('generation ids: dense ids used in place, offset ids and a prompt seen twice give the same advantages', () => {
  const rewards = [1, 2, 4, 0.5, 0.5, 3, 7];
  const prefs = Array(7).fill('a');
  const dense = createGrpoEstimator().compute(batch(rewards, [0, 0, 0, 1, 1, 2, 2], prefs));
  const offset = createGrpoEstimator().compute(batch(rewards, [10, 10, 10, 11, 11, 12, 12], prefs));
  assert.deepEqual(offset, dense);
  // Prompt 0 again at the end: no longer contiguous.
  const again = createGrpoEstimator().compute(batch([1, 2, 0.5, 0.5, 3, 7, 4], [0, 0, 1, 1, 2, 2, 0], prefs));
  assert.deepEqual([...again.advantages], [0, 1, 3, 4, 5, 6, 2].map((i) => dense.advantages[i]));
  assert.deepEqual([...again.zeroStdGeneration], [0, 0, 1, 1, 0, 0, 0]);
  // The generation-group flags of pgrpo and custom estimators: a constant prompt split in two runs is
  // flagged only if the whole prompt is constant.
  const split = batch([0.5, 0.5, 1, 2, 0.5, 9], [0, 0, 1, 1, 0, 2], prefs.slice(0, 6));
  assert.deepEqual([...createPgrpoEstimator().compute(split).zeroStdGeneration], [1, 1, 0, 0, 1, 1]);
  const split2 = batch([0.5, 0.5, 1, 2, 0.7], [0, 0, 1, 1, 0], prefs.slice(0, 5));
  assert.deepEqual([...createPgrpoEstimator().compute(split2).zeroStdGeneration], [0, 0, 0, 0, 0]);
});

test('single-sample generation groups and bad rewards: same errors whatever the layout', () => {
  for (const ids of [[0, 0, 1], [5e8, 5e8, -3], [2, 2, 0]]) {
    for (const est of [createGrpoEstimator(), createDrGrpoEstimator(), createRlooEstimator()]) {
      assert.throws(() => est.compute(batch([1, 2, 3], ids, ['a', 'a', 'a'])), new RegExp(`generation group ${ids[2]} has 1 sample`));
    }
  }
  const cases: Array<[number[], number, string]> = [
    [[NaN, 1, 2, 3], 0, 'NaN'],
    [[1, 2, Infinity, 3], 2, 'Infinity'],
    [[1, 2, 3, -Infinity], 3, '-Infinity'],
  ];
  for (const [values, index, shown] of cases) {
    for (const ids of [[0, 0, 1, 1], [0, 1, 0, 1], [7, 7, -7, -7], [0, 0, 1, 2]]) {
      for (const spec of ['grpo', 'dr_grpo', 'rloo', 'pgrpo'] as const) {
        const input = batch(values, ids, ['a', 'b', 'a', 'b']);
        assert.throws(() => createEstimator(spec).compute(input), new RegExp(`^Error: ${spec}: rewards\\[${index}\\] is ${shown}; rewards must be finite$`));
        // The reward error comes first, as in validateInput, even with a bad label too.
        assert.throws(() => createEstimator(spec).compute({ ...input, preferenceGroups: ['a', 'b', '', 'b'] }), /rewards must be finite/);
      }
    }
  }
  // A bad label comes before a single-sample group; a leading missing label is caught too.
  for (const spec of ['grpo', 'rloo', 'pgrpo'] as const) {
    assert.throws(() => createEstimator(spec).compute(batch([1, 2, 3], [0, 0, 1], ['a', 'a', 7 as never])), /preferenceGroups\[2\] is 7; it must be a non-empty string/);
    assert.throws(() => createEstimator(spec).compute(batch([1, 2, 3], [0, 0, 0], [undefined as never, 'a', 'a'])), /preferenceGroups\[0\] is undefined/);
  }
});

// ---------------------------------------------------------------------------------------------
// Regression: the reference estimators reproduce the outputs of the earlier fast implementation
// (commit 803f93c) bit for bit, so committed figures and tables regenerate identically.

test('outputs on 220 randomised batches equal those recorded at 803f93c bit for bit (sha256 of the JSON)', () => {
  const lcg = (seed: number) => {
    let s = seed >>> 0;
    return () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  };
  const specs: EstimatorSpec[] = [
    'grpo', 'dr_grpo', 'rloo', 'pgrpo', { name: 'grpo', scale_rewards: 'batch' }, { name: 'grpo', scale_rewards: 'none', epsilon: 0 },
    { name: 'grpo', epsilon: 0 }, { name: 'pgrpo', update: 'after' }, { name: 'pgrpo', decay: 0.9 }, { name: 'pgrpo', window: 7, min_count: 3 },
    { name: 'pgrpo', min_count: 40, epsilon: 1e-3 },
  ];
  // Layouts: 0 prompts in order, 1 shuffled ids from 1000, 2 samples scattered over prompts (sizes vary,
  // single-sample groups), 3 negative and non-contiguous ids. Rewards: constant (zero spread), ties on a
  // 0.5 grid, 0.1 + 0.2 versus 0.3 (equal to a few ulps), and continuous over six orders of magnitude.
  function batch(r: () => number, layout: number, n: number, G: number) {
    const rewards = new Float64Array(n);
    const gen = new Int32Array(n);
    const prefs: string[] = [];
    const P = Math.ceil(n / G);
    const perm = Array.from({ length: P }, (_, i) => i);
    if (layout === 1) perm.forEach((_, i) => { const j = Math.floor(r() * (i + 1)); [perm[i], perm[j]] = [perm[j]!, perm[i]!]; });
    const prefOf = Array.from({ length: P }, () => ['a', 'b', 'c'][Math.floor(r() * r() * 3)]!);
    for (let i = 0; i < n; i++) {
      let p = Math.floor(i / G);
      if (p >= P) p = P - 1;
      if (layout === 2) p = Math.floor(r() * P);
      gen[i] = layout === 3 ? perm[p]! * 7 - 50 : layout === 1 ? perm[p]! * 3 + 1000 : p;
      prefs.push(prefOf[p]!);
      const kind = p % 4;
      rewards[i] = kind === 0 ? 0.3 : kind === 1 ? Math.round(r() * 2) / 2 : kind === 2 ? (r() < 0.5 ? 0.1 + 0.2 : 0.3) : (r() - 0.4) * 10 ** Math.floor(r() * 6 - 2);
    }
    return { rewards, generationGroups: gen, preferenceGroups: prefs };
  }
  const out: unknown[] = [];
  for (const spec of specs) {
    for (let seed = 0; seed < 4; seed++) {
      const r = lcg(seed * 100 + 7);
      const estimator = createEstimator(spec);
      for (let step = 0; step < 5; step++) {
        const b = batch(r, (seed + step) % 4, [24, 128, 1024, 37][step % 4]!, [2, 4, 8, 3][(seed + step) % 4]!);
        let res: unknown;
        try {
          res = Object.fromEntries(Object.entries(estimator.compute(b)).map(([k, v]) => [k, Array.from(v as ArrayLike<number>)]));
        } catch (e) {
          res = { error: (e as Error).message };
        }
        out.push({ spec, seed, step, res, state: estimator.getState() });
      }
    }
  }
  const errors = out.filter((o) => 'error' in ((o as { res: object }).res)).length;
  assert.equal(errors, 36, 'single-sample generation groups refused by grpo/dr_grpo/rloo');
  assert.equal(createHash('sha256').update(JSON.stringify(out)).digest('hex'), RECORDED_SHA256);
});

const RECORDED_SHA256 = 'b20588a3e934c3f47a08798f4cb613544acbf9307840ddcdbec08f4628c32c8d';
