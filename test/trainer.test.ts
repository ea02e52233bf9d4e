import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import type { PgrpoState } from '../src/advantages';
import { ALL_GROUPS, frameToRecords, type MetricRecord } from '../src/frames';
import { CategoricalMLPPolicy, type Policy } from '../src/policy';
import { Rng } from '../src/random';
import { stepMetrics, TOKEN_STAT, TOKEN_STAT_NAMES, TOKEN_STATS } from '../src/trainer/metrics';
import {
  Adam,
  GRPOTrainer,
  LOSS_TYPES,
  clipByGlobalNorm,
  createPGRPOTrainer,
  fusedAdamAvailable,
  grpoLoss,
  k3KL,
  tableTask,
  type GRPOConfig,
  type GRPOLossConfig,
  type LossType,
  type Task,
} from '../src/trainer';

// ---------------------------------------------------------------------------------------------
// Loss: hand-computed values, finite differences, clipping, masks.

/** Hand-made T = 3 batch: row 1's last token is padding (with values that must not matter). */
const LOGP = [
  [-1.0, -0.5, -2.0],
  [-0.3, -1.2, -0.7],
];
const OLD = [
  [-1.1, -0.45, -2.0],
  [-0.35, -1.0, 5.0],
];
const REF = [
  [-0.9, -0.6, -1.8],
  [-0.3, -1.1, 9.0],
];
const MASK = [
  [1, 1, 1],
  [1, 1, 0],
];
const ADV = [0.8, -1.5];

function lossConfig(loss_type: LossType, extra: Partial<GRPOLossConfig> = {}): GRPOLossConfig {
  return { epsilon: 0.2, epsilon_high: 0.28, beta: 0.1, loss_type, max_completion_length: 4, ...extra };
}

/** The GRPO loss in double precision, straight from the formulas. */
function referenceLoss(logp: number[][], old: number[][], ref: number[][], mask: number[][], adv: number[], c: GRPOLossConfig): number {
  const perSeq: number[] = [];
  let total = 0;
  let tokens = 0;
  logp.forEach((row, i) => {
    let seq = 0;
    let n = 0;
    row.forEach((lp, t) => {
      if (mask[i]![t] === 0) return;
      const r = Math.exp(lp - old[i]![t]!);
      const clipped = Math.min(Math.max(r, 1 - c.epsilon), 1 + c.epsilon_high);
      const d = ref[i]![t]! - lp;
      const kl = Math.exp(d) - d - 1;
      const l = -Math.min(r * adv[i]!, clipped * adv[i]!) + c.beta * kl;
      seq += l;
      n += 1;
    });
    perSeq.push(seq / Math.max(n, 1));
    total += seq;
    tokens += n;
  });
  switch (c.loss_type) {
    case 'grpo':
      return perSeq.reduce((a, b) => a + b, 0) / perSeq.length;
    case 'bnpo':
    case 'dapo':
      return total / tokens;
    case 'dr_grpo':
      return total / (logp.length * c.max_completion_length);
  }
}

function lossValue(logp: number[][], old: number[][], ref: number[][], mask: number[][], adv: number[], c: GRPOLossConfig): number {
  return tf.tidy(() => {
    const out = grpoLoss(
      { logProbs: tf.tensor2d(logp), oldLogProbs: tf.tensor2d(old), refLogProbs: tf.tensor2d(ref), advantages: tf.tensor1d(adv), mask: tf.tensor2d(mask) },
      c,
    );
    return out.loss.dataSync()[0]!;
  });
}

