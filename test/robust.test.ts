import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../src/backend';
import type { Policy } from '../src/policy/types';
import {
  GROUP_LINEAR_BANDIT,
  LogLinearPolicy,
  type PairwiseGroupData,
  banditFeatureTensor,
  banditFeatures,
  banditRewardError,
  generateGroupLinearBandit,
  groupLossEstimates,
  pairMargins,
  pairWeights,
  perPairLoss,
  perPairLossValue,
  preparePairs,
  disposePreparedPairs,
  trainGroupRobust,
  updateGroupWeights,
} from '../src/robust';
import { runGroupRobustComparison } from '../src/studies/groupRobustBandit';

const { feature_dim: BANDIT_FEATURE_DIM, true_thetas: BANDIT_TRUE_THETAS } = GROUP_LINEAR_BANDIT;

before(async () => {
  await initBackend('cpu');
});

const A = 8;
const makePolicy = (theta: number[]) =>
  new LogLinearPolicy({ features: (s) => banditFeatureTensor(s, A), num_responses: A, feature_dim: BANDIT_FEATURE_DIM, state_dim: 2, theta_init: theta });

/** A small fixed data set: 6 pairs, group 0 has 2, group 1 has 4. */
const SMALL: PairwiseGroupData = {
  states: [
    [0.1, 0.7],
    [0.4, 0.2],
    [0.9, 0.5],
    [0.3, 0.3],
    [0.6, 0.8],
    [0.05, 0.95],
  ],
  chosen: [1, 7, 0, 5, 2, 6],
  rejected: [3, 2, 4, 0, 6, 1],
  group_index: [0, 1, 1, 0, 1, 1],
  group_names: ['g1', 'g2'],
  num_responses: A,
};

// ---- plain-JS closed forms for the log-linear policy ----
const dot = (a: number[], b: number[]) => a.reduce((s, x, k) => s + x * b[k]!, 0);
function logPi(theta: number[], s: number[]): { logp: number[]; expPhi: number[] } {
  const phis = Array.from({ length: A }, (_, a) => banditFeatures(s, a, A));
  const logits = phis.map((p) => dot(theta, p));
  const top = Math.max(...logits);
  const z = logits.reduce((acc, l) => acc + Math.exp(l - top), 0);
  const logp = logits.map((l) => l - top - Math.log(z));
  const expPhi = new Array<number>(BANDIT_FEATURE_DIM).fill(0);
  phis.forEach((p, a) => p.forEach((v, k) => (expPhi[k]! += Math.exp(logp[a]!) * v)));
  return { logp, expPhi };
}
/** h and grad h: grad log pi(a|s) = phi(s,a) - E_pi[phi(s,.)]; the reference has no gradient. */
function marginAndGrad(theta: number[], refTheta: number[], s: number[], w: number, l: number) {
  const cur = logPi(theta, s);
  const ref = logPi(refTheta, s);
  const h = cur.logp[w]! - ref.logp[w]! - (cur.logp[l]! - ref.logp[l]!);
  const gw = banditFeatures(s, w, A).map((v, k) => v - cur.expPhi[k]!);
  const gl = banditFeatures(s, l, A).map((v, k) => v - cur.expPhi[k]!);
  return { h, gradH: gw.map((v, k) => v - gl[k]!) };
}
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** Closed-form gradient of (1/n) sum_i weight_i l_i. */
function closedFormGrad(lossType: 'sigmoid' | 'ipo', theta: number[], refTheta: number[], beta: number, weights: number[]): number[] {
  const g = new Array<number>(BANDIT_FEATURE_DIM).fill(0);
  SMALL.states.forEach((s, i) => {
    const { h, gradH } = marginAndGrad(theta, refTheta, s, SMALL.chosen[i]!, SMALL.rejected[i]!);
    // DPO: dL/dtheta = -beta sigmoid(-beta h) grad h;  IPO: 2 (h - 1/(2 beta)) grad h.
    const coef = lossType === 'sigmoid' ? -beta * sigmoid(-beta * h) : 2 * (h - 1 / (2 * beta));
    gradH.forEach((v, k) => (g[k]! += (weights[i]! * coef * v) / SMALL.states.length));
  });
  return g;
}

