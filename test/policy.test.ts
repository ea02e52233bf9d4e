import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { Rng } from '../src/random';
import { CategoricalMLPPolicy, supervisedWarmStart, type PolicyContexts } from '../src/policy';

const BACKENDS = ['cpu', 'wasm'] as const;

function contexts(groups: string[], featureDim: number, seed = 5): PolicyContexts {
  const rng = new Rng(seed);
  return { size: groups.length, groups, features: Float32Array.from({ length: groups.length * featureDim }, () => rng.normal()) };
}

test('initialisation is seeded, Glorot-bounded, and get/set/clone round-trip exactly', async () => {
  await initBackend('cpu');
  const opts = { numResponses: 4, groups: ['a', 'b'], featureDim: 3, embeddingDim: 2, hiddenSizes: [5] };
  const p1 = new CategoricalMLPPolicy({ ...opts, seed: 11 });
  const p2 = new CategoricalMLPPolicy({ ...opts, seed: 11 });
  const p3 = new CategoricalMLPPolicy({ ...opts, seed: 12 });
  const w1 = p1.getWeights();
  assert.deepEqual(w1.map((w) => w.name), ['embedding', 'dense0/kernel', 'dense0/bias', 'dense1/kernel', 'dense1/bias']);
  assert.deepEqual(w1.map((w) => w.shape), [[2, 2], [5, 5], [5], [5, 4], [4]]);
  assert.deepEqual(p2.getWeights(), w1);
  assert.notDeepEqual(p3.getWeights(), w1);
  // Glorot-uniform bound sqrt(6 / (fanIn + fanOut)); biases start at zero; embeddings within 0.05.
  assert.ok(w1[1]!.values.every((v) => Math.abs(v) <= Math.sqrt(6 / 10)));
  assert.ok(w1[3]!.values.every((v) => Math.abs(v) <= Math.sqrt(6 / 9)));
  assert.ok(w1[2]!.values.every((v) => v === 0));
  assert.ok(w1[0]!.values.every((v) => Math.abs(v) <= 0.05));

  const copy = p1.clone();
  assert.deepEqual(copy.getWeights(), w1);
  p1.setWeights(p3.getWeights());
  assert.deepEqual(p1.getWeights(), p3.getWeights());
  assert.deepEqual(copy.getWeights(), w1, 'the clone is independent of the original');
  assert.throws(() => p1.setWeights(w1.slice(1)), /expected 5 weight arrays/);
  const badShape = w1.map((w, i) => (i === 1 ? { ...w, shape: [25] } : w));
  assert.throws(() => p1.setWeights(badShape), /shape \[25\], expected \[5,5\]/);
  [p1, p2, p3, copy].forEach((p) => p.dispose());
});

test('bad options and inputs are errors naming the parameter', async () => {
  await initBackend('cpu');
  assert.throws(() => new CategoricalMLPPolicy({ numResponses: 1, groups: ['a'] }), /numResponses/);
  assert.throws(() => new CategoricalMLPPolicy({ numResponses: 3, groups: [] }), /groups/);
  assert.throws(() => new CategoricalMLPPolicy({ numResponses: 3, groups: ['a', 'a'] }), /'a' twice/);
  assert.throws(() => new CategoricalMLPPolicy({ numResponses: 3, groups: ['a'], embeddingDim: 0 }), /featureDim \+ embeddingDim/);
  assert.throws(() => new CategoricalMLPPolicy({ numResponses: 3, groups: ['a'], hiddenSizes: [4, 0] }), /hiddenSizes\[1\]/);
  const p = new CategoricalMLPPolicy({ numResponses: 3, groups: ['a'], featureDim: 2 });
  const rng = new Rng(0);
  assert.throws(() => p.sample(contexts(['zz'], 2), 2, 1, rng), /unknown preference group 'zz'/);
  assert.throws(() => p.sample(contexts(['a'], 3), 2, 1, rng), /contexts.features has 3 values/);
  assert.throws(() => p.sample(contexts(['a'], 2), 2, 0, rng), /temperature/);
  p.dispose();
});