function lossGrad(logp: number[][], old: number[][], ref: number[][], mask: number[][], adv: number[], c: GRPOLossConfig): number[] {
  return tf.tidy(() => {
    const g = tf.grad((x: tf.Tensor) =>
      grpoLoss(
        { logProbs: x as tf.Tensor2D, oldLogProbs: tf.tensor2d(old), refLogProbs: tf.tensor2d(ref), advantages: tf.tensor1d(adv), mask: tf.tensor2d(mask) },
        c,
      ).loss,
    )(tf.tensor2d(logp));
    return Array.from(g.dataSync());
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] loss values match the formulas and gradients match central differences, per loss_type`, async () => {
    await initBackend(backend);
    for (const loss_type of LOSS_TYPES) {
      const c = lossConfig(loss_type);
      const expected = referenceLoss(LOGP, OLD, REF, MASK, ADV, c);
      const got = lossValue(LOGP, OLD, REF, MASK, ADV, c);
      assert.ok(Math.abs(got - expected) < 1e-5, `${loss_type}: loss ${got} vs ${expected}`);
      const grad = lossGrad(LOGP, OLD, REF, MASK, ADV, c);
      const h = 1e-2;
      for (let i = 0; i < 2; i++) {
        for (let t = 0; t < 3; t++) {
          const shifted = (d: number) => LOGP.map((row, r) => row.map((v, s) => (r === i && s === t ? v + d : v)));
          const fd = (lossValue(shifted(h), OLD, REF, MASK, ADV, c) - lossValue(shifted(-h), OLD, REF, MASK, ADV, c)) / (2 * h);
          const an = grad[i * 3 + t]!;
          if (MASK[i]![t] === 0) {
            assert.equal(an, 0, `${loss_type}: padding token gets no gradient`);
            assert.equal(fd, 0, `${loss_type}: padding token does not move the loss`);
          } else {
            assert.ok(Math.abs(an) > 1e-3, `${loss_type}: token (${i},${t}) has a gradient`);
            assert.ok(Math.abs(fd - an) <= 1e-2 * Math.abs(an), `${loss_type} token (${i},${t}): fd ${fd} vs analytic ${an}`);
          }
        }
      }
    }
    // The three denominators really differ on this padded batch: 8 tokens, 2 sequences, 2 * 4 for dr_grpo.
    const values = LOSS_TYPES.map((l) => lossValue(LOGP, OLD, REF, MASK, ADV, lossConfig(l)));
    assert.ok(Math.abs(values[0]! - values[1]!) > 1e-3 && Math.abs(values[1]! - values[2]!) > 1e-3);
    assert.equal(values[1], values[3], 'dapo equals bnpo in one process');
  });
}

test('k3 KL is exp(ref - logp) - (ref - logp) - 1, hand-computed', async () => {
  await initBackend('cpu');
  const kl = tf.tidy(() => Array.from(k3KL(tf.tensor1d([-1, -0.5, -2, 0]), tf.tensor1d([-1.2, -0.5, -1, -3])).dataSync()));
  // d = -0.2: e^-0.2 + 0.2 - 1; d = 0: 0; d = 1: e - 2; d = -3: e^-3 + 2.
  const expected = [Math.exp(-0.2) + 0.2 - 1, 0, Math.E - 2, Math.exp(-3) + 2];
  kl.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `kl[${i}] = ${v}, expected ${expected[i]}`));
  assert.ok(Math.abs(expected[0]! - 0.0187307531) < 1e-9);
});

test('clipping: outside the trust region on the clipped side there is no gradient, and the flags say so', async () => {
  await initBackend('cpu');
  const c = lossConfig('grpo', { beta: 0 });
  // One token per row; ratios 1.5 (above 1 + 0.28) and 0.5 (below 1 - 0.2), each with both advantage signs.
  const ratio = [1.5, 1.5, 0.5, 0.5];
  const adv = [1, -1, -1, 1];
  const old = ratio.map((r) => [-Math.log(r)]);
  const logp = [[0], [0], [0], [0]];
  const mask = [[1], [1], [1], [1]];
  const per = (i: number) => {
    const one = (a: number[][]) => [a[i]!];
    return {
      loss: lossValue(one(logp), one(old), one(logp), one(mask), [adv[i]!], c),
      grad: lossGrad(one(logp), one(old), one(logp), one(mask), [adv[i]!], c)[0]!,
    };
  };
  // ratio 1.5, A = +1: min(1.5, 1.28) = 1.28 -> loss -1.28, gradient 0.
  assert.ok(Math.abs(per(0).loss + 1.28) < 1e-6);
  assert.equal(per(0).grad, 0);
  // ratio 1.5, A = -1: min(-1.5, -1.28) = -1.5 -> loss 1.5, d/dlogp = -r A = 1.5.
  assert.ok(Math.abs(per(1).loss - 1.5) < 1e-6);
  assert.ok(Math.abs(per(1).grad - 1.5) < 1e-5);
  // ratio 0.5, A = -1: min(-0.5, -0.8) = -0.8 -> loss 0.8, gradient 0.
  assert.ok(Math.abs(per(2).loss - 0.8) < 1e-6);
  assert.equal(per(2).grad, 0);
  // ratio 0.5, A = +1: min(0.5, 0.8) = 0.5 -> loss -0.5, gradient -0.5.
  assert.ok(Math.abs(per(3).grad + 0.5) < 1e-6);
  const flags = tf.tidy(() => {
    const out = grpoLoss(
      { logProbs: tf.tensor2d(logp), oldLogProbs: tf.tensor2d(old), advantages: tf.tensor1d(adv), mask: tf.tensor2d(mask) },
      c,
    );
    return { low: Array.from(out.lowClipped.dataSync()), high: Array.from(out.highClipped.dataSync()) };
  });
  assert.deepEqual(flags.high, [1, 0, 0, 0]);
  assert.deepEqual(flags.low, [0, 0, 1, 0]);
  assert.throws(() => tf.tidy(() => grpoLoss({ logProbs: tf.tensor2d(logp), oldLogProbs: tf.tensor2d(old), advantages: tf.tensor1d(adv), mask: tf.tensor2d(mask) }, lossConfig('grpo')).loss), /refLogProbs is required/);
});

test('masks: padding values (even overflowing ones) never reach the loss, the KL or the gradient', async () => {
  await initBackend('cpu');
  const wild = (a: number[][], v: number) => a.map((row, i) => row.map((x, t) => (MASK[i]![t] === 0 ? v : x)));
  for (const loss_type of LOSS_TYPES) {
    const c = lossConfig(loss_type);
    const base = lossValue(LOGP, OLD, REF, MASK, ADV, c);
    const baseGrad = lossGrad(LOGP, OLD, REF, MASK, ADV, c);
    const w = lossValue(wild(LOGP, 120), wild(OLD, -120), wild(REF, 300), MASK, ADV, c);
    const wGrad = lossGrad(wild(LOGP, 120), wild(OLD, -120), wild(REF, 300), MASK, ADV, c);
    assert.equal(w, base, `${loss_type}: loss unchanged`);
    assert.deepEqual(wGrad, baseGrad, `${loss_type}: gradient unchanged`);
  }
  const kl = tf.tidy(() =>
    Array.from(
      grpoLoss(
        { logProbs: tf.tensor2d(wild(LOGP, 120)), oldLogProbs: tf.tensor2d(OLD), refLogProbs: tf.tensor2d(wild(REF, 300)), advantages: tf.tensor1d(ADV), mask: tf.tensor2d(MASK) },
        lossConfig('bnpo'),
      ).kl.dataSync(),
    ),
  );
  assert.equal(kl[5], 0, 'KL at the padding position is 0');
  assert.ok(Math.abs(kl[0]! - (Math.exp(0.1) - 0.1 - 1)) < 1e-6);
});

test('for one-token responses the four loss_types coincide', async () => {
  await initBackend('cpu');
  const logp = [[-0.2], [-1.3], [-0.9], [-2.2], [-0.6]];
  const old = [[-0.25], [-1.1], [-0.95], [-2.0], [-0.6]];
  const ref = [[-0.3], [-1.0], [-1.0], [-2.5], [-0.5]];
  const mask = logp.map(() => [1]);
  const adv = [0.5, -1.2, 0.3, 1.1, -0.7];
  const values = LOSS_TYPES.map((l) => lossValue(logp, old, ref, mask, adv, lossConfig(l, { max_completion_length: 1 })));
  const grads = LOSS_TYPES.map((l) => lossGrad(logp, old, ref, mask, adv, lossConfig(l, { max_completion_length: 1 })));
  for (let i = 1; i < 4; i++) {
    assert.ok(Math.abs(values[i]! - values[0]!) < 1e-6, `${LOSS_TYPES[i]} ${values[i]} vs grpo ${values[0]}`);
    grads[i]!.forEach((g, j) => assert.ok(Math.abs(g - grads[0]![j]!) < 1e-6));
  }
  assert.ok(Math.abs(values[0]! - referenceLoss(logp, old, ref, mask, adv, lossConfig('grpo'))) < 1e-6);
});

// ---------------------------------------------------------------------------------------------
// Optimiser pieces.

test('wasm has no fused Adam kernel (its SIMD kernels are as fast); the op-by-op update runs there', async () => {
  await initBackend('wasm');
  assert.equal(fusedAdamAvailable(), false);
});

for (const backend of ['cpu'] as const) {
  test(`[${backend}] fused Adam kernel: bit-identical to the op-by-op update over many steps, inputs untouched, no leaks`, async () => {
    await initBackend(backend);
    assert.ok(fusedAdamAvailable(), `the fused kernel is registered for ${backend}`);
    const rng = new Rng(11);
    const shapes = [[3, 5], [5], [5, 2], [1]];
    const make = () => shapes.map((shape) => tf.variable(tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape)));
    const fusedVars = make();
    const plainVars = fusedVars.map((v) => tf.variable(v.clone()));
    const start = fusedVars.map((v) => Array.from(v.dataSync()));
    const options = { learning_rate: 0.03, beta1: 0.8, beta2: 0.99, eps: 1e-6 };
    const fused = new Adam(fusedVars, options);
    const plain = new Adam(plainVars, { ...options, fused: false });
    const before = tf.memory().numTensors;
    for (let step = 0; step < 25; step++) {
      // Gradients over many magnitudes, exact zeros included.
      const grads = shapes.map((shape) =>
        tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i + step) % 7 === 0 ? 0 : rng.normal() * 10 ** (rng.int(9) - 4))), shape),
      );
      const copies = grads.map((g) => Array.from(g.dataSync()));
      fused.apply(grads);
      plain.apply(grads);
      grads.forEach((g, i) => assert.deepEqual(Array.from(g.dataSync()), copies[i], 'gradients are not modified'));
      tf.dispose(grads);
    }
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    fusedVars.forEach((v, i) => assert.deepEqual(Array.from(v.dataSync()), Array.from(plainVars[i]!.dataSync()), `variable ${i}`));
    assert.deepEqual(fused.getState(), plain.getState(), 'moments and step');
    fusedVars.forEach((v, i) => assert.notDeepEqual(Array.from(v.dataSync()), start[i], `variable ${i} moved`));
    fused.dispose();
    plain.dispose();
    tf.dispose([...fusedVars, ...plainVars]);
  });
}

test('Adam with bias correction matches a hand computation; global-norm clipping scales to max_norm', async () => {
  await initBackend('cpu');
  const w = tf.variable(tf.tensor1d([1, -2]));
  const adam = new Adam([w], { learning_rate: 0.1 });
  const gradsSeq = [
    [0.5, -1],
    [0.1, 2],
  ];
  let m = [0, 0];
  let v = [0, 0];
  const x = [1, -2];
  gradsSeq.forEach((g, s) => {
    const t = s + 1;
    m = m.map((mi, i) => 0.9 * mi + 0.1 * g[i]!);
    v = v.map((vi, i) => 0.999 * vi + 0.001 * g[i]! ** 2);
    x.forEach((xi, i) => (x[i] = xi - (0.1 * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8)));
    const gt = tf.tensor1d(g);
    adam.apply([gt]);
    gt.dispose();
  });
  Array.from(w.dataSync()).forEach((wi, i) => assert.ok(Math.abs(wi - x[i]!) < 1e-6, `w[${i}] ${wi} vs ${x[i]}`));
  const state = adam.getState();
  assert.equal(state.step, 2);
  state.m[0]!.forEach((mi, i) => assert.ok(Math.abs(mi - m[i]!) < 1e-7));
  adam.dispose();
  w.dispose();

  const a = tf.tensor1d([3]);
  const b = tf.tensor2d([[4, 0]]);
  const { clipped, norm } = clipByGlobalNorm([a, b], 1);
  assert.ok(Math.abs(norm.dataSync()[0]! - 5) < 1e-6);
  const scale = 1 / (5 + 1e-6);
  assert.ok(Math.abs(clipped[0]!.dataSync()[0]! - 3 * scale) < 1e-6);
  assert.ok(Math.abs(clipped[1]!.dataSync()[0]! - 4 * scale) < 1e-6);
  const loose = clipByGlobalNorm([a, b], 10);
  assert.deepEqual(Array.from(loose.clipped[0]!.dataSync()), [3], 'below max_norm nothing changes');
  const off = clipByGlobalNorm([a, b], 0);
  assert.deepEqual(Array.from(off.clipped[1]!.dataSync()), [4, 0], 'max_grad_norm 0 disables clipping');
  tf.dispose([a, b, norm, ...clipped, loose.norm, ...loose.clipped, off.norm, ...off.clipped]);
});

// ---------------------------------------------------------------------------------------------
// Trainer.

const GROUPS = ['maj', 'min'];

function banditTask(extra = true): Task {
  return tableTask({
    groups: GROUPS,
    shares: [0.8, 0.2],
    rewardTable: { maj: [1, 0, 0, 0.3], min: [0, 1, 0, 0.3] },
    extraRewards: extra ? [{ name: 'bonus', weight: 0.5, fn: (r) => (r[0] === 2 ? 1 : 0) }] : [],
  });
}

function banditPolicy(seed = 1): CategoricalMLPPolicy {
  return new CategoricalMLPPolicy({ numResponses: 4, groups: GROUPS, embeddingDim: 4, hiddenSizes: [16], seed });
}

const SMALL: GRPOConfig = { num_generations: 4, prompts_per_step: 6, learning_rate: 0.05, seed: 3 };

function run(config: GRPOConfig, steps: number, seed = 1): { records: MetricRecord[]; weights: number[][] } {
  const policy = banditPolicy(seed);
  const trainer = new GRPOTrainer(policy, banditTask(), config);
  const records = trainer.train(steps);
  const weights = policy.getWeights().map((w) => w.values);
  trainer.dispose();
  policy.dispose();
  return { records, weights };
}

const value = (records: MetricRecord[], step: number, group: string, metric: string) =>
  records.find((r) => r.step === step && r.group === group && r.metric === metric)?.value;

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] same seed, same metrics and weights; another seed differs`, async () => {
    await initBackend(backend);
    const cfg = { ...SMALL, num_iterations: 2 };
    const a = run(cfg, 6);
    const b = run(cfg, 6);
    assert.deepEqual(a.records, b.records);
    assert.deepEqual(a.weights, b.weights);
    const c = run({ ...cfg, seed: 4 }, 6);
    assert.notDeepEqual(c.records, a.records);
  });
}

