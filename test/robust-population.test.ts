/**
 * Group-robust populations (src/robust/population.ts): run r of a population equals the same run
 * trained alone with GroupRobustTrainer, bit for bit (records, theta, alpha, checkpoint), on wasm and
 * on cpu; a population of one is the single run; exact resume; no tensor growth; clear errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import type { MetricRecord } from '../src/frames';
import {
  generateGroupLinearBandit,
  GroupRobustPopulation,
  GroupRobustTrainer,
  LogLinearPolicy,
  ROBUST_METHODS,
  trainGroupRobust,
  trainGroupRobustPopulation,
  type GroupRobustCheckpoint,
  type GroupRobustConfig,
  type GroupRobustRun,
  type RobustMethod,
} from '../src/robust';
import { CategoricalMLPPolicy } from '../src/policy/categorical';
import {
  AUTHORS_SCENARIO_METHODS,
  banditLogLinearPolicy,
  banditRewardMetrics,
  runAuthorsScenario,
  runAuthorsScenarioPopulation,
  runBanditGroupRobust,
  runBanditGroupRobustPopulation,
} from '../src/studies/groupRobustBandit';

interface Spec {
  method: RobustMethod;
  seed: number;
  split: 'even' | 'uneven';
  feature_map?: 'same' | 'swapped';
  config: GroupRobustConfig;
  theta?: number[];
}

/**
 * Three SGD runs of the `paper` variant (minibatches of 16) that differ in seed, data, feature map,
 * method (GR-DPO, IPO, GR-IPO: both loss types, alpha moving in two), beta, eta_alpha, learning
 * rate, reference and log_every.
 */
const SGD_SPECS: Spec[] = ([
  { method: 'gr_dpo', seed: 1, split: 'uneven', config: { learning_rate: 0.3, eta_alpha: 0.5, log_every: 4, reference: 'uniform' }, theta: [0.5, 0.1, 0.9, 0.3] },
  { method: 'ipo', seed: 2, split: 'even', feature_map: 'swapped', config: { learning_rate: 0.1, beta: 0.5, log_every: 5, reference: 'initial' }, theta: [0.2, 0.7, 0.1, 0.4] },
  { method: 'gr_ipo', seed: 3, split: 'uneven', feature_map: 'swapped', config: { learning_rate: 0.2, beta: 2, eta_alpha: 1, log_every: 3, reference: 'uniform' } },
] as Spec[]).map((s) => ({ ...s, config: { ...s.config, batch_size: 16, optimizer: 'sgd' as const } }));

/** Three Adam runs of the `authors_code` variant (all 300 pairs a step): GR-DPO, IS-IPO (normalized), DPO. */
const ADAM_SPECS: Spec[] = ([
  { method: 'gr_dpo', seed: 4, split: 'uneven', feature_map: 'swapped', config: { eta_alpha: 0.5, reference: 'uniform', log_every: 5 }, theta: [0.9, 0.1, 0.4, 0.6] },
  { method: 'is_ipo', seed: 5, split: 'uneven', config: { importance_weights: 'normalized', reference: 'initial', log_every: 7 }, theta: [0.3, 0.3, 0.8, 0.1] },
  { method: 'dpo', seed: 6, split: 'even', config: { beta: 0.7, reference: 'uniform', log_every: 5 } },
] as Spec[]).map((s) => ({ ...s, config: { ...s.config, variant: 'authors_code' as const, optimizer: 'adam' as const, learning_rate: 0.05 } }));

function makeRun(spec: Spec): GroupRobustRun {
  const bandit = generateGroupLinearBandit({ seed: spec.seed, split: spec.split, feature_map: spec.feature_map ?? 'same', val_pairs_per_group: 30 });
  return {
    policy: banditLogLinearPolicy(bandit, spec.theta),
    pairs: bandit.train,
    val: bandit.val,
    config: { ...spec.config, ...ROBUST_METHODS[spec.method], seed: spec.seed },
    extraMetrics: banditRewardMetrics(bandit),
  };
}