for (const backend of BACKENDS) {
  test(`[${backend}] sampling is seeded, follows the probabilities, and old log-probs equal evaluate()`, async () => {
    await initBackend(backend);
    const p = new CategoricalMLPPolicy({ numResponses: 3, groups: ['a', 'b'], featureDim: 2, hiddenSizes: [8], seed: 3 });
    // Push the logits apart so the distribution is far from uniform.
    const w = p.getWeights();
    w[w.length - 1]!.values = [1.5, 0, -1];
    p.setWeights(w);
    const ctx = contexts(['a', 'b'], 2);
    const s1 = p.sample(ctx, 4000, 1, new Rng(9));
    const s2 = p.sample(ctx, 4000, 1, new Rng(9));
    assert.deepEqual(s1, s2);
    assert.equal(s1.rows, 8000);
    assert.equal(s1.length, 1);
    assert.ok(s1.mask.every((m) => m === 1));
    const probs = p.responseProbabilities(ctx);
    for (let c = 0; c < 2; c++) {
      assert.ok(Math.abs(probs[c]!.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      for (let k = 0; k < 3; k++) {
        let n = 0;
        for (let i = 0; i < 4000; i++) if (s1.tokens[c * 4000 + i] === k) n++;
        // 4 standard errors of a binomial share at n = 4000.
        const se = Math.sqrt((probs[c]![k]! * (1 - probs[c]![k]!)) / 4000);
        assert.ok(Math.abs(n / 4000 - probs[c]![k]!) < 4 * se + 1e-3, `context ${c} response ${k}: ${n / 4000} vs ${probs[c]![k]}`);
      }
    }
    // Temperature sharpens: at 0.5 the top response is more likely than at 1.
    const sharp = p.responseProbabilities(ctx, 0.5);
    const top = probs[0]!.indexOf(Math.max(...probs[0]!));
    assert.ok(sharp[0]![top]! > probs[0]![top]!);

    const small = p.sample(ctx, 3, 0.7, new Rng(1));
    const ev = p.evaluate(ctx, tf.tensor2d(small.tokens, [6, 1], 'int32'), 0.7);
    const logp = ev.logProbs.dataSync();
    const ent = ev.entropy!.dataSync();
    const withoutEntropy = p.evaluate(ctx, tf.tensor2d(small.tokens, [6, 1], 'int32'), 0.7, { entropy: false });
    assert.equal(withoutEntropy.entropy, undefined, 'entropy: false skips it');
    assert.deepEqual(withoutEntropy.logProbs.dataSync(), logp, 'same log-probs without the entropy');
    const p07 = p.responseProbabilities(ctx, 0.7);
    for (let i = 0; i < 6; i++) {
      const c = Math.floor(i / 3);
      // Sampling's old log-probs are exactly what the training forward computes.
      assert.equal(small.logProbs[i], logp[i]);
      assert.ok(Math.abs(logp[i]! - Math.log(p07[c]![small.tokens[i]!]!)) < 1e-5);
      const h = -p07[c]!.reduce((a, q) => a + q * Math.log(q), 0);
      assert.ok(Math.abs(ent[i]! - h) < 1e-5, `entropy ${ent[i]} vs ${h}`);
    }
    tf.dispose([ev.logProbs, ev.entropy]);
    p.dispose();
  });

  test(`[${backend}] evaluate() gradients match finite differences through the MLP`, async () => {
    await initBackend(backend);
    const p = new CategoricalMLPPolicy({ numResponses: 3, groups: ['a', 'b'], featureDim: 2, hiddenSizes: [4], activation: 'tanh', seed: 4 });
    const ctx = contexts(['a', 'b'], 2);
    const tokens = tf.tensor2d([0, 2, 1, 1], [4, 1], 'int32');
    const weights = [0.3, -1.1, 0.7, 2.0];
    const objective = () =>
      tf.tidy(() => tf.sum(tf.mul(p.evaluate(ctx, tokens, 1).logProbs, tf.tensor2d(weights, [4, 1]))) as tf.Scalar);
    const vars = p.trainableVariables();
    const { grads } = tf.variableGrads(objective, vars);
    const h = 1e-2;
    for (const [vi, idx] of [[0, 1], [1, 3], [2, 2], [3, 5], [4, 1]] as const) {
      const v = vars[vi]!;
      const base = Array.from(v.dataSync());
      const at = (delta: number) => {
        const shifted = [...base];
        shifted[idx] = base[idx]! + delta;
        tf.tidy(() => v.assign(tf.tensor(shifted, v.shape)));
        const s = objective();
        const out = s.dataSync()[0]!;
        s.dispose();
        return out;
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
      const an = grads[v.name]!.dataSync()[idx]!;
      assert.ok(Math.abs(fd - an) <= 1e-2 * Math.max(1, Math.abs(an)), `variable ${vi}[${idx}]: fd ${fd} vs analytic ${an}`);
    }
    tf.dispose(Object.values(grads));
    tokens.dispose();
    p.dispose();
  });
}

test('supervisedWarmStart fits the majority-biased response shares and its loss falls', async () => {
  await initBackend('cpu');
  const p = new CategoricalMLPPolicy({ numResponses: 3, groups: ['maj', 'min'], hiddenSizes: [8], seed: 1 });
  // Both groups see response 0 in 80% and response 1 in 20% of examples: the cross-entropy optimum is (0.8, 0.2, 0).
  const examples = ['maj', 'min'].flatMap((group) => [
    ...Array.from({ length: 8 }, () => ({ group, response: 0 })),
    ...Array.from({ length: 2 }, () => ({ group, response: 1 })),
  ]);
  const before = tf.memory().numTensors;
  const curve = supervisedWarmStart(p, examples, { steps: 150, learning_rate: 0.05, seed: 2 });
  assert.equal(tf.memory().numTensors, before, 'warm start leaks no tensors');
  assert.equal(curve.length, 150);
  assert.ok(Math.abs(curve[0]! - Math.log(3)) < 0.15, `initial loss ${curve[0]} near log 3 for a near-uniform start`);
  // Optimum: entropy of (0.8, 0.2) = 0.5004.
  assert.ok(curve[149]! < 0.52, `final loss ${curve[149]}`);
  const probs = p.responseProbabilities({ size: 2, groups: ['maj', 'min'], features: new Float32Array(0) });
  for (const row of probs) {
    assert.ok(Math.abs(row[0]! - 0.8) < 0.03 && Math.abs(row[1]! - 0.2) < 0.03, `probs ${row}`);
  }
  // Same seed, same curve.
  const q = new CategoricalMLPPolicy({ numResponses: 3, groups: ['maj', 'min'], hiddenSizes: [8], seed: 1 });
  assert.deepEqual(supervisedWarmStart(q, examples, { steps: 150, learning_rate: 0.05, seed: 2 }), curve);
  assert.throws(() => supervisedWarmStart(q, [{ group: 'maj', response: 3 }]), /examples\[0\]\.response token 3/);
  assert.throws(() => supervisedWarmStart(q, [{ group: 'maj', response: 0, features: [1] }]), /examples\[0\]\.features has 1 values/);
  assert.throws(() => supervisedWarmStart(q, examples, { steps: 0 }), /steps/);
  p.dispose();
  q.dispose();
});