test('metrics: per-group and all rows, consistent with each other and with the reward functions', async () => {
  await initBackend('cpu');
  const policy = banditPolicy();
  const trainer = new GRPOTrainer(policy, banditTask(), { ...SMALL, num_iterations: 1 });
  const seen: number[] = [];
  const records = trainer.train(5, { onStep: (rs, step) => seen.push(step, rs.length) });
  assert.deepEqual(seen.filter((_, i) => i % 2 === 0), [0, 1, 2, 3, 4]);
  const N = 6 * 4;
  for (let step = 0; step < 5; step++) {
    const groups = GROUPS.filter((g) => value(records, step, g, 'num_samples') !== undefined);
    const counts = groups.map((g) => value(records, step, g, 'num_samples')!);
    assert.equal(counts.reduce((x, y) => x + y, 0), N);
    assert.equal(value(records, step, ALL_GROUPS, 'num_samples'), N);
    // The 'all' mean is the count-weighted mean of the group means.
    const weighted = groups.reduce((s, g, i) => s + counts[i]! * value(records, step, g, 'reward_mean')!, 0) / N;
    assert.ok(Math.abs(weighted - value(records, step, ALL_GROUPS, 'reward_mean')!) < 1e-12);
    // Total reward = table + 0.5 * bonus.
    for (const g of [...groups, ALL_GROUPS]) {
      const total = value(records, step, g, 'rewards/table/mean')! + 0.5 * value(records, step, g, 'rewards/bonus/mean')!;
      assert.ok(Math.abs(total - value(records, step, g, 'reward_mean')!) < 1e-12);
      // With num_iterations = 1 the ratio is exactly 1: nothing is clipped.
      assert.equal(value(records, step, g, 'clip_ratio/region_mean'), 0);
      assert.equal(value(records, step, g, 'completion_length'), 1);
      assert.ok(value(records, step, g, 'entropy')! > 0 && value(records, step, g, 'entropy')! <= Math.log(4) + 1e-6);
      assert.ok(value(records, step, g, 'kl')! >= 0);
    }
    assert.ok(Number.isFinite(value(records, step, ALL_GROUPS, 'loss')!));
    assert.ok(value(records, step, ALL_GROUPS, 'grad_norm')! > 0);
    assert.equal(value(records, step, 'maj', 'loss'), undefined, 'loss is logged for all only');
  }
  // KL to the reference is 0 before the first update and positive after it.
  assert.ok(Math.abs(value(records, 0, ALL_GROUPS, 'kl')!) < 1e-6);
  assert.ok(value(records, 4, ALL_GROUPS, 'kl')! > 0);
  const frame = trainer.metricsFrame();
  assert.deepEqual(frame.columns, ['step', 'group', 'metric', 'value']);
  const rows = frameToRecords<MetricRecord>(frame);
  assert.equal(rows.length, records.length);
  assert.deepEqual(new Set(rows.map((r) => r.group)), new Set(['maj', 'min', ALL_GROUPS]));
  trainer.dispose();
  policy.dispose();
});