function alone(run: GroupRobustRun, steps: number): { records: MetricRecord[]; theta: number[]; alpha: number[]; checkpoint: GroupRobustCheckpoint } {
  const trainer = new GroupRobustTrainer(run.policy, run.pairs, run.config, { val: run.val, extraMetrics: run.extraMetrics });
  const records = trainer.train(steps);
  const out = { records, theta: run.policy.thetaValues(), alpha: trainer.alpha, checkpoint: trainer.checkpoint() };
  trainer.dispose();
  run.policy.dispose();
  return out;
}

for (const backend of ['wasm', 'cpu'] as const) {
  for (const [name, specs] of [
    ['SGD, paper variant', SGD_SPECS],
    ['Adam, authors_code variant', ADAM_SPECS],
  ] as const) {
    test(`population (${backend}, ${name}): every run equals the same run trained alone, bit for bit (records, theta, alpha, checkpoint), over 25 steps`, async () => {
      await initBackend(backend);
      const steps = 25;
      const want = specs.map((s) => alone(makeRun(s), steps));
      const runs = specs.map(makeRun);
      const population = new GroupRobustPopulation(runs);
      const records = population.train(steps);
      const checkpoints = population.checkpoint();
      runs.forEach((run, r) => {
        assert.ok(records[r]!.length > steps * 8);
        assert.deepStrictEqual(records[r], want[r]!.records, `run ${r}: records`);
        assert.deepStrictEqual(population.metrics(r), want[r]!.records, `run ${r}: metrics`);
        assert.deepStrictEqual(run.policy.thetaValues(), want[r]!.theta, `run ${r}: theta`);
        assert.deepStrictEqual(population.alpha(r), want[r]!.alpha, `run ${r}: alpha`);
        assert.deepStrictEqual(checkpoints[r], want[r]!.checkpoint, `run ${r}: checkpoint`);
      });
      // The runs differ, and alpha moved in the group-robust runs (the test could fail).
      const alphaOf = (r: number) => population.alpha(r);
      assert.notDeepStrictEqual(alphaOf(0), [0.5, 0.5]);
      if (specs === SGD_SPECS) assert.notDeepStrictEqual(alphaOf(2), [0.5, 0.5]);
      assert.deepStrictEqual(alphaOf(1), [0.5, 0.5]);
      assert.notDeepStrictEqual(runs[0]!.policy.thetaValues(), runs[1]!.policy.thetaValues());
      population.dispose();
      runs.forEach((run) => run.policy.dispose());
    });
  }
}

test('population of one is the single run, bit for bit', async () => {
  await initBackend();
  for (const spec of [SGD_SPECS[2]!, ADAM_SPECS[0]!]) {
    const want = alone(makeRun(spec), 12);
    const run = makeRun(spec);
    const population = new GroupRobustPopulation([run]);
    assert.deepStrictEqual(population.train(12)[0], want.records);
    assert.deepStrictEqual(run.policy.thetaValues(), want.theta);
    assert.deepStrictEqual(population.checkpoint()[0], want.checkpoint);
    population.dispose();
    run.policy.dispose();
  }
});

const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

