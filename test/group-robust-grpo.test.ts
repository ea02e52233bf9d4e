import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../src/backend';
import type { MetricRecord } from '../src/frames';
import { CategoricalMLPPolicy } from '../src/policy';
import { GRPOTrainer, GroupRobustWeights, groupShortfalls, tableTask, type GRPOConfig } from '../src/trainer';
import { pairsFromRewardTable, pairsFromScoredResponses } from '../src/data/rewardPairs';
import { GroupRobustTrainer } from '../src/robust';

before(async () => {
  await initBackend('wasm');
});

const GROUPS = ['maj', 'min'];
const TABLE = { maj: [1, 0, 0, 0.5], min: [0, 0, 1, 0.25] };
const task = () => tableTask({ groups: GROUPS, shares: [0.75, 0.25], rewardTable: TABLE });
const policy = () => new CategoricalMLPPolicy({ numResponses: 4, groups: GROUPS, hiddenSizes: [8], seed: 3 });
const BASE: GRPOConfig = { num_generations: 4, prompts_per_step: 8, learning_rate: 0.05, beta: 0.04, seed: 11 };

const withoutAlpha = (records: MetricRecord[]) => records.filter((r) => r.metric !== 'alpha');

test('eta_alpha = 0 (uniform alpha) is plain GRPO bit for bit: 3 steps of metrics and the weights', () => {
  const p1 = policy();
  const p2 = policy();
  const plain = new GRPOTrainer(p1, task(), BASE);
  const robust = new GRPOTrainer(p2, task(), { ...BASE, group_robust: { eta_alpha: 0 } });
  const a = plain.train(3, { progress: false });
  const b = robust.train(3, { progress: false });
  assert.deepEqual(withoutAlpha(b), a);
  assert.ok(a.length > 30);
  assert.deepEqual(
    b.filter((r) => r.metric === 'alpha').map((r) => r.value),
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
  );
  assert.deepEqual(p2.getWeights(), p1.getWeights());
  assert.equal(plain.groupAlpha, null);
  // A positive eta changes the update (the test above could not pass by ignoring the option).
  const p3 = policy();
  const moved = new GRPOTrainer(p3, task(), { ...BASE, group_robust: { eta_alpha: 2 } });
  moved.train(3, { progress: false });
  assert.notDeepEqual(p3.getWeights(), p1.getWeights());
  for (const t of [plain, robust, moved]) t.dispose();
  for (const p of [p1, p2, p3]) p.dispose();
});

test('shortfalls and weights by hand: best mean minus group mean, absent group 0; advantages times K alpha_g', () => {
  // Group 0 mean (1 + 0.5) / 2 = 0.75, group 1 mean (0 + 0.2) / 2 = 0.1, group 2 absent.
  const rewards = [1, 0.5, 0, 0.2];
  const groupOf = [0, 0, 1, 1];
  const s = groupShortfalls(rewards, groupOf, 3);
  assert.deepEqual(s, [0, 0.75 - 0.1, 0]);
  const w = new GroupRobustWeights({ eta_alpha: 1 }, ['a', 'b', 'c']);
  const out = w.weigh(rewards, groupOf, Float64Array.from([1, -1, 2, -2]));
  const e = Math.exp(0.65);
  const alpha = [1 / (2 + e), e / (2 + e), 1 / (2 + e)];
  w.alpha.forEach((a, g) => assert.ok(Math.abs(a - alpha[g]!) < 1e-15, `alpha[${g}] ${a} vs ${alpha[g]}`));
  const expected = [3 * alpha[0]!, -3 * alpha[0]!, 6 * alpha[1]!, -6 * alpha[1]!];
  out.forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) < 1e-14, `weighted advantage ${i}: ${x} vs ${expected[i]}`));
  assert.throws(() => w.setState([0.5, 0.5]), /group_weights must hold one weight per preference group \(3/);
  assert.throws(() => w.setState([0.5, 0.6, -0.1]), /group_weights\[2\] \(group 'c'\) must be a positive finite number/);
});

test('after one step alpha moves toward the group with the larger shortfall by exactly sigmoid(eta * shortfall)', () => {
  const p = policy();
  const eta = 0.7;
  const trainer = new GRPOTrainer(p, task(), { ...BASE, group_robust: { eta_alpha: eta } });
  const records = trainer.trainStep();
  const mean = (g: string) => records.find((r) => r.group === g && r.metric === 'reward_mean')!.value;
  const [mMaj, mMin] = [mean('maj'), mean('min')];
  assert.notEqual(mMaj, mMin);
  const behind = mMaj < mMin ? 0 : 1;
  const shortfall = Math.abs(mMaj - mMin);
  const expectedBehind = 1 / (1 + Math.exp(-eta * shortfall));
  const alpha = trainer.groupAlpha!;
  assert.ok(Math.abs(alpha[behind]! - expectedBehind) < 1e-15, `alpha ${alpha} vs ${expectedBehind}`);
  assert.ok(alpha[behind]! > 0.5);
  const logged = records.filter((r) => r.metric === 'alpha').map((r) => r.value);
  assert.deepEqual(logged, alpha);
  trainer.dispose();
  p.dispose();
});