test('entropy metric equals the entropy of the policy before the update; beta = 0 drops the reference and the KL', async () => {
  await initBackend('cpu');
  const policy = banditPolicy(8);
  const probs = policy.responseProbabilities({ size: 2, groups: GROUPS, features: new Float32Array(0) });
  const H = probs.map((row) => -row.reduce((a, q) => a + q * Math.log(q), 0));
  const trainer = new GRPOTrainer(policy, banditTask(), { ...SMALL, beta: 0 });
  assert.equal(trainer.reference, null);
  const records = trainer.trainStep();
  GROUPS.forEach((g, i) => {
    const e = value(records, 0, g, 'entropy');
    if (e !== undefined) assert.ok(Math.abs(e - H[i]!) < 1e-5, `${g}: entropy ${e} vs ${H[i]}`);
  });
  assert.ok(!records.some((r) => r.metric === 'kl'));
  assert.equal(trainer.checkpoint().reference, null);
  trainer.dispose();
  const pg = createPGRPOTrainer(policy, banditTask(), SMALL, { decay: 0.9 });
  assert.equal(pg.estimator.name, 'pgrpo');
  assert.equal((pg.estimator.getState() as PgrpoState).decay, 0.9, 'P-GRPO options reach the estimator');
  pg.dispose();
  policy.dispose();
});