test('population: checkpoints resume exactly (as a population and each run alone)', async () => {
  await initBackend();
  for (const specs of [SGD_SPECS, ADAM_SPECS]) {
    const straight = specs.map(makeRun);
    const full = new GroupRobustPopulation(straight);
    full.train(6);
    const expected = full.train(7);
    const expectedAlpha = straight.map((_, r) => full.alpha(r));
    full.dispose();

    const first = specs.map(makeRun);
    const part = new GroupRobustPopulation(first);
    part.train(6);
    const saved = json(part.checkpoint());
    part.dispose();
    first.forEach((run) => run.policy.dispose());

    const again = specs.map(makeRun);
    const resumed = GroupRobustPopulation.resume(saved, again);
    assert.equal(resumed.stepCount, 6);
    assert.deepStrictEqual(resumed.train(7), expected);
    again.forEach((run, r) => {
      assert.deepStrictEqual(run.policy.thetaValues(), straight[r]!.policy.thetaValues(), `run ${r}: theta`);
      assert.deepStrictEqual(resumed.alpha(r), expectedAlpha[r], `run ${r}: alpha`);
    });
    resumed.dispose();
    again.forEach((run) => run.policy.dispose());

    // Run 2's checkpoint resumes as a single trainer with the same continuation.
    const single = makeRun(specs[2]!);
    const trainer = GroupRobustTrainer.resume(saved[2]!, single.policy, single.pairs, single.config, { val: single.val, extraMetrics: single.extraMetrics });
    assert.deepStrictEqual(trainer.train(7), expected[2]);
    assert.deepStrictEqual(single.policy.thetaValues(), straight[2]!.policy.thetaValues());
    trainer.dispose();
    single.policy.dispose();
    straight.forEach((run) => run.policy.dispose());

    // Checkpoints at different steps do not make a population.
    const mixed = specs.map(makeRun);
    const fresh = new GroupRobustTrainer(mixed[1]!.policy, mixed[1]!.pairs, mixed[1]!.config);
    const stale = [saved[0]!, json(fresh.checkpoint()), saved[2]!];
    fresh.dispose();
    assert.throws(() => GroupRobustPopulation.resume(stale, mixed), /the runs are at different steps \(6, 0\)/);
    mixed.forEach((run) => run.policy.dispose());
  }
});

test('trainGroupRobustPopulation gives every run what trainGroupRobust gives it', async () => {
  await initBackend();
  const args = SGD_SPECS.map((spec) => {
    const run = makeRun(spec);
    return { policy: run.policy, train: run.pairs, val: run.val, config: { ...run.config, max_steps: 13 }, extra_metrics: run.extraMetrics };
  });
  const want = args.map((a) => {
    const policy = a.policy.clone();
    const out = trainGroupRobust({ ...a, policy });
    policy.dispose();
    return out;
  });
  const got = trainGroupRobustPopulation(args);
  got.forEach((g, r) => {
    assert.deepStrictEqual(g.records, want[r]!.records, `run ${r}: records`);
    assert.deepStrictEqual(g.alpha, want[r]!.alpha);
    assert.deepStrictEqual(g.config, want[r]!.config);
  });
  args.forEach((a) => a.policy.dispose());
  assert.throws(() => trainGroupRobustPopulation(args.map((a, r) => ({ ...a, config: { ...a.config, max_steps: r === 1 ? 5 : 13 } }))), /max_steps is 5 in run 1 but 13 in run 0/);
});

test("the bandit studies' population runners give every cell the records of its own run (group-robust-linear and group-robust-authors cells)", async () => {
  await initBackend();
  const methods = Object.keys(ROBUST_METHODS) as RobustMethod[];
  const cells = [0, 1].flatMap((seed) => methods.map((method) => ({ method, seed })));
  const options = { split: 'uneven' as const, steps: 30, log_every: 10 };
  const got = runBanditGroupRobustPopulation(cells, options);
  cells.forEach((c, i) => assert.deepStrictEqual(got[i], runBanditGroupRobust(c.method, c.seed, options), `${c.method} seed ${c.seed}`));
  const authorsCells = [3, 4].flatMap((seed) => AUTHORS_SCENARIO_METHODS.map((method) => ({ method, seed })));
  const authors = runAuthorsScenarioPopulation(authorsCells, { steps: 20, log_every: 5 });
  authorsCells.forEach((c, i) => assert.deepStrictEqual(authors[i], runAuthorsScenario(c.method, c.seed, { steps: 20, log_every: 5 }), `authors ${c.method} seed ${c.seed}`));
});

test('population: no tensor growth over many steps (with evaluations)', async () => {
  await initBackend();
  const runs = SGD_SPECS.map(makeRun);
  const before = tf.memory().numTensors;
  const population = new GroupRobustPopulation(runs);
  population.train(3, { keepHistory: false });
  const during = tf.memory().numTensors;
  population.train(40, { keepHistory: false });
  population.checkpoint();
  assert.equal(tf.memory().numTensors, during);
  population.dispose();
  assert.equal(tf.memory().numTensors, before);
  runs.forEach((run) => run.policy.dispose());
});