function tfGrad(lossType: 'sigmoid' | 'ipo', theta: number[], refTheta: number[], beta: number, weights: number[]): number[] {
  const policy = makePolicy(theta);
  const ref = makePolicy(refTheta);
  const pairs = preparePairs(SMALL, policy, { policy: ref }, 'train');
  const out = tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () => tf.mean(tf.mul(perPairLoss(lossType, pairMargins(policy, pairs), beta), tf.tensor1d(weights))) as tf.Scalar,
      policy.trainableVariables(),
    );
    return Array.from(Object.values(grads)[0]!.dataSync());
  });
  disposePreparedPairs(pairs);
  policy.dispose();
  ref.dispose();
  return out;
}

const assertClose = (got: number[], want: number[], tol: number) =>
  got.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) <= tol, `component ${k}: ${v} vs ${want[k]}`));

test('loss values: DPO at h=0 is log 2, IPO is (h - 1/(2 beta))^2', () => {
  assert.ok(Math.abs(perPairLossValue('sigmoid', 0, 0.7) - Math.log(2)) < 1e-12);
  assert.ok(Math.abs(perPairLossValue('sigmoid', 2, 0.5) - Math.log1p(Math.exp(-1))) < 1e-12);
  assert.equal(perPairLossValue('ipo', 0, 1), 0.25);
  assert.equal(perPairLossValue('ipo', 1.5, 0.25), 0.25); // (1.5 - 2)^2
  const t = tf.tidy(() => Array.from(perPairLoss('sigmoid', tf.tensor1d([0, 2]), 0.5).dataSync()));
  assertClose(t, [Math.log(2), Math.log1p(Math.exp(-1))], 1e-6);
});

test('DPO gradient on the log-linear policy matches -beta sigmoid(-beta h) grad h', () => {
  const theta = [0.3, -1.2, 0.8, 0.5];
  const refTheta = [-0.4, 0.2, 0.1, 0.9]; // a non-uniform reference: it shifts h but adds no gradient
  const ones = SMALL.states.map(() => 1);
  for (const beta of [0.5, 2]) {
    const want = closedFormGrad('sigmoid', theta, refTheta, beta, ones);
    assert.ok(want.some((v) => Math.abs(v) > 1e-2), 'gradient should be non-trivial');
    assertClose(tfGrad('sigmoid', theta, refTheta, beta, ones), want, 2e-5);
  }
});

test('IPO gradient on the log-linear policy matches 2 (h - 1/(2 beta)) grad h', () => {
  const theta = [1.1, 0.4, -0.6, 0.2];
  const refTheta = [0, 0, 0, 0];
  const ones = SMALL.states.map(() => 1);
  for (const beta of [0.3, 1]) {
    const want = closedFormGrad('ipo', theta, refTheta, beta, ones);
    assertClose(tfGrad('ipo', theta, refTheta, beta, ones), want, 5e-5);
  }
});

test('group weights: hand-computed step, simplex, larger loss gains weight, no overflow', () => {
  const a = updateGroupWeights([0.5, 0.5], [1, 0], 0.1);
  const e = Math.exp(0.1);
  assert.ok(Math.abs(a[0]! - e / (1 + e)) < 1e-12 && Math.abs(a[1]! - 1 / (1 + e)) < 1e-12);
  let alpha = [0.2, 0.3, 0.5];
  for (let t = 0; t < 50; t++) {
    alpha = updateGroupWeights(alpha, [0.1, 2, 0.5], 0.5);
    assert.ok(Math.abs(alpha.reduce((s, x) => s + x, 0) - 1) < 1e-12);
    assert.ok(alpha.every((x) => x >= 0 && x <= 1));
  }
  assert.ok(alpha[1]! > 0.99, `group with the largest loss should dominate, got ${alpha}`);
  const big = updateGroupWeights([0.5, 0.5], [1e6, 0], 10);
  assert.deepEqual(big, [1, 0]);
});