test('several updates per batch move the ratio off 1 and the clip metrics see it', async () => {
  await initBackend('cpu');
  const { records } = run({ ...SMALL, num_iterations: 4, learning_rate: 0.3, epsilon: 0.05, max_grad_norm: 0 }, 8);
  const clipped = records.filter((r) => r.group === ALL_GROUPS && r.metric === 'clip_ratio/region_mean').map((r) => r.value);
  assert.ok(Math.max(...clipped) > 0, `clip ratios ${clipped}`);
});

test('checkpoint after 10 steps + resume for 10 more equals 20 uninterrupted steps (P-GRPO, mu = 2, beta > 0)', async () => {
  await initBackend('cpu');
  const cfg: GRPOConfig = { ...SMALL, num_iterations: 2, beta: 0.04, advantage: 'pgrpo' };
  const full = run(cfg, 20);

  const policy = banditPolicy();
  const first = new GRPOTrainer(policy, banditTask(), cfg);
  first.train(10);
  const saved = JSON.parse(JSON.stringify(first.checkpoint()));
  first.dispose();
  policy.dispose();

  const fresh = banditPolicy(99); // different initial weights: all must come from the checkpoint
  const resumed = GRPOTrainer.resume(saved, fresh, banditTask(), cfg);
  assert.equal(resumed.stepCount, 10);
  const rest = resumed.train(10);
  assert.deepEqual(rest, full.records.filter((r) => r.step >= 10));
  assert.deepEqual(fresh.getWeights().map((w) => w.values), full.weights);
  assert.throws(() => GRPOTrainer.resume(saved, fresh, banditTask(), { ...cfg, learning_rate: 0.01 }), /GRPOConfig.learning_rate/);
  assert.throws(() => GRPOTrainer.resume(saved, fresh, banditTask(), { ...cfg, advantage: 'grpo' }), /GRPOConfig.advantage/);
  resumed.dispose();
  fresh.dispose();
});