test('population: differing shared keys, batch sizes and unsupported policies are errors naming them; a non-finite margin stops it naming the run', async () => {
  await initBackend();
  const withConfig = (specs: Spec[], r: number, edit: GroupRobustConfig) => specs.map((s, i) => makeRun(i === r ? { ...s, config: { ...s.config, ...edit } } : s));
  const cases: [GroupRobustRun[], RegExp][] = [
    [withConfig(SGD_SPECS, 2, { optimizer: 'adam' }), /GroupRobustConfig\.optimizer is "adam" in run 2 but "sgd" in run 0; the runs of a population may differ only in seed, loss_type, .*learning_rate/],
    [withConfig(ADAM_SPECS, 1, { learning_rate: 0.01 }), /learning_rate is 0\.01 in run 1 but 0\.05 in run 0; with optimizer 'adam' the runs share one learning_rate/],
    [withConfig(SGD_SPECS, 1, { batch_size: 8 }), /run 1 takes batch_size 8 \(variant 'paper'\) a step but run 0 takes batch_size 16 \(variant 'paper'\)/],
    [withConfig(SGD_SPECS, 1, { variant: 'authors_code' }), /run 1 takes all its 300 training pairs \(variant 'authors_code'\) a step but run 0 takes batch_size 16/],
    [withConfig(SGD_SPECS, 0, { pair_log_ratios: false }), /pair_log_ratios is false in run 0; a population computes the log-linear fast path only/],
  ];
  const before = tf.memory().numTensors;
  const policiesBefore = cases.map(([runs]) => runs.map((run) => run.policy.thetaValues()));
  for (const [runs, message] of cases) assert.throws(() => new GroupRobustPopulation(runs), message);
  assert.equal(tf.memory().numTensors, before, 'a rejected population frees what it built');
  cases.forEach(([runs], c) => runs.forEach((run, r) => assert.deepStrictEqual(run.policy.thetaValues(), policiesBefore[c]![r])));
  cases.forEach(([runs]) => runs.forEach((run) => run.policy.dispose()));

  const runs = SGD_SPECS.map(makeRun);
  assert.throws(() => new GroupRobustPopulation([runs[0]!, runs[1]!, { ...runs[2]!, policy: runs[0]!.policy }]), /run 2: the same policy object is also run 0/);
  const mlp = new CategoricalMLPPolicy({ numResponses: 8, groups: ['group_1', 'group_2'], featureDim: 2, hiddenSizes: [4], seed: 1 });
  assert.throws(() => new GroupRobustPopulation([runs[0]!, { ...runs[1]!, policy: mlp as unknown as LogLinearPolicy }]), /run 1: the policy is a CategoricalMLPPolicy; a population trains LogLinearPolicy runs/);
  mlp.dispose();
  assert.throws(() => new GroupRobustPopulation([]), /at least one run/);

  // Run 1's theta makes its margins overflow: the step stops before any update, naming the step and run.
  runs[1]!.policy.setWeights([{ name: 'theta', shape: [4], values: [3e38, -3e38, 3e38, -3e38] }]);
  const population = new GroupRobustPopulation(runs);
  const theta = runs.map((run) => run.policy.thetaValues());
  assert.throws(() => population.trainStep(), /GroupRobustPopulation step 0, run 1 \(seed 2\): group-robust step 0: the (margin|loss) of train pair \d+ \(group 'group_\d'\) is (-?Infinity|NaN)/);
  assert.deepStrictEqual(runs.map((_, r) => population.alpha(r)), runs.map(() => [0.5, 0.5]), 'no run moved its alpha');
  assert.throws(() => population.checkpoint(), /cannot checkpoint: it stopped at an error/);
  runs.forEach((run, r) => assert.deepStrictEqual(run.policy.thetaValues(), theta[r]));
  population.dispose();
  runs.forEach((run) => run.policy.dispose());
});
