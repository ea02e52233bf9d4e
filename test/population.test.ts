/**
 * Population training (src/trainer/population.ts, src/policy/population.ts): run r of a population
 * equals the same run trained alone, bit for bit; a population of one is the single run; per-run
 * estimator state; exact resume; no tensor growth; clear errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import type { MetricRecord } from '../src/frames';
import { CategoricalMLPPolicy } from '../src/policy';
import { GRPOTrainer, tableTask, type GRPOConfig, type Task } from '../src/trainer';
import { GRPOPopulation, type PopulationRun } from '../src/trainer/population';

const GROUPS = ['majority', 'minority'];

/** A two-group table task; `shift` makes the runs' tasks differ. */
function task(shift: number): Task {
  const K = 6;
  return tableTask({
    groups: GROUPS,
    shares: [0.75, 0.25],
    rewardTable: {
      majority: Array.from({ length: K }, (_, k) => (k === shift % K ? 1 : 0.1 * k)),
      minority: Array.from({ length: K }, (_, k) => (k === (shift + 3) % K ? 1 : 0)),
    },
  });
}

function policy(seed: number, hiddenSizes = [16]): CategoricalMLPPolicy {
  return new CategoricalMLPPolicy({ numResponses: 6, groups: GROUPS, embeddingDim: 4, hiddenSizes, seed });
}

/** Three runs that differ in seed, estimator, task and initial weights; beta > 0 and two iterations exercise reference, ratio and clipping. */
function runSpecs(): { seed: number; config: GRPOConfig; shift: number }[] {
  const shared: GRPOConfig = { prompts_per_step: 4, num_generations: 4, learning_rate: 0.05, beta: 0.04, num_iterations: 2, max_grad_norm: 0.5 };
  return [
    { seed: 1, shift: 0, config: { ...shared, seed: 11, advantage: 'grpo' } },
    { seed: 2, shift: 1, config: { ...shared, seed: 12, advantage: { name: 'pgrpo', min_count: 2 } } },
    { seed: 3, shift: 2, config: { ...shared, seed: 13, advantage: 'dr_grpo' } },
  ];
}

function runs(): PopulationRun[] {
  return runSpecs().map((s) => ({ policy: policy(s.seed), task: task(s.shift), config: s.config }));
}

function weightsOf(p: CategoricalMLPPolicy): number[][] {
  return p.getWeights().map((w) => w.values);
}

function trainAlone(run: PopulationRun, steps: number): { records: MetricRecord[]; trainer: GRPOTrainer } {
  const trainer = new GRPOTrainer(run.policy, run.task, run.config);
  const records = trainer.train(steps, { progress: false });
  return { records, trainer };
}

test('population: every run equals the same run trained alone, bit for bit (records and weights), over 25 steps', async () => {
  await initBackend();
  const steps = 25;
  const alone = runs().map((run) => {
    const { records, trainer } = trainAlone(run, steps);
    const out = { records, weights: weightsOf(run.policy as CategoricalMLPPolicy), checkpoint: trainer.checkpoint() };
    trainer.dispose();
    return out;
  });
  const together = runs();
  const population = new GRPOPopulation(together);
  const records = population.train(steps);
  const checkpoints = population.checkpoint();
  population.dispose();
  together.forEach((run, r) => {
    assert.ok(records[r]!.length > steps * 5);
    assert.deepStrictEqual(records[r], alone[r]!.records, `run ${r}: records`);
    assert.deepStrictEqual(weightsOf(run.policy as CategoricalMLPPolicy), alone[r]!.weights, `run ${r}: weights`);
    // Estimator state (P-GRPO's per-group history), Adam moments, Rng: the whole checkpoint is the single run's.
    assert.deepStrictEqual(checkpoints[r], alone[r]!.checkpoint, `run ${r}: checkpoint`);
  });
  // The runs did differ (the test could fail): different rewards and weights.
  assert.notDeepStrictEqual(records[0], records[1]);
});

test('population of one is the single run, bit for bit', async () => {
  await initBackend();
  const [spec] = runSpecs();
  const a = { policy: policy(spec!.seed), task: task(0), config: spec!.config };
  const b = { policy: policy(spec!.seed), task: task(0), config: spec!.config };
  const { records, trainer } = trainAlone(a, 10);
  trainer.dispose();
  const population = new GRPOPopulation([b]);
  const popRecords = population.train(10);
  population.dispose();
  assert.deepStrictEqual(popRecords[0], records);
  assert.deepStrictEqual(weightsOf(b.policy), weightsOf(a.policy));
});