test('no tensor leaks: tf.memory().numTensors is the same after 10 and after 200 steps', async () => {
  await initBackend('cpu');
  const policy = banditPolicy();
  const trainer = new GRPOTrainer(policy, banditTask(), { num_generations: 4, prompts_per_step: 4, num_iterations: 2, seed: 1 });
  trainer.train(10);
  const after10 = tf.memory().numTensors;
  trainer.train(190);
  assert.equal(tf.memory().numTensors, after10);
  trainer.checkpoint();
  assert.equal(tf.memory().numTensors, after10, 'checkpoint leaks nothing');
  trainer.dispose();
  policy.dispose();
});

test('a policy that throws mid-update leaves no tensors behind', async () => {
  await initBackend('cpu');
  const policy = banditPolicy();
  let calls = 0;
  // Delegates to the real policy; the second evaluate() (second update of the first step) throws.
  const flaky: Policy = Object.assign(Object.create(policy) as Policy, {
    evaluate: (...args: Parameters<Policy['evaluate']>) => {
      calls += 1;
      if (calls === 2) throw new Error('boom');
      return policy.evaluate(...args);
    },
  });
  const trainer = new GRPOTrainer(flaky, banditTask(), { ...SMALL, num_iterations: 2 });
  const before = tf.memory().numTensors;
  assert.throws(() => trainer.trainStep(), /boom/);
  assert.equal(tf.memory().numTensors, before);
  trainer.dispose();
  policy.dispose();
});

