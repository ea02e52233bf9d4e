import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../src/backend';
import {
  GROUP_LINEAR_BANDIT,
  GroupRobustTrainer,
  LogLinearPolicy,
  ROBUST_METHODS,
  banditFeatureTensor,
  banditFeatures,
  banditReward,
  banditRewardError,
  banditRewardErrors,
  preferredActions,
  uniformTheta,
  closedFormGrIpo,
  ipoGroupLosses,
  weightedIpoSolve,
  generateGroupLinearBandit,
  importanceGroupWeights,
  pairWeights,
  trainGroupRobust,
  type GroupRobustConfig,
  type PairwiseGroupData,
  type RobustMethod,
} from '../src/robust';
import { AUTHORS_SCENARIO_METHODS, banditLogLinearPolicy, banditRewardMetrics, runAuthorsScenario } from '../src/studies/groupRobustBandit';
import { CategoricalMLPPolicy } from '../src/policy/categorical';
import { GRULanguagePolicy } from '../src/lm/gruPolicy';
import { WordVocabulary } from '../src/lm/vocabulary';
import { SGD } from '../src/trainer/sgd';
import type { MetricRecord } from '../src/frames';
import { Rng } from '../src/random';
import { loadCheckpoint, saveCheckpoint } from '../src/checkpoint';

const BANDIT_FEATURE_DIM = GROUP_LINEAR_BANDIT.feature_dim;

before(async () => {
  await initBackend('cpu');
});

const A = 8;
const logLinear = (theta: number[]) =>
  new LogLinearPolicy({ features: (s) => banditFeatureTensor(s, A), num_responses: A, feature_dim: BANDIT_FEATURE_DIM, state_dim: 2, theta_init: theta });

interface ReferenceRun {
  name: string;
  method: RobustMethod;
  config: Record<string, number | string>;
  theta_init: number[];
  records: MetricRecord[];
  alpha: number[];
  theta: number[];
}

const key = (r: MetricRecord) => `${r.step}|${r.group}|${r.metric}`;

test('log-linear path reproduces the numbers of the implementation before GroupRobustTrainer (fixture recorded at 20f2bd6)', () => {
  const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'group-robust-reference.json'), 'utf8')) as { runs: ReferenceRun[] };
  const bandit = generateGroupLinearBandit({ seed: 5, split: 'uneven', val_pairs_per_group: 40 });
  assert.equal(fixture.runs.length, 9);
  for (const run of fixture.runs) {
    for (const fast of [true, false]) {
      const policy = logLinear(run.theta_init);
      const out = trainGroupRobust({
        policy,
        train: bandit.train,
        val: bandit.val,
        config: { ...ROBUST_METHODS[run.method], ...(run.config as GroupRobustConfig), reference: 'uniform', pair_log_ratios: fast },
        extra_metrics: (p) => banditRewardError(p, bandit.val.states, bandit.true_thetas, A).map((value, g) => ({ group: bandit.train.group_names[g]!, metric: 'reward_error', value })),
      });
      const now = new Map(out.records.map((r) => [key(r), r.value]));
      // Every record of the old run is there with its value: bit for bit on the fast path (the
      // old one), within float32 rounding through Policy.evaluate (the readable path).
      const tol = fast ? 0 : 2e-5;
      for (const r of run.records) {
        const v = now.get(key(r));
        assert.ok(v !== undefined, `${run.name}: missing ${key(r)}`);
        assert.ok(Math.abs(v - r.value) <= tol * Math.max(1, Math.abs(r.value)), `${run.name} (fast ${fast}) ${key(r)}: ${v} vs ${r.value}`);
      }
      policy.thetaValues().forEach((t, k) => assert.ok(Math.abs(t - run.theta[k]!) <= tol, `${run.name} theta[${k}]: ${t} vs ${run.theta[k]}`));
      out.alpha.forEach((a, g) => assert.ok(Math.abs(a - run.alpha[g]!) <= (fast ? 0 : 1e-6), `${run.name} alpha[${g}]`));
      policy.dispose();
    }
  }
});