test('loss estimates and pair weights follow the documented formulas', () => {
  // N = 8 (N_1 = 2, N_2 = 6), batch of 3 pairs with losses 1, 2, 3 in groups 0, 1, 1.
  const paper = groupLossEstimates('paper', [1, 2, 3], [0, 1, 1], [2, 6]);
  assertClose(paper, [(8 / 2) * (1 / 3), (8 / 6) * (5 / 3)], 1e-12);
  assertClose(groupLossEstimates('authors_code', [1, 2, 3], [0, 1, 1], [2, 6]), [1, 2.5], 1e-12);
  const alpha = [0.25, 0.75];
  assertClose(Array.from(pairWeights('robust', 'paper', alpha, [0, 1, 1], [2, 6])), [8 * 0.25 / 2, 8 * 0.75 / 6, 8 * 0.75 / 6], 1e-6);
  assertClose(Array.from(pairWeights('robust', 'authors_code', alpha, [0, 1, 1], [2, 6])), [3 * 0.25 / 1, 3 * 0.75 / 2, 3 * 0.75 / 2], 1e-6);
  assertClose(Array.from(pairWeights('importance', 'paper', alpha, [0, 1, 1], [2, 6])), [8 / 4, 8 / 12, 8 / 12], 1e-6);
  assertClose(Array.from(pairWeights('uniform', 'paper', alpha, [0, 1], [2, 6])), [1, 1], 0);
});

test('IS-DPO step equals a DPO step with per-pair weights 1/N_g (scaled by N/K)', () => {
  const theta0 = [0.5, -0.5, 1, 0.25];
  const lr = 0.3;
  const policy = makePolicy(theta0);
  trainGroupRobust({
    policy,
    train: SMALL,
    config: { loss_type: 'sigmoid', weighting: 'importance', variant: 'authors_code', learning_rate: lr, max_steps: 1, beta: 1.5, reference: 'uniform' },
  });
  const N = 6;
  const K = 2;
  const counts = [2, 4];
  const weights = SMALL.group_index.map((g) => N / (K * counts[g]!)); // ∝ 1/N_g
  const grad = closedFormGrad('sigmoid', theta0, [0, 0, 0, 0], 1.5, weights);
  assertClose(policy.thetaValues(), theta0.map((t, k) => t - lr * grad[k]!), 2e-6);
  policy.dispose();
});

test('GR-DPO: alpha stays on the simplex and rises for the group with the larger loss', () => {
  // Start at theta_1: group 1's preferences are fitted, group 2 (index 1) has the larger loss.
  const { train, val } = generateGroupLinearBandit({ seed: 4, split: 'uneven', val_pairs_per_group: 50 });
  for (const variant of ['paper', 'authors_code'] as const) {
    const policy = makePolicy([...BANDIT_TRUE_THETAS[0]!]);
    const { records, alpha } = trainGroupRobust({
      policy,
      train,
      val,
      config: { weighting: 'robust', variant, max_steps: 20, log_every: 5, eta_alpha: 0.1, seed: 1, reference: 'uniform' },
    });
    const at = (step: number, group: string, metric: string) =>
      records.find((r) => r.step === step && r.group === group && r.metric === metric)!.value;
    assert.ok(at(0, 'group_2', 'train_loss') > at(0, 'group_1', 'train_loss'));
    for (const step of [0, 5, 10, 15, 20]) {
      const a1 = at(step, 'group_1', 'alpha');
      const a2 = at(step, 'group_2', 'alpha');
      assert.ok(Math.abs(a1 + a2 - 1) < 1e-12 && a1 > 0 && a2 > 0, `step ${step}`);
    }
    assert.equal(at(0, 'group_2', 'alpha'), 0.5);
    assert.ok(at(20, 'group_2', 'alpha') > 0.55, `${variant}: alpha_2 = ${at(20, 'group_2', 'alpha')}`);
    assert.ok(Math.abs(alpha[1]! - at(20, 'group_2', 'alpha')) < 1e-12);
    policy.dispose();
  }
});

test('same seed, same run; another seed, another run', () => {
  const { train, val } = generateGroupLinearBandit({ seed: 9, split: 'uneven', val_pairs_per_group: 30 });
  const run = (seed: number) => {
    const policy = makePolicy([0, 0, 0, 0]);
    const out = trainGroupRobust({
      policy,
      train,
      val,
      config: { loss_type: 'ipo', weighting: 'robust', optimizer: 'adam', learning_rate: 0.05, max_steps: 30, log_every: 10, seed },
    });
    policy.dispose();
    return out.records;
  };
  const a = run(1);
  assert.deepEqual(a, run(1));
  assert.notDeepEqual(a, run(2));
  assert.deepEqual(a[0]!, { step: 0, group: 'group_1', metric: 'train_loss', value: 0.25 }); // theta = 0: h = 0, IPO loss (1/2)^2
});