test('bad input: clear errors naming the parameter, group, reward function and sample', async () => {
  await initBackend('cpu');
  const policy = banditPolicy();
  const task = banditTask();
  assert.throws(() => new GRPOTrainer(policy, task, { num_generations: 1 }), /num_generations must be >= 2 with advantage 'grpo'/);
  assert.throws(() => new GRPOTrainer(policy, task, { num_generations: 1, advantage: 'rloo' }), /num_generations/);
  assert.throws(() => new GRPOTrainer(policy, task, { learning_rate: -1 }), /GRPOConfig.learning_rate/);
  assert.throws(() => new GRPOTrainer(policy, task, { epsilon: 1.5 }), /GRPOConfig.epsilon /);
  assert.throws(() => new GRPOTrainer(policy, task, { loss_type: 'ppo' as LossType }), /GRPOConfig.loss_type/);
  assert.throws(() => new GRPOTrainer(policy, task, { temperature: 0 }), /GRPOConfig.temperature/);
  assert.throws(() => new GRPOTrainer(policy, task, { prompts_per_step: 2.5 }), /GRPOConfig.prompts_per_step/);
  assert.throws(() => new GRPOTrainer(policy, task, { beta: Number.NaN }), /GRPOConfig.beta/);
  assert.throws(() => new GRPOTrainer(policy, task, { lr: 0.1 } as GRPOConfig), /unknown key 'lr'/);
  assert.throws(() => new GRPOTrainer(policy, task, { advantage: 'ppo' as 'grpo' }), /unknown estimator 'ppo'/);
  // A task group the policy has no embedding for.
  const other = tableTask({ groups: ['maj', 'x'], shares: [1, 1], rewardTable: { maj: [1, 0, 0, 0], x: [0, 1, 0, 0] } });
  assert.throws(() => new GRPOTrainer(policy, other, {}), /task group 'x' is unknown to the policy/);
  // A task that emits a group it did not declare.
  const rogue: Task = { ...task, samplePrompts: (n) => Array.from({ length: n }, (_, i) => ({ id: `q${i}`, features: new Float32Array(0), group: 'ghost' })) };
  const t1 = new GRPOTrainer(policy, rogue, SMALL);
  assert.throws(() => t1.trainStep(), /prompt 'q0' has unknown preference group 'ghost'/);
  t1.dispose();
  // A reward function that returns NaN for response 2.
  const nanTask: Task = { ...task, rewardFunctions: [...task.rewardFunctions, { name: 'broken', weight: 1, fn: (r) => (r[0] === 2 ? Number.NaN : 0) }] };
  const t2 = new GRPOTrainer(policy, nanTask, { ...SMALL, prompts_per_step: 32 });
  assert.throws(() => t2.trainStep(), /reward function 'broken' returned NaN for sample \d+ \(prompt '\w+#\d+', group '\w+', response \[2\]\)/);
  t2.dispose();
  const infTask: Task = { ...task, rewardFunctions: [{ name: 'inf', weight: 1, fn: () => Infinity }] };
  const t3 = new GRPOTrainer(policy, infTask, SMALL);
  assert.throws(() => t3.trainStep(), /reward function 'inf' returned Infinity for sample 0/);
  t3.dispose();
  assert.throws(() => tableTask({ groups: ['a'], shares: [1, 2], rewardTable: { a: [1] } }), /shares has 2 entries/);
  assert.throws(() => tableTask({ groups: ['a', 'b'], shares: [1, 1], rewardTable: { a: [1, 0], b: [1] } }), /rewardTable\['b'\] has 1 entries/);
  assert.throws(() => createPGRPOTrainer(policy, task, { advantage: 'grpo' } as GRPOConfig), /GRPOConfig.advantage is set by createPGRPOTrainer/);
  policy.dispose();
});