test('population: a checkpoint resumes exactly (as a population and each run alone)', async () => {
  await initBackend();
  const straight = runs();
  const full = new GRPOPopulation(straight);
  full.train(6);
  const expected = full.train(6);
  full.dispose();

  const first = runs();
  const part = new GRPOPopulation(first);
  part.train(6);
  const saved = JSON.parse(JSON.stringify(part.checkpoint()));
  part.dispose();
  const again = runs();
  const resumed = GRPOPopulation.resume(saved, again);
  assert.equal(resumed.stepCount, 6);
  const got = resumed.train(6);
  resumed.dispose();
  assert.deepStrictEqual(got, expected);
  again.forEach((run, r) => assert.deepStrictEqual(weightsOf(run.policy as CategoricalMLPPolicy), weightsOf(straight[r]!.policy as CategoricalMLPPolicy)));

  // Run 1's checkpoint resumes as a single trainer with the same continuation.
  const alone = runs()[1]!;
  const single = GRPOTrainer.resume(saved[1], alone.policy, alone.task, alone.config);
  assert.deepStrictEqual(single.train(6, { progress: false }), expected[1]);
  single.dispose();
});

test('population: no tensor growth over many steps', async () => {
  await initBackend();
  const population = new GRPOPopulation(runs());
  population.train(3, { keepHistory: false });
  const before = tf.memory().numTensors;
  population.train(40, { keepHistory: false });
  assert.equal(tf.memory().numTensors, before);
  population.dispose();
});