test('bad input: missing group, empty group, non-positive beta or step sizes are named', () => {
  const policy = makePolicy([0, 0, 0, 0]);
  const run = (train: PairwiseGroupData, config = {}) => trainGroupRobust({ policy, train, config: { max_steps: 1, ...config } });
  const before = tf.memory().numTensors;
  assert.throws(() => run({ ...SMALL, group_index: [0, 1, 2, 0, 1, 1] }), /train pair 2: group 2 is missing from group_names \(2 groups: g1, g2\)/);
  assert.throws(() => run({ ...SMALL, group_names: ['g1', 'g2', 'g3'] }), /train: group 'g3' has no pairs/);
  assert.throws(() => run(SMALL, { beta: 0 }), /beta must be a finite positive number, got 0/);
  assert.throws(() => run(SMALL, { learning_rate: -0.1 }), /learning_rate must be a finite positive number/);
  assert.throws(() => run(SMALL, { eta_alpha: 0 }), /eta_alpha must be a finite positive number, got 0/);
  assert.throws(() => run(SMALL, { batch_size: 0 }), /batch_size must be a positive integer/);
  assert.throws(() => run({ ...SMALL, rejected: [1, 2, 4, 0, 6, 1] }), /train pair 0: chosen and rejected are the same action/);
  assert.throws(() => run({ ...SMALL, chosen: [1, 7, 9, 5, 2, 6] }), /train pair 2: chosen action 9 is not in \[0, 8\)/);
  assert.throws(
    () => trainGroupRobust({ policy, train: SMALL, val: { ...SMALL, group_names: ['a', 'b'] } }),
    /val group_names \(a, b\) differ from train group_names \(g1, g2\)/,
  );
  assert.equal(tf.memory().numTensors, before, 'failed runs must not leak tensors');
  policy.dispose();
});

test('reward error: zero for the group whose true theta the policy uses, positive for the other', () => {
  const { val } = generateGroupLinearBandit({ seed: 6, val_pairs_per_group: 40 });
  const policy = makePolicy([...BANDIT_TRUE_THETAS[0]!]);
  const [e1, e2] = banditRewardError(policy, val.states, BANDIT_TRUE_THETAS, A);
  assert.ok(Math.abs(e1!) < 1e-12, `group 1 error ${e1}`);
  assert.ok(e2! > 0.05, `group 2 error ${e2}`);
  // Hand check on one state: the error is max_a r_2 - r_2(argmax_a r_1).
  const s = val.states[0]!;
  const r = (theta: readonly number[], a: number) => dot([...theta], banditFeatures(s, a, A));
  const best1 = [...Array(A).keys()].reduce((b, a) => (r(BANDIT_TRUE_THETAS[0]!, a) > r(BANDIT_TRUE_THETAS[0]!, b) ? a : b), 0);
  const want = Math.max(...[...Array(A).keys()].map((a) => r(BANDIT_TRUE_THETAS[1]!, a))) - r(BANDIT_TRUE_THETAS[1]!, best1);
  assert.ok(Math.abs(banditRewardError(policy, [s], BANDIT_TRUE_THETAS, A)[1]! - want) < 1e-12);
  policy.dispose();
});

test('no tensor leaks over many steps (sgd and adam), and the count stays flat during training', () => {
  const { train, val } = generateGroupLinearBandit({ seed: 8, split: 'uneven', val_pairs_per_group: 20 });
  for (const optimizer of ['sgd', 'adam'] as const) {
    const before = tf.memory().numTensors;
    const policy = makePolicy([0, 0, 0, 0]);
    const counts: number[] = [];
    trainGroupRobust({
      policy,
      train,
      val,
      config: { optimizer, max_steps: 300, log_every: 50 },
      extra_metrics: () => {
        counts.push(tf.memory().numTensors);
        return [];
      },
    });
    // Adam's moment variables exist from step 1 on; after that the count must not grow.
    assert.ok(counts.slice(1).every((c) => c === counts[1]), `${optimizer}: ${counts}`);
    policy.dispose();
    assert.equal(tf.memory().numTensors, before, optimizer);
  }
});

