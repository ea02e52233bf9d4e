/**
 * A newcomer's path through the estimator registry: define an advantage rule in a few lines,
 * register it under a name, train the GRPO trainer with it by name, checkpoint and resume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../src/backend';
import { createEstimator, defineEstimator, estimatorInfo, estimatorNames, registerEstimator } from '../src/advantages';
import type { MetricRecord } from '../src/frames';
import { CategoricalMLPPolicy } from '../src/policy';
import { runBanditRecovery } from '../src/studies/banditRecovery';
import { GRPOTrainer, tableTask, type GRPOConfig, type GRPOCheckpoint } from '../src/trainer';

// The whole extension: a stateless rule "reward minus a fixed shift", with one documented option.
registerEstimator('shifted', ({ shift }) => defineEstimator('shifted', (input) => input.rewards.map((r) => r - (shift as number))), {
  description: 'Reward minus a fixed shift (no baseline learned).',
  options: { shift: { description: 'Subtracted from every reward.', default: 0.5 } },
});

const GROUPS = ['maj', 'min'];
const task = () => tableTask({ groups: GROUPS, shares: [0.7, 0.3], rewardTable: { maj: [1, 0, 0.25], min: [0, 1, 0.25] } });
const policy = (seed = 1) => new CategoricalMLPPolicy({ numResponses: 3, groups: GROUPS, embeddingDim: 4, hiddenSizes: [8], seed });
const CONFIG: GRPOConfig = { num_generations: 4, prompts_per_step: 5, learning_rate: 0.05, beta: 0.04, seed: 11, advantage: { name: 'shifted', shift: 0.25 } };

function value(records: MetricRecord[], step: number, group: string, metric: string): number {
  const found = records.find((r) => r.step === step && r.group === group && r.metric === metric);
  assert.ok(found, `no ${metric} for ${group} at step ${step}`);
  return found.value;
}

test('registry: the custom estimator is listed, documented, built by name with its default, and names are unique', () => {
  assert.deepEqual(estimatorNames(), ['grpo', 'dr_grpo', 'rloo', 'pgrpo', 'pgrpo_random_groups', 'shifted']);
  assert.equal(estimatorInfo('shifted').options?.shift?.default, 0.5);
  const batch = { rewards: new Float64Array([1, 0, 0.25]), generationGroups: new Int32Array([0, 0, 0]), preferenceGroups: ['maj', 'maj', 'maj'] };
  assert.deepEqual(Array.from(createEstimator('shifted').compute(batch).advantages), [0.5, -0.5, -0.25]);
  assert.deepEqual(Array.from(createEstimator({ name: 'shifted', shift: 1 }).compute(batch).advantages), [0, -1, -0.75]);
  assert.throws(() => createEstimator({ name: 'shifted', shfit: 1 }), /shifted: unknown option 'shfit' \(known options: shift\)/);
  assert.throws(() => registerEstimator('shifted', () => createEstimator('grpo'), { description: 'x' }), /'shifted' is already registered; pass \{ replace: true \}/);
  assert.throws(() => registerEstimator('grpo', () => createEstimator('rloo'), { description: 'x' }), /'grpo' is already registered/);
  // An unknown name (as in a worker process that never ran the registering cell) says where to register it.
  assert.throws(() => createEstimator('mine'), /unknown estimator 'mine' \(known: .*shifted\)\. .*register it in a module the workers import, or run the experiment in-process/);
});

test('the trainer uses the registered estimator by name: advantage_mean = reward_mean - 0.25 in every group and step', async () => {
  await initBackend('cpu');
  const p = policy();
  const trainer = new GRPOTrainer(p, task(), CONFIG);
  const records = trainer.train(3);
  assert.deepEqual(trainer.estimatorSpec, { name: 'shifted', options: { shift: 0.25 } });
  for (let step = 0; step < 3; step++) {
    for (const group of [...GROUPS, 'all']) {
      const reward = value(records, step, group, 'reward_mean');
      assert.ok(Math.abs(value(records, step, group, 'advantage_mean') - (reward - 0.25)) < 1e-12, `step ${step} ${group}`);
      assert.ok(Math.abs(value(records, step, group, 'advantage_std') - value(records, step, group, 'reward_std')) < 1e-12);
    }
  }
  // GRPO centres each prompt's rewards, so its batch-wide advantage mean is 0: the custom rule really was used.
  assert.ok(Math.abs(value(records, 0, 'all', 'advantage_mean')) > 0.01);
  trainer.dispose();
  p.dispose();
});

test('checkpoint + resume with the custom estimator continues bit for bit; other options are refused by name', async () => {
  await initBackend('cpu');
  const straight = policy();
  const uninterrupted = new GRPOTrainer(straight, task(), CONFIG).train(6);

  const first = policy();
  const trainer = new GRPOTrainer(first, task(), CONFIG);
  trainer.train(3);
  const saved = JSON.parse(JSON.stringify(trainer.checkpoint())) as GRPOCheckpoint;
  assert.deepEqual(saved.estimator_options, { shift: 0.25 });
  assert.equal(saved.config.advantage, 'shifted');

  const fresh = policy(99);
  const resumed = GRPOTrainer.resume(saved, fresh, task(), CONFIG);
  assert.deepEqual(resumed.train(3), uninterrupted.filter((r) => r.step >= 3));
  assert.deepEqual(fresh.getWeights(), straight.getWeights());

  assert.throws(
    () => GRPOTrainer.resume(saved, policy(), task(), { ...CONFIG, advantage: { name: 'shifted', shift: 0.3 } }),
    /^Error: GRPOConfig\.advantage \(shifted\) option 'shift' is 0\.3 but the checkpoint was trained with 0\.25$/,
  );
  assert.throws(
    () => GRPOTrainer.resume(saved, policy(), task(), { ...CONFIG, advantage: 'shifted' }),
    /option 'shift' is 0\.5 but the checkpoint was trained with 0\.25/,
  );
  const { estimator_options: _dropped, ...old } = saved;
  assert.throws(() => GRPOTrainer.resume(old as never, policy(), task(), CONFIG), /checkpoint\.estimator_options is missing/);
});

test('built-in options are recorded after defaults: resuming P-GRPO with another min_count names it', async () => {
  await initBackend('cpu');
  const config: GRPOConfig = { ...CONFIG, advantage: { name: 'pgrpo', decay: 0.9 } };
  const p = policy();
  const trainer = new GRPOTrainer(p, task(), config);
  trainer.train(2);
  const saved = JSON.parse(JSON.stringify(trainer.checkpoint())) as GRPOCheckpoint;
  assert.deepEqual(saved.estimator_options, { update: 'before', min_count: 2, decay: 0.9, epsilon: 1e-4 });
  assert.throws(
    () => GRPOTrainer.resume(saved, policy(), task(), { ...config, advantage: { name: 'pgrpo', decay: 0.9, min_count: 3 } }),
    /option 'min_count' is 3 but the checkpoint was trained with 2/,
  );
  assert.throws(() => GRPOTrainer.resume(saved, policy(), task(), { ...config, advantage: 'pgrpo' }), /option 'decay' is unset but the checkpoint was trained with 0\.9/);
  assert.ok(GRPOTrainer.resume(saved, policy(), task(), { ...config, advantage: { name: 'pgrpo', decay: 0.9, min_count: 2 } }));
});

test('a study selects the registered estimator by name, as an experiment cell does', async () => {
  await initBackend('cpu');
  const config = { minority_share: 0.2, steps: 2, prompts_per_step: 4, num_generations: 4, warm_start_prob: 0.5 };
  const records = runBanditRecovery('shifted', 0, config);
  for (const step of [0, 1]) {
    const reward = value(records, step, 'all', 'reward_mean');
    assert.ok(Math.abs(value(records, step, 'all', 'advantage_mean') - (reward - 0.5)) < 1e-12, `step ${step}`); // the default shift
  }
  assert.throws(() => runBanditRecovery('mine', 0, config), /unknown estimator 'mine'.*register it in a module the workers import/);
});