test('unknown configuration keys are errors naming the key; trainGroupRobust({ config: { lr } }) no longer trains at the default', () => {
  const policy = logLinear([0, 0, 0, 0]);
  const { train } = generateGroupLinearBandit({ seed: 1, val_pairs_per_group: 5 });
  const before = tf.memory().numTensors;
  assert.throws(() => trainGroupRobust({ policy, train, config: { lr: 1e-6 } as GroupRobustConfig }), /GroupRobustConfig has unknown key 'lr' \(known keys: loss_type, weighting/);
  assert.throws(() => new GroupRobustTrainer(policy, train, { learning_rate: 0.1, etaAlpha: 1 } as GroupRobustConfig), /unknown key 'etaAlpha'/);
  assert.throws(() => new GroupRobustTrainer(policy, train, { optimizer: 'rmsprop' as 'sgd' }), /GroupRobustConfig.optimizer must be one of 'sgd', 'adam', got "rmsprop"/);
  assert.throws(() => new GroupRobustTrainer(policy, train, { importance_weights: 'x' as 'balanced' }), /importance_weights must be one of 'balanced', 'normalized'/);
  assert.throws(() => new GroupRobustTrainer(policy, train, { learning_rate: NaN }), /learning_rate must be a finite positive number, got NaN/);
  assert.equal(tf.memory().numTensors, before);
  policy.dispose();
});

test('kit SGD equals tf.train.sgd bit for bit', () => {
  const values = [0.3, -1.7, 2.25, 1e-3];
  const grads = [[0.11, -0.7, 3.3, -2e-4], [1.9, 0.01, -0.6, 5]];
  const a = tf.variable(tf.tensor1d(values));
  const b = tf.variable(tf.tensor1d(values));
  const kit = new SGD([a], { learning_rate: 0.37 });
  const ref = tf.train.sgd(0.37);
  for (const g of grads) {
    const t = tf.tensor1d(g);
    kit.apply([t]);
    ref.applyGradients([{ name: b.name, tensor: t }]);
    t.dispose();
  }
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  assert.equal(kit.step, 2);
  assert.throws(() => new SGD([a], { learning_rate: 0 }), /SGD: learning_rate must be a finite number > 0, got 0/);
  ref.dispose();
  tf.dispose([a, b]);
});

test('importance weights: both conventions, hand-computed on a 60/240 split, ratio 3.125', () => {
  const balanced = importanceGroupWeights('balanced', [60, 240]);
  const normalized = importanceGroupWeights('normalized', [60, 240]);
  // balanced: N / (K N_g) = 300 / 120, 300 / 480; normalized: (1/N_g) / (1/60 + 1/240) = 0.8, 0.2.
  assert.deepEqual(balanced, [2.5, 0.625]);
  assert.ok(Math.abs(normalized[0]! - 0.8) < 1e-15 && Math.abs(normalized[1]! - 0.2) < 1e-15);
  assert.ok(Math.abs(balanced[0]! / normalized[0]! - 3.125) < 1e-12 && Math.abs(balanced[1]! / normalized[1]! - 3.125) < 1e-12);
  assert.deepEqual(Array.from(pairWeights('importance', 'paper', [0.5, 0.5], [0, 1, 1], [60, 240], 'normalized')), [Math.fround(0.8), Math.fround(0.2), Math.fround(0.2)]);
  // One full-batch IS-DPO SGD step: the balanced step is 3.125 times the normalized one (from theta = 0).
  const bandit = generateGroupLinearBandit({ seed: 2, split: 'uneven', val_pairs_per_group: 5 });
  const step = (importance_weights: 'balanced' | 'normalized') => {
    const policy = logLinear([0, 0, 0, 0]);
    trainGroupRobust({ policy, train: bandit.train, config: { ...ROBUST_METHODS.is_dpo, variant: 'authors_code', importance_weights, max_steps: 1, learning_rate: 0.5 } });
    const theta = policy.thetaValues();
    policy.dispose();
    return theta;
  };
  const b = step('balanced');
  const n = step('normalized');
  b.forEach((x, k) => assert.ok(Math.abs(x / n[k]! - 3.125) < 1e-5, `component ${k}: ${x} / ${n[k]}`));
});

/** Records equal as plain numbers (JSON round trip, as a checkpoint file would). */
const json = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

test('resume is bit-identical to an uninterrupted run (GR-DPO paper variant with Adam, GR-IPO full batch with SGD, MLP policy)', () => {
  const bandit = generateGroupLinearBandit({ seed: 7, split: 'uneven', val_pairs_per_group: 20 });
  const cases: { config: GroupRobustConfig; make: () => LogLinearPolicy | CategoricalMLPPolicy }[] = [
    { config: { ...ROBUST_METHODS.gr_dpo, optimizer: 'adam', learning_rate: 0.05, seed: 3, log_every: 4, batch_size: 16 }, make: () => logLinear([0.2, 0.1, 0, 0.3]) },
    { config: { ...ROBUST_METHODS.gr_ipo, variant: 'authors_code', learning_rate: 0.2, eta_alpha: 0.5, log_every: 5 }, make: () => logLinear([0, 0, 0, 0]) },
    {
      config: { ...ROBUST_METHODS.gr_dpo, optimizer: 'adam', learning_rate: 0.01, seed: 1, log_every: 3 },
      make: () => new CategoricalMLPPolicy({ numResponses: A, groups: ['group_1', 'group_2'], featureDim: 2, hiddenSizes: [8], seed: 4 }),
    },
  ];
  for (const { config, make } of cases) {
    const straight = make();
    const full = new GroupRobustTrainer(straight, bandit.train, config, { val: bandit.val });
    full.train(12);
    const wantTail = full.metrics().filter((r) => r.step >= 7);
    const wantWeights = straight.getWeights();
    const wantAlpha = full.alpha;
    full.dispose();

    const first = make();
    const head = new GroupRobustTrainer(first, bandit.train, config, { val: bandit.val });
    head.train(7);
    const saved = json(head.checkpoint());
    head.dispose();
    first.dispose();

    // Through a file, as a user would: saveCheckpoint validates the group-robust format, loadCheckpoint reads it back.
    const file = join(mkdtempSync(join(tmpdir(), 'gr-ckpt-')), 'run.json');
    saveCheckpoint(file, saved);
    const fresh = make();
    const resumed = GroupRobustTrainer.resume(loadCheckpoint(file) as unknown as typeof saved, fresh, bandit.train, config, { val: bandit.val });
    assert.equal(resumed.stepCount, 7);
    resumed.train(5);
    assert.deepEqual(resumed.metrics(), wantTail);
    assert.deepEqual(fresh.getWeights(), wantWeights);
    assert.deepEqual(resumed.alpha, wantAlpha);
    resumed.dispose();
    fresh.dispose();
    straight.dispose();
  }
});

test('a bad checkpoint is rejected before anything is restored, naming the field', () => {
  const bandit = generateGroupLinearBandit({ seed: 7, split: 'uneven', val_pairs_per_group: 5 });
  const config: GroupRobustConfig = { ...ROBUST_METHODS.gr_dpo, optimizer: 'adam', learning_rate: 0.05 };
  const policy = logLinear([0.5, 0.5, 0.5, 0.5]);
  const trainer = new GroupRobustTrainer(policy, bandit.train, config);
  trainer.train(3);
  const good = json(trainer.checkpoint());
  trainer.dispose();
  const target = logLinear([1, 2, 3, 4]);
  const before = tf.memory().numTensors;
  const bad = (edit: (c: Record<string, any>) => void) => {
    const c = json(good) as Record<string, any>;
    edit(c);
    return c as typeof good;
  };
  const cases: [ReturnType<typeof bad>, RegExp][] = [
    [bad((c) => (c.policy[0].values[2] = null)), /checkpoint\.policy: weight 0 \('theta'\) values\[2\] is null: JSON writes NaN/],
    [bad((c) => (c.optimizer.state.v[0][1] = 'x')), /checkpoint\.optimizer\.state\.v.*\[1\] must be a finite number, got a string \("x"\)/],
    [bad((c) => delete c.rng), /checkpoint\.rng is missing/],
    [bad((c) => (c.alpha = [0.5, 0.6])), /checkpoint\.alpha must sum to 1, got a sum of 1\.1/],
    [bad((c) => (c.alpha = [1])), /checkpoint\.alpha has 1 weights, expected one per group \(2\)/],
    [bad((c) => (c.step = -1)), /checkpoint\.step must be/],
    [bad((c) => (c.config.learning_rate = 0.5)), /GroupRobustConfig.learning_rate is 0.05 but the checkpoint was trained with 0.5/],
    [bad((c) => (c.reference[0].shape = [5])), /checkpoint\.reference: weight 0 \('theta'\) has shape \[5\], expected \[4\]/],
    [bad((c) => (c.format = 'other')), /checkpoint\.format must be 'hpa-kit\/group-robust-checkpoint'/],
  ];
  for (const [checkpoint, message] of cases) {
    assert.throws(() => GroupRobustTrainer.resume(checkpoint, target, bandit.train, config), message);
    assert.deepEqual(target.thetaValues(), [1, 2, 3, 4], 'the policy must be untouched');
  }
  assert.equal(tf.memory().numTensors, before, 'rejected checkpoints must not leak tensors');
  target.dispose();
  policy.dispose();
});

test('per-step records: alpha, batch loss and accuracy per group, worst group; metricsFrame in long form', () => {
  const bandit = generateGroupLinearBandit({ seed: 3, split: 'uneven', val_pairs_per_group: 10 });
  const policy = logLinear([...[1, 3, 1, 3]]);
  const trainer = new GroupRobustTrainer(policy, bandit.train, { ...ROBUST_METHODS.gr_dpo, variant: 'authors_code', reference: 'uniform', log_every: 2 }, { val: bandit.val });
  const seen: number[] = [];
  trainer.train(3, { onStep: (_records, step) => seen.push(step) });
  assert.deepEqual(seen, [0, 1, 2]);
  const records = trainer.metrics();
  const at = (step: number, group: string, metric: string) => records.filter((r) => r.step === step && r.group === group && r.metric === metric).map((r) => r.value);
  for (const step of [0, 1, 2]) {
    for (const g of ['group_1', 'group_2']) {
      assert.equal(at(step, g, 'alpha').length, 1, `alpha at ${step}`);
      assert.equal(at(step, g, 'batch_pairs')[0], g === 'group_1' ? 60 : 240); // full batch
      const acc = at(step, g, 'batch_accuracy')[0]!;
      assert.ok(acc >= 0 && acc <= 1);
    }
    const losses = ['group_1', 'group_2'].map((g) => at(step, g, 'batch_loss')[0]!);
    assert.equal(at(step, 'all', 'worst_group_batch_loss')[0], Math.max(...losses));
    assert.equal(at(step, 'all', 'worst_group')[0], losses[0]! > losses[1]! ? 0 : 1);
  }
  // theta_1 fits group_1: group_2 is the worst group at step 0 and its alpha rises.
  assert.equal(at(0, 'all', 'worst_group')[0], 1);
  assert.equal(at(0, 'group_2', 'alpha')[0], 0.5);
  assert.ok(at(2, 'group_2', 'alpha')[0]! > 0.5);
  // Full-batch losses at step 0 equal the evaluation on all training pairs.
  assert.ok(Math.abs(at(0, 'group_2', 'batch_loss')[0]! - at(0, 'group_2', 'train_loss')[0]!) < 1e-9);
  assert.equal(at(1, 'group_2', 'train_loss').length, 0, 'evaluation every log_every = 2 steps');
  assert.equal(at(2, 'group_2', 'val_loss').length, 1);
  const frame = trainer.metricsFrame();
  assert.deepEqual(frame.columns, ['step', 'group', 'metric', 'value']);
  assert.equal(frame.shape[0], records.length);
  trainer.dispose();
  policy.dispose();
});

test('GR-DPO trains the categorical MLP policy: the worst group train loss falls', () => {
  const bandit = generateGroupLinearBandit({ seed: 11, split: 'uneven', val_pairs_per_group: 10 });
  const policy = new CategoricalMLPPolicy({ numResponses: A, groups: ['group_1', 'group_2'], featureDim: 2, hiddenSizes: [16], seed: 2 });
  const trainer = new GroupRobustTrainer(policy, bandit.train, { ...ROBUST_METHODS.gr_dpo, optimizer: 'adam', learning_rate: 0.02, log_every: 40 });
  trainer.train(41);
  const worst = trainer.metrics().filter((r) => r.metric === 'worst_group_train_loss').map((r) => r.value);
  assert.equal(worst.length, 2);
  assert.ok(Math.abs(worst[0]! - Math.log(2)) < 1e-6, `initial-reference DPO loss is log 2, got ${worst[0]}`);
  assert.ok(worst[1]! < worst[0]! - 0.1, `worst-group loss ${worst[0]} -> ${worst[1]}`);
  trainer.dispose();
  policy.dispose();
});

test('GR-DPO trains the GRU language policy on token sequences: the loss falls on a toy task', () => {
  const vocabulary = WordVocabulary.fromTexts(['good fine nice bad awful poor']);
  const enc = (text: string) => vocabulary.encode(text); // ends with EOS
  // Group 'likes' prefers kind words, group 'dislikes' (the minority) the unkind ones; lengths differ.
  const kind = ['good fine', 'nice', 'fine good nice'];
  const unkind = ['bad', 'awful poor', 'poor bad awful'];
  const pairs: PairwiseGroupData<number[]> = { states: [], chosen: [], rejected: [], group_index: [], group_names: ['likes', 'dislikes'], num_responses: vocabulary.size };
  for (let i = 0; i < 12; i++) {
    const g = i % 4 === 3 ? 1 : 0;
    const [w, l] = g === 0 ? [kind[i % 3]!, unkind[(i + 1) % 3]!] : [unkind[i % 3]!, kind[(i + 2) % 3]!];
    pairs.states.push([]);
    pairs.chosen.push(enc(w));
    pairs.rejected.push(enc(l));
    pairs.group_index.push(g);
  }
  const policy = new GRULanguagePolicy({ vocabulary, groups: ['likes', 'dislikes'], embeddingDim: 4, groupEmbeddingDim: 3, hiddenSize: 8, maxLength: 5, seed: 1 });
  const before = tf.memory().numTensors;
  const trainer = new GroupRobustTrainer(policy, pairs, { ...ROBUST_METHODS.gr_dpo, variant: 'authors_code', optimizer: 'adam', learning_rate: 0.05, eta_alpha: 0.5, log_every: 30 });
  trainer.train(31);
  const at = (metric: string, group: string) => trainer.metrics().filter((r) => r.metric === metric && r.group === group).map((r) => r.value);
  const worst = at('worst_group_train_loss', 'all');
  assert.ok(Math.abs(worst[0]! - Math.log(2)) < 1e-6, `initial-reference DPO loss is log 2, got ${worst[0]}`);
  assert.ok(worst[1]! < 0.5, `worst-group loss ${worst[0]} -> ${worst[1]}`);
  assert.deepEqual(at('train_accuracy', 'dislikes').slice(-1), [1]);
  assert.ok(at('alpha', 'dislikes').length === 31);
  trainer.dispose();
  assert.equal(tf.memory().numTensors, before, 'the trainer frees its reference and pairs');
  // Sequences longer than the policy's maxLength are an error naming the set.
  assert.throws(
    () => new GroupRobustTrainer(policy, { ...pairs, chosen: pairs.chosen.map((c, i) => (i === 0 ? [...c, ...c, ...c] : c)) }),
    /train: a response has \d+ tokens, more than the policy's maxLength \(5\)/,
  );
  policy.dispose();
});

/** Gaussian elimination with partial pivoting (the test's own solver, independent of the library's Cholesky). */
function gaussSolve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r]![col]!) > Math.abs(M[pivot]![col]!)) pivot = r;
    [M[col], M[pivot]] = [M[pivot]!, M[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = M[r]![col]! / M[col]![col]!;
      for (let k = col; k <= n; k++) M[r]![k]! -= f * M[col]![k]!;
    }
  }
  const z = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * z[k]!;
    z[r] = s / M[r]![r]!;
  }
  return z;
}