test('GRPO and P-GRPO both raise the mean reward on an 80/20 two-group bandit', async () => {
  await initBackend('cpu');
  const cfg: GRPOConfig = { num_generations: 8, prompts_per_step: 8, learning_rate: 0.03, seed: 7 };
  const rewardCurve = (records: MetricRecord[], group: string) =>
    records.filter((r) => r.group === group && r.metric === 'reward_mean').map((r) => r.value);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const method of ['grpo', 'pgrpo'] as const) {
    const policy = banditPolicy(5);
    const task = banditTask(false);
    const trainer = method === 'grpo' ? new GRPOTrainer(policy, task, cfg) : createPGRPOTrainer(policy, task, cfg);
    assert.equal(trainer.estimator.name, method);
    const records = trainer.train(100);
    const all = rewardCurve(records, ALL_GROUPS);
    const start = mean(all.slice(0, 10));
    const end = mean(all.slice(-10));
    assert.ok(end > start + 0.2, `${method}: mean reward ${start.toFixed(3)} -> ${end.toFixed(3)}`);
    // Each group's own preferred response becomes likely (the policy sees the group embedding).
    const probs = policy.responseProbabilities({ size: 2, groups: GROUPS, features: new Float32Array(0) });
    assert.ok(probs[0]![0]! > 0.5, `${method}: majority prefers response 0 (${probs[0]})`);
    const frame = frameToRecords<MetricRecord>(trainer.metricsFrame());
    assert.ok(frame.some((r) => r.group === 'min' && r.metric === 'reward_mean'));
    assert.ok(frame.some((r) => r.group === 'maj' && r.metric === 'advantage_std'));
    trainer.dispose();
    policy.dispose();
  }
});

test('keepHistory: false streams records through onStep without keeping them; the run is the same', async () => {
  await initBackend('cpu');
  const cfg = { num_generations: 4, prompts_per_step: 4, seed: 3 };
  const keptPolicy = banditPolicy();
  const kept = new GRPOTrainer(keptPolicy, banditTask(), cfg);
  const expected = kept.train(5);
  const streamedPolicy = banditPolicy();
  const streamed = new GRPOTrainer(streamedPolicy, banditTask(), cfg);
  const seen: MetricRecord[] = [];
  const returned = streamed.train(5, { keepHistory: false, onStep: (records) => seen.push(...records) });
  assert.deepEqual(returned, []);
  assert.deepEqual(streamed.metrics(), []);
  assert.deepEqual(seen, expected);
  assert.equal(streamed.stepCount, 5);
  for (const t of [kept, streamed]) t.dispose();
  for (const p of [keptPolicy, streamedPolicy]) p.dispose();
});

test('stepMetrics reads the packed token statistics by name (TOKEN_STAT), hand-computed values', () => {
  // Two samples of group 'a': sample 0 has 2 tokens, sample 1 has 3; per-sample sums by statistic name.
  const sums = [
    { tokens: 2, kl: 0.2, low_clipped: 1, high_clipped: 0, entropy: 1.0 },
    { tokens: 3, kl: 0.4, low_clipped: 0, high_clipped: 2, entropy: 2.0 },
  ];
  const tokenStats = new Float32Array(sums.length * TOKEN_STATS);
  sums.forEach((s, i) => {
    for (const name of TOKEN_STAT_NAMES) tokenStats[i * TOKEN_STATS + TOKEN_STAT[name]] = s[name];
  });
  const records = stepMetrics(4, {
    groups: ['a'],
    groupOf: Int32Array.from([0, 0]),
    rewards: Float64Array.from([1, 0]),
    rewardParts: [],
    advantages: Float64Array.from([0.5, -0.5]),
    zeroStdGeneration: Uint8Array.from([0, 0]),
    tokenStats,
    hasKL: true,
    loss: 0.25,
    gradNorm: 1.5,
  });
  const get = (metric: string) => records.find((r) => r.group === 'a' && r.metric === metric)!.value;
  assert.equal(get('completion_length'), 2.5); // 5 tokens / 2 samples
  assert.ok(Math.abs(get('kl') - 0.6 / 5) < 1e-7);
  assert.equal(get('clip_ratio/low_mean'), 1 / 5);
  assert.equal(get('clip_ratio/high_mean'), 2 / 5);
  assert.equal(get('clip_ratio/region_mean'), 1 / 5 + 2 / 5);
  assert.equal(get('entropy'), 3 / 5);
  assert.deepEqual([...TOKEN_STAT_NAMES], ['tokens', 'kl', 'low_clipped', 'high_clipped', 'entropy']);
});