test('checkpoint / resume of group-robust GRPO is bit-identical to an uninterrupted run; on/off mismatch is an error', () => {
  const config: GRPOConfig = { ...BASE, group_robust: { eta_alpha: 1.5 }, advantage: { name: 'pgrpo', min_count: 2 } };
  const pFull = policy();
  const full = new GRPOTrainer(pFull, task(), config);
  const all = full.train(5, { progress: false });

  const pA = policy();
  const first = new GRPOTrainer(pA, task(), config);
  first.train(2, { progress: false });
  const saved = JSON.parse(JSON.stringify(first.checkpoint()));
  assert.equal(saved.group_weights.length, 2);
  assert.notDeepEqual(saved.group_weights, [0.5, 0.5]);
  const pB = policy();
  const resumed = GRPOTrainer.resume(saved, pB, task(), config);
  assert.deepEqual(resumed.groupAlpha, first.groupAlpha);
  const rest = resumed.train(3, { progress: false });
  assert.deepEqual(rest, all.filter((r) => r.step >= 2));
  assert.deepEqual(pB.getWeights(), pFull.getWeights());
  assert.deepEqual(resumed.groupAlpha, full.groupAlpha);

  const pC = policy();
  assert.throws(() => GRPOTrainer.resume(saved, pC, task(), { ...config, group_robust: null }), /group_robust is off but the checkpoint was trained with it on/);
  assert.throws(() => GRPOTrainer.resume(saved, pC, task(), { ...config, group_robust: { eta_alpha: 1 } }), /group_robust_eta_alpha is 1 but the checkpoint was trained with 1.5/);
  assert.deepEqual(pC.getWeights(), policy().getWeights());
  for (const t of [full, first, resumed]) t.dispose();
  for (const x of [pFull, pA, pB, pC]) x.dispose();
});

test('group_robust option is validated naming the key', () => {
  const p = policy();
  assert.throws(() => new GRPOTrainer(p, task(), { group_robust: { eta_alpha: -1 } }), /GRPOConfig\.group_robust\.eta_alpha must be a finite number >= 0, got -1/);
  assert.throws(() => new GRPOTrainer(p, task(), { group_robust: { eta: 1 } as never }), /GRPOConfig\.group_robust has unknown key 'eta'/);
  p.dispose();
});

test('pairs from a reward table: hand-counted size, higher reward chosen, ties never pair', () => {
  // maj [1, 0, 0, 0.5]: pairs (0,1) (0,2) (0,3) (3,1) (3,2); (1,2) tie -> 5.
  // min [0, 0, 1, 0.25], in index order: (0,2)->2>0, (0,3)->3>0, (1,2)->2>1, (1,3)->3>1, (2,3)->2>3; (0,1) tie -> 5.
  const pairs = pairsFromRewardTable({ groups: GROUPS, rewardTable: TABLE });
  assert.equal(pairs.chosen.length, 10);
  assert.deepEqual(pairs.group_index, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  assert.deepEqual(pairs.chosen, [0, 0, 0, 3, 3, 2, 3, 2, 3, 2]);
  assert.deepEqual(pairs.rejected, [1, 2, 3, 1, 2, 0, 0, 1, 1, 3]);
  assert.deepEqual(pairs.states, new Array(10).fill([]));
  assert.equal(pairs.num_responses, 4);
  // margin 0.3: maj keeps |diff| > 0.3: (0,1) (0,2) (0,3) (3,1) (3,2) = 5; min: (2,0) (2,1) (2,3) = 3.
  assert.equal(pairsFromRewardTable({ groups: GROUPS, rewardTable: TABLE }, { margin: 0.3 }).chosen.length, 8);
  assert.throws(() => pairsFromRewardTable({ groups: GROUPS, rewardTable: TABLE }, { margin: 1 }), /group 'maj' has no two responses with rewards more than 1 apart/);
  assert.throws(() => pairsFromScoredResponses([{ group: 'a', response: 0, reward: Number.NaN }], 2), /response 0 \(group 'a'\) has reward NaN/);
  // The pairs train the GRPO policy class with the group-robust trainer (same policy, same rewards).
  const p = policy();
  const gr = new GroupRobustTrainer(p, pairs, { weighting: 'robust', learning_rate: 0.05, optimizer: 'adam', batch_size: 10, log_every: 1000 });
  const before = gr.evaluate().filter((r) => r.metric === 'loss');
  gr.train(20);
  const after = gr.evaluate().filter((r) => r.metric === 'loss');
  assert.equal(before.length, after.length);
  for (let i = 0; i < before.length; i++) assert.ok(after[i]!.value < before[i]!.value, `${after[i]!.group}: ${after[i]!.value} < ${before[i]!.value}`);
  gr.dispose();
  p.dispose();
});