test('closed-form GR-IPO (Algorithm 2) matches a direct weighted least-squares solve built by hand', () => {
  // A one-dimensional case by hand: x = (1, 2) in group 0, (3) in group 1, beta = 0.5 (c = 1).
  // alpha = (0.5, 0.5) gives w = (0.25, 0.25, 0.5): delta = c sum w x / sum w x^2 = (0.25 + 0.5 + 1.5) / (0.25 + 1 + 4.5).
  assert.ok(Math.abs(weightedIpoSolve([[1], [2], [3]], [0, 0, 1], [0.5, 0.5], 0.5)[0]! - 2.25 / 5.75) < 1e-15);

  const bandit = generateGroupLinearBandit({ seed: 4, split: 'uneven', val_pairs_per_group: 5, feature_map: 'swapped' });
  const train = bandit.train;
  const features = (s: readonly number[], a: number, g: number) => banditFeatures(s, a, A, 'swapped', g);
  const beta = 0.8;
  const etaAlpha = 0.5;
  const thetaInit = [0.3, 0.2, 0.5, 0.1];
  const out = closedFormGrIpo(train, features, { beta, eta_alpha: etaAlpha, iterations: 1, theta_init: thetaInit });
  // By hand: the group losses at theta_init, the alpha step, then the normal equations of the weighted squares.
  const x = train.states.map((s, i) => {
    const w = features(s, train.chosen[i]!, train.group_index[i]!);
    const l = features(s, train.rejected[i]!, train.group_index[i]!);
    return w.map((v, k) => v - l[k]!);
  });
  const c = 1 / (2 * beta);
  const N = [60, 240];
  const loss0 = [0, 1].map((g) => x.reduce((s, xi, i) => (train.group_index[i] === g ? s + (xi.reduce((h, v, k) => h + v * thetaInit[k]!, 0) - c) ** 2 : s), 0) / N[g]!);
  const e = loss0.map((l) => 0.5 * Math.exp(etaAlpha * l));
  const alpha = e.map((v) => v / (e[0]! + e[1]!));
  out.alpha.forEach((a, g) => assert.ok(Math.abs(a - alpha[g]!) < 1e-12, `alpha[${g}] ${a} vs ${alpha[g]}`));
  const XtWX = [0, 1, 2, 3].map((j) => [0, 1, 2, 3].map((k) => x.reduce((s, xi, i) => s + (alpha[train.group_index[i]!]! / N[train.group_index[i]!]!) * xi[j]! * xi[k]!, 0)));
  const XtWc = [0, 1, 2, 3].map((j) => x.reduce((s, xi, i) => s + (alpha[train.group_index[i]!]! / N[train.group_index[i]!]!) * c * xi[j]!, 0));
  const want = gaussSolve(XtWX, XtWc);
  out.theta.forEach((t, k) => assert.ok(Math.abs(t - want[k]!) < 1e-9 * Math.max(1, Math.abs(want[k]!)), `theta[${k}] ${t} vs ${want[k]}`));
  // Optimality: the gradient of sum_g alpha_g L_g vanishes at the solution.
  const grad = [0, 1, 2, 3].map((j) => x.reduce((s, xi, i) => s + (alpha[train.group_index[i]!]! / N[train.group_index[i]!]!) * 2 * (xi.reduce((h, v, k) => h + v * out.theta[k]!, 0) - c) * xi[j]!, 0));
  grad.forEach((gj) => assert.ok(Math.abs(gj) < 1e-10, `gradient ${gj}`));

  // More iterations: alpha moves towards the worse group and the worst-group loss does not exceed the unweighted (IPO) solution's.
  const many = closedFormGrIpo(train, features, { beta, eta_alpha: etaAlpha, iterations: 200, log_every: 50 });
  assert.deepEqual([...new Set(many.records.map((r) => r.step))], [0, 50, 100, 150, 200]);
  const ipo = weightedIpoSolve(x, train.group_index, [60 / 300, 240 / 300], beta); // w_i = 1/N: plain IPO
  const worstIpo = Math.max(...ipoGroupLosses(x, train.group_index, 2, ipo, beta));
  const worstGr = many.records.filter((r) => r.metric === 'worst_group_train_loss' && r.step === 200)[0]!.value;
  assert.ok(worstGr < worstIpo, `GR-IPO worst-group loss ${worstGr} vs IPO ${worstIpo}`);
  assert.throws(() => weightedIpoSolve([[1, 2], [2, 4]], [0, 1], [0.5, 0.5], 1), /normal equations are singular .* pass a ridge > 0/);
});