test('population: configurations that differ beyond seed / advantage / group_robust, and unstackable policies, are errors naming them', async () => {
  await initBackend();
  const r = runs();
  r[2]!.config = { ...r[2]!.config, learning_rate: 0.01 };
  assert.throws(() => new GRPOPopulation(r), /GRPOConfig\.learning_rate is 0\.01 in run 2 but 0\.05 in run 0; the runs of a population may differ only in seed, advantage, group_robust/);
  const s = runs();
  s[1]!.policy = policy(2, [8]);
  assert.throws(() => new GRPOPopulation(s), /run 1: its CategoricalMLPPolicy architecture .* differs from run 0's/);
  const t = runs();
  t[2]!.policy = t[0]!.policy;
  assert.throws(() => new GRPOPopulation(t), /run 2: the same policy object is also run 0/);
  assert.throws(() => new GRPOPopulation([]), /at least one run/);
});

test('recovery study as a population: warm starts of different lengths (runs that reached the target sit out) and training equal each run alone, bit for bit', async () => {
  await initBackend();
  const { generateBandit } = await import('../src/data');
  const { runTableRecovery, runTableRecoveryPopulation } = await import('../src/studies/banditRecovery');
  const groups = ['majority', 'minority'];
  const runs = [0, 1, 2].map((seed) => {
    const share = [0.1, 0.3, 0.2][seed]!;
    const { spec } = generateBandit({ name: 'p', groups, shares: [1 - share, share], num_responses: 8, reward_type: 'binary', num_prompts: 20, seed });
    const method = ['grpo', 'pgrpo', 'pgrpo_random_groups'][seed]!;
    return { method, seed, table: { groups, shares: [1 - share, share], rewardTable: spec.rewardTable }, config: { steps: 6, warm_start_prob: 0.9, extra_warm_start_steps: 5 } };
  });
  const alone = runs.map((r) => runTableRecovery(r.method, r.seed, r.table, r.config));
  const together = runTableRecoveryPopulation(runs);
  const warmSteps = alone.map((records) => records.find((x) => x.metric === 'warm_start_steps')!.value);
  assert.ok(new Set(warmSteps).size > 1, `the runs' warm starts should differ in length, got ${warmSteps}`);
  alone.forEach((records, r) => assert.deepStrictEqual(together[r], records, `run ${r}`));
});

test('supervisedWarmStartPopulation: sitting-out runs keep their weights exactly; Adam cannot sit runs out', async () => {
  await initBackend();
  const { supervisedWarmStartPopulation } = await import('../src/policy/warmStart');
  const { stackPolicies } = await import('../src/policy/population');
  const policies = [policy(1), policy(2)];
  const population = stackPolicies(policies);
  const before = weightsOf(policies[1]!);
  const examples = [[{ group: 'majority', response: 2 }], [{ group: 'minority', response: 4 }]];
  supervisedWarmStartPopulation(population, examples, { steps: 3, optimizer: 'normalized-gradient', active: [true, false] });
  population.writeBack();
  assert.deepStrictEqual(weightsOf(policies[1]!), before);
  assert.notDeepStrictEqual(weightsOf(policies[0]!), weightsOf(policy(1)));
  assert.throws(() => supervisedWarmStartPopulation(population, examples, { steps: 1, optimizer: 'adam', active: [true, false] }), /only with optimizer 'normalized-gradient'/);
  population.dispose();
});

test('one-workflow table study as a population: GRPO-family runs (grpo, grpo_batch, pgrpo, gr_grpo) with evaluations every few steps equal their runs alone, bit for bit', async () => {
  await initBackend();
  const { generateBandit } = await import('../src/data');
  const { runOneWorkflowTable, runOneWorkflowTablePopulation } = await import('../src/studies/oneWorkflow');
  const groups = ['a', 'b', 'c'];
  const { spec } = generateBandit({ name: 'w', groups, shares: [0.6, 0.3, 0.1], num_responses: 8, reward_type: 'binary', num_prompts: 20, seed: 3 });
  const table = { groups, shares: [0.6, 0.3, 0.1], rewardTable: spec.rewardTable };
  const s = { steps: 7, eval_every: 3, learning_rate: 0.01, prompts_per_step: 8, num_generations: 4, beta: 0.02, pair_batch: 16, dpo_beta: 0.1, warm_start_prob: 0.9, pair_margin: 0.1, hidden: 16 };
  const runs = [{ method: 'grpo', seed: 0 }, { method: 'grpo_batch', seed: 1 }, { method: 'pgrpo', seed: 2 }, { method: 'gr_grpo', seed: 3 }] as const;
  const alone = runs.map((r) => runOneWorkflowTable(r.method, r.seed, table, s));
  const together = runOneWorkflowTablePopulation(runs, table, s);
  alone.forEach((records, r) => assert.deepStrictEqual(together[r], records, `run ${r}`));
  // Group-robust GRPO's alpha is per run: it is logged by run 3 only.
  assert.ok(together[3]!.some((x) => x.metric.startsWith('group_weight')) || together[3]!.some((x) => x.metric.includes('alpha')));
  assert.ok(!together[0]!.some((x) => x.metric.includes('alpha') || x.metric.startsWith('group_weight')));
  assert.throws(() => runOneWorkflowTablePopulation([{ method: 'dpo', seed: 0 }], table, s), /'dpo' is not a GRPO-family method/);
});

test('population: exact also where a product sums more than 48 terms (64 prompts, hidden 64, 60 responses: the run-by-run products)', async () => {
  await initBackend();
  const groups = ['g0', 'g1', 'g2'];
  const K = 60;
  const make = (seed: number, shift: number) => ({
    policy: new CategoricalMLPPolicy({ numResponses: K, groups, embeddingDim: 8, hiddenSizes: [64], seed }),
    task: tableTask({
      groups,
      shares: [0.5, 0.3, 0.2],
      rewardTable: Object.fromEntries(groups.map((g, i) => [g, Array.from({ length: K }, (_, k) => ((k + 7 * i + shift) % K) / K)])),
    }),
    config: { prompts_per_step: 64, num_generations: 2, learning_rate: 0.02, seed: seed + 100, advantage: seed % 2 ? 'pgrpo' : 'grpo' } as GRPOConfig,
  });
  const alone = [0, 1].map((seed) => {
    const run = make(seed, seed);
    const { records, trainer } = trainAlone(run, 4);
    trainer.dispose();
    return { records, weights: weightsOf(run.policy) };
  });
  const runs = [0, 1].map((seed) => make(seed, seed));
  const population = new GRPOPopulation(runs);
  const records = population.train(4);
  population.dispose();
  runs.forEach((run, r) => {
    assert.deepStrictEqual(records[r], alone[r]!.records, `run ${r}: records`);
    assert.deepStrictEqual(weightsOf(run.policy), alone[r]!.weights, `run ${r}: weights`);
  });
});