test('comparison runner: labelled long-form records and a per-method summary', () => {
  const out = runGroupRobustComparison({ split: 'uneven', methods: ['dpo', 'gr_dpo'], seeds: [3, 4], steps: 20, log_every: 10 });
  assert.deepEqual(out.summary.map((r) => r.method), ['dpo', 'gr_dpo']);
  const finalWorst = (method: string) =>
    out.records.filter((r) => r.method === method && r.step === 20 && r.metric === 'worst_group_val_loss').map((r) => r.value);
  for (const row of out.summary) {
    const xs = finalWorst(row.method);
    assert.equal(xs.length, 2);
    assert.ok(Math.abs(row.worst_group_val_loss - (xs[0]! + xs[1]!) / 2) < 1e-12);
    assert.ok(row.max_reward_error >= 0);
  }
  assert.ok(out.records.some((r) => r.metric === 'reward_error' && r.group === 'group_2' && r.seed === 4));
  assert.deepEqual(out.frame.columns, ['step', 'group', 'metric', 'value', 'method', 'seed', 'split']);
  assert.throws(() => runGroupRobustComparison({ split: 'uneven', methods: ['xpo' as never], seeds: 1, steps: 1 }), /unknown method 'xpo'/);
});

test('trainers pass each pair its group name, for group-conditioned policies', () => {
  const inner = makePolicy([0.2, 0.1, -0.3, 0.4]);
  const seen: string[][] = [];
  // The same policy seen only through the Policy interface, recording the groups it is asked as.
  const policy: Policy = {
    groups: [],
    featureDim: 2,
    vocabSize: A,
    maxLength: 1,
    sample: (...args) => inner.sample(...args),
    evaluate: (contexts, tokens, temperature, options) => {
      seen.push([...contexts.groups]);
      return inner.evaluate(contexts, tokens, temperature, options);
    },
    trainableVariables: () => inner.trainableVariables(),
    clone: () => inner.clone(),
    getWeights: () => inner.getWeights(),
    setWeights: (w) => inner.setWeights(w),
    dispose: () => inner.dispose(),
  };
  trainGroupRobust({ policy, train: SMALL, config: { variant: 'authors_code', max_steps: 1, log_every: 1, reference: 'uniform' } });
  const names = SMALL.group_index.map((g) => SMALL.group_names[g]!);
  assert.ok(seen.length >= 2 && seen.every((g) => JSON.stringify(g) === JSON.stringify(names)));
  const perGroup = banditRewardError(policy, SMALL.states, BANDIT_TRUE_THETAS, A, ['g1', 'g2']);
  assert.deepEqual(perGroup, banditRewardError(inner, SMALL.states, BANDIT_TRUE_THETAS, A));
  assert.ok(seen.some((g) => g.every((x) => x === 'g2')), 'reward error asks the policy as group g2');
  inner.dispose();
});

test('log-linear fast path: log-ratios from precomputed feature differences equal the readable (Policy.evaluate) margins, values and gradients', () => {
  const theta = [0.7, -0.3, 1.4, -0.9];
  const policy = makePolicy(theta);
  const reference = makePolicy([0.1, 0.2, -0.4, 0.3]);
  const pairs = preparePairs(SMALL, policy, { policy: reference }, 'train');
  reference.dispose();
  const before = tf.memory().numTensors;
  for (const indices of [undefined, Int32Array.from([4, 0, 4, 2])]) {
    const run = (fast: boolean) =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(pairMargins(policy, pairs, indices, fast))) as tf.Scalar, policy.trainableVariables());
        return [Array.from(pairMargins(policy, pairs, indices, fast).dataSync()), [value.dataSync()[0]!, ...Object.values(grads)[0]!.dataSync()]];
      });
    const [hFast, gFast] = run(true);
    const [hSlow, gSlow] = run(false);
    assert.equal(hFast!.length, indices?.length ?? SMALL.states.length);
    assert.ok(hFast!.some((h) => Math.abs(h) > 0.1), 'margins should be non-trivial');
    assertClose(hFast!, hSlow!, 1e-5);
    assertClose(gFast!, gSlow!, 1e-4);
  }
  // The precomputed differences are made once per (policy, pairs) and freed with the pairs.
  assert.equal(pairs.logRatioCache.size, 1);
  assert.equal(tf.memory().numTensors, before + 1);
  disposePreparedPairs(pairs);
  assert.equal(pairs.logRatioCache.size, 0);
  policy.dispose();
});