test('initial theta from U(0, param_limit): seeded, in range, and the draw of the kit Rng', () => {
  const theta = uniformTheta(4, { param_limit: 2.5, seed: 9 });
  const rng = new Rng(9);
  theta.forEach((t) => assert.equal(t, rng.uniform() * 2.5));
  assert.ok(theta.every((t) => t >= 0 && t < 2.5));
  assert.notDeepEqual(theta, uniformTheta(4, { param_limit: 2.5, seed: 10 }));
  const policy = new LogLinearPolicy({ features: (s) => banditFeatureTensor(s, A), num_responses: A, feature_dim: 4, state_dim: 2, theta_init: { param_limit: 2.5, seed: 9 } });
  assert.deepEqual(policy.thetaValues(), theta.map(Math.fround));
  policy.dispose();
  assert.throws(() => uniformTheta(4, { param_limit: 0, seed: 1 }), /param_limit must be a finite number > 0, got 0/);
});

test('relative reward error: the absolute error over the mean optimal reward, by hand; swapped policies are asked as each group', () => {
  const bandit = generateGroupLinearBandit({ seed: 6, val_pairs_per_group: 20, feature_map: 'swapped' });
  // Under swapped, theta_2 fits group 2 exactly (its features are reversed), and theta_1 fits group 1.
  for (const g of [0, 1]) {
    const policy = banditLogLinearPolicy(bandit, [...bandit.true_thetas[g]!]);
    const err = banditRewardErrors(policy, bandit.val.states, bandit.true_thetas, A, bandit.train.group_names, 'swapped');
    assert.ok(Math.abs(err.absolute[g]!) < 1e-12 && Math.abs(err.relative[g]!) < 1e-12, `group ${g} fitted`);
    assert.ok(err.absolute[1 - g]! > 0.05, `other group ${err.absolute[1 - g]}`);
    // By hand for the other group: sum_s (r* - r(a_pi)) / sum_s |r*|.
    const h = 1 - g;
    const picked = preferredActions(policy, bandit.val.states, A, bandit.train.group_names[h]);
    let gap = 0;
    let opt = 0;
    bandit.val.states.forEach((s, i) => {
      const r = (a: number) => banditReward(s, a, bandit.true_thetas[h]!, A, 'swapped', h);
      const best = Math.max(...Array.from({ length: A }, (_, a) => r(a)));
      gap += best - r(picked[i]!);
      opt += Math.abs(best);
    });
    assert.ok(Math.abs(err.relative[h]! - gap / opt) < 1e-12);
    assert.ok(Math.abs(err.absolute[h]! - gap / bandit.val.states.length) < 1e-12);
    const metrics = banditRewardMetrics(bandit)(policy);
    assert.deepEqual(metrics.map((m) => `${m.group}/${m.metric}`), [
      'group_1/reward_error', 'group_2/reward_error', 'all/max_reward_error',
      'group_1/relative_reward_error', 'group_2/relative_reward_error', 'all/max_relative_reward_error',
    ]);
    policy.dispose();
  }
});

test("authors' scenario (i): full batch on the 60/240 swapped bandit, every method's records at the logged steps, closed form included", () => {
  for (const method of ['is_dpo', 'gr_ipo_closed_form'] as const) {
    const records = runAuthorsScenario(method, 1, { steps: 4, log_every: 2 });
    assert.deepEqual([...new Set(records.map((r) => r.step))], [0, 2, 4], method);
    for (const metric of ['worst_group_val_loss', 'max_reward_error', 'max_relative_reward_error']) {
      assert.equal(records.filter((r) => r.metric === metric && r.group === 'all').length, 3, `${method} ${metric}`);
    }
    if (method === 'is_dpo') {
      assert.deepEqual(records.filter((r) => r.metric === 'batch_pairs' && r.step === 0).map((r) => r.value), [60, 240]);
      assert.ok(records.filter((r) => r.metric === 'alpha').every((r) => r.value === 0.5));
    }
  }
  assert.deepEqual([...AUTHORS_SCENARIO_METHODS], ['dpo', 'is_dpo', 'gr_dpo', 'ipo', 'is_ipo', 'gr_ipo', 'gr_ipo_closed_form']);
  assert.throws(() => runAuthorsScenario('xpo' as 'dpo', 0), /unknown method 'xpo'/);
});

test('a non-finite margin or loss stops the step before any update, naming the step, pair and group', () => {
  const bandit = generateGroupLinearBandit({ seed: 2, split: 'uneven', val_pairs_per_group: 5 });
  const huge = [3e38, -3e38, 3e38, -3e38];
  const policy = logLinear(huge);
  const trainer = new GroupRobustTrainer(policy, bandit.train, { ...ROBUST_METHODS.gr_dpo, reference: 'uniform', variant: 'authors_code' });
  assert.throws(() => trainer.trainStep(), /group-robust step 0: the margin of train pair \d+ \(group 'group_\d'\) is (-?Infinity|NaN); training stopped before the update/);
  assert.deepEqual(policy.thetaValues(), huge.map(Math.fround));
  assert.deepEqual(trainer.alpha, [0.5, 0.5]);
  assert.equal(trainer.stepCount, 0);
  trainer.dispose();
  policy.dispose();
});

test('resume onto pairs that do not fit leaves the policy untouched', () => {
  const bandit = generateGroupLinearBandit({ seed: 7, split: 'uneven', val_pairs_per_group: 5 });
  const config: GroupRobustConfig = { ...ROBUST_METHODS.gr_dpo };
  const policy = logLinear([0.5, 0.5, 0.5, 0.5]);
  const trainer = new GroupRobustTrainer(policy, bandit.train, config);
  trainer.train(2);
  const saved = json(trainer.checkpoint());
  trainer.dispose();
  const target = logLinear([1, 2, 3, 4]);
  const before = tf.memory().numTensors;
  const badPairs = { ...bandit.train, chosen: bandit.train.chosen.map((c, i) => (i === 5 ? 9 : c)) };
  assert.throws(() => GroupRobustTrainer.resume(saved, target, badPairs, config), /train pair 5: chosen action 9 is not in \[0, 8\)/);
  assert.deepEqual(target.thetaValues(), [1, 2, 3, 4]);
  assert.equal(tf.memory().numTensors, before);
  target.dispose();
  policy.dispose();
});
