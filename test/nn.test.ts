import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { dense, logSoftmaxPick, pickPerRow, type DenseActivation } from '../src/nn';
import { Rng } from '../src/random';

/** Deterministic values in (-1, 1), away from relu's kink so finite differences are clean. */
function values(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => {
    const v = 2 * rng.uniform() - 1;
    return Math.abs(v) < 0.05 ? v + 0.1 : v;
  });
}

/** tfjs's own dense layer, differentiated by tfjs: the reference for the custom gradient. */
function reference(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: DenseActivation): tf.Tensor2D {
  const z = tf.add(tf.matMul(x, w), b) as tf.Tensor2D;
  return activation === 'relu' ? tf.relu(z) : activation === 'tanh' ? tf.tanh(z) : z;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

for (const backend of ['cpu', 'wasm'] as const) {
  for (const activation of ['linear', 'relu', 'tanh'] as const) {
    test(`[${backend}] dense (${activation}): value and gradients equal tfjs's own to float32 tolerance`, async () => {
      await initBackend(backend);
      const rng = new Rng(11);
      const x = tf.tensor2d(values(rng, 5 * 4), [5, 4]);
      const w = tf.tensor2d(values(rng, 4 * 3), [4, 3]);
      const b = tf.tensor1d(values(rng, 3));
      const upstream = tf.tensor2d(values(rng, 5 * 3), [5, 3]); // a non-uniform dy, so every gradient term matters
      type Layer = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
      const loss = (f: Layer) => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.mul(f(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), upstream)) as tf.Scalar;
      const mine = tf.valueAndGrads(loss((xx, ww, bb) => dense(xx, ww, bb, { activation })))([x, w, b]);
      const theirs = tf.valueAndGrads(loss((xx, ww, bb) => reference(xx, ww, bb, activation)))([x, w, b]);
      assert.ok(Math.abs(mine.value.dataSync()[0]! - theirs.value.dataSync()[0]!) < 1e-5);
      ['x', 'w', 'b'].forEach((name, i) => {
        const d = maxAbsDiff(mine.grads[i]!, theirs.grads[i]!);
        assert.ok(d < 1e-5, `d/d${name} differs by ${d}`);
        // The gradient is not trivially zero (a test that cannot fail is no test).
        assert.ok(tf.tidy(() => tf.max(tf.abs(theirs.grads[i]!)).dataSync()[0]!) > 1e-3, `d/d${name} is zero`);
      });
      tf.dispose([x, w, b, upstream, mine.value, theirs.value, ...mine.grads, ...theirs.grads]);
    });
  }

  test(`[${backend}] dense without a bias (null): value and gradients equal tfjs's matMul, with and without input gradient`, async () => {
    await initBackend(backend);
    const rng = new Rng(12);
    const x = tf.tensor2d(values(rng, 6 * 4), [6, 4]);
    const w = tf.tensor2d(values(rng, 4 * 5), [4, 5]);
    const upstream = tf.tensor2d(values(rng, 6 * 5), [6, 5]);
    const loss = (f: (xx: tf.Tensor2D, ww: tf.Tensor2D) => tf.Tensor2D) => (xx: tf.Tensor, ww: tf.Tensor) =>
      tf.sum(tf.mul(f(xx as tf.Tensor2D, ww as tf.Tensor2D), upstream)) as tf.Scalar;
    const mine = tf.valueAndGrads(loss((xx, ww) => dense(xx, ww, null, { activation: 'tanh' })))([x, w]);
    const theirs = tf.valueAndGrads(loss((xx, ww) => tf.tanh(tf.matMul(xx, ww)) as tf.Tensor2D))([x, w]);
    assert.ok(Math.abs(mine.value.dataSync()[0]! - theirs.value.dataSync()[0]!) < 1e-5);
    mine.grads.forEach((g, i) => assert.ok(maxAbsDiff(g, theirs.grads[i]!) < 1e-5, `gradient ${i}`));
    // With captured data only w is an input; its gradient is tfjs's for the plain product.
    const wLoss = (f: (ww: tf.Tensor2D) => tf.Tensor2D) => (ww: tf.Tensor) => tf.sum(tf.mul(f(ww as tf.Tensor2D), upstream)) as tf.Scalar;
    const onData = tf.valueAndGrad(wLoss((ww) => dense(x, ww, null, { inputGradient: false })))(w);
    const plain = tf.valueAndGrad(wLoss((ww) => tf.matMul(x, ww) as tf.Tensor2D))(w);
    assert.ok(maxAbsDiff(onData.grad, plain.grad) < 1e-5 && maxAbsDiff(onData.value, plain.value) < 1e-5);
    assert.throws(() => dense(x, w, tf.tensor1d([1, 2])), /dense: b must be \[5\] to match w \[4,5\], got shape \[2\]/);
    tf.dispose([x, w, upstream, mine.value, theirs.value, ...mine.grads, ...theirs.grads, onData.value, onData.grad, plain.value, plain.grad]);
  });

  test(`[${backend}] dense gradients match central finite differences (relu, one hidden layer into a linear layer)`, async () => {
    await initBackend(backend);
    const rng = new Rng(15); // 5 of the 12 relu units active, every pre-activation >= 0.2 from the kink
    const x = tf.tensor2d(values(rng, 3 * 2), [3, 2]);
    const w1 = tf.variable(tf.tensor2d(values(rng, 2 * 4), [2, 4]));
    const b1 = tf.variable(tf.tensor1d(values(rng, 4)));
    const w2 = tf.variable(tf.tensor2d(values(rng, 4 * 2), [4, 2]));
    const b2 = tf.variable(tf.tensor1d(values(rng, 2)));
    const objective = () =>
      tf.tidy(() => {
        const h = dense(x, w1, b1, { activation: 'relu', inputGradient: false });
        return tf.sum(tf.square(dense(h, w2, b2))) as tf.Scalar;
      });
    // Central differences are exact only away from relu's kink: every pre-activation is kept at
    // least 20 steps from zero.
    const h = 1e-3;
    const minPre = tf.tidy(() => tf.min(tf.abs(tf.add(tf.matMul(x, w1), b1))).dataSync()[0]!);
    assert.ok(minPre > 20 * h * 2, `a pre-activation is ${minPre} from relu's kink; pick other test values`);
    const vars: tf.Variable[] = [w1, b1, w2, b2];
    const { value, grads } = tf.variableGrads(objective, vars);
    value.dispose();
    for (const v of vars) {
      const base = Array.from(v.dataSync());
      for (let idx = 0; idx < base.length; idx++) {
        const at = (delta: number) => {
          const shifted = [...base];
          shifted[idx] = base[idx]! + delta;
          tf.tidy(() => v.assign(tf.tensor(shifted, v.shape)));
          return tf.tidy(() => objective().dataSync()[0]!);
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
        const an = grads[v.name]!.dataSync()[idx]!;
        assert.ok(Math.abs(fd - an) <= 2e-3 * Math.max(1, Math.abs(an)), `${v.name}[${idx}]: fd ${fd} vs analytic ${an}`);
      }
    }
    tf.dispose([x, ...vars, ...Object.values(grads)]);
  });

  test(`[${backend}] dense with inputGradient false sends no gradient to x; default does`, async () => {
    await initBackend(backend);
    const x = tf.tensor2d([1, -2, 0.5, 3], [2, 2]);
    const w = tf.tensor2d([0.5, -1, 2, 0.25], [2, 2]);
    const b = tf.tensor1d([0.1, -0.2]);
    const [dxOn] = tf.grads((xx: tf.Tensor) => tf.sum(dense(xx as tf.Tensor2D, w, b)))([x]);
    // d sum(x W + b) / dx = row sums of W, repeated per row: [0.5 - 1, 2 + 0.25] = [-0.5, 2.25].
    assert.deepEqual(Array.from(dxOn!.dataSync()), [-0.5, 2.25, -0.5, 2.25]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      const { value, grads } = tf.variableGrads(() => tf.sum(dense(x, wv, bv, { activation: 'relu', inputGradient: false })) as tf.Scalar, [wv, bv]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    assert.equal(tf.memory().numTensors, before, 'no tensors leak from the custom gradient');
    tf.dispose([x, w, b, dxOn!]);
  });
}

const wv = tf.variable(tf.tensor2d([0.5, -1, 2, 0.25], [2, 2]), true, 'nn-test-w');
const bv = tf.variable(tf.tensor1d([0.1, -0.2]), true, 'nn-test-b');

test('dense: shape and activation errors name the argument', async () => {
  await initBackend('cpu');
  const x = tf.zeros([2, 3]) as tf.Tensor2D;
  assert.throws(() => dense(x, tf.zeros([4, 2]) as tf.Tensor2D, tf.zeros([2]) as tf.Tensor1D), /w must be \[3, out\]/);
  assert.throws(() => dense(x, tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([3]) as tf.Tensor1D), /b must be \[2\]/);
  assert.throws(() => dense(tf.zeros([3]) as unknown as tf.Tensor2D, tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([2]) as tf.Tensor1D), /x must be 2-D/);
  assert.throws(() => dense(x, tf.zeros([3, 2]) as tf.Tensor2D, tf.zeros([2]) as tf.Tensor1D, { activation: 'gelu' as never }), /activation must be one of/);
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] pickPerRow: values by hand; repeated picks add their gradients`, async () => {
    await initBackend(backend);
    const table = tf.tensor2d([0.1, 0.2, 0.3, 1.1, 1.2, 1.3], [2, 3]);
    const index = tf.tensor2d([2, 2, 0, 1, 0, 1], [2, 3], 'int32');
    const upstream = tf.tensor2d([1, 10, 100, 1000, 10000, 100000], [2, 3]);
    const picked = pickPerRow(table, index);
    assert.deepEqual(Array.from(picked.dataSync()).map((v) => Math.round(v * 10) / 10), [0.3, 0.3, 0.1, 1.2, 1.1, 1.2]);
    const [grad] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(pickPerRow(t as tf.Tensor2D, index), upstream)))([table]);
    // Row 0 picked column 2 twice (1 + 10) and column 0 once (100); row 1 column 1 twice (1000 + 100000), column 0 once.
    assert.deepEqual(Array.from(grad!.dataSync()), [100, 0, 11, 10000, 101000, 0]);
    assert.throws(() => pickPerRow(table, tf.tensor2d([0, 1], [1, 2], 'int32')), /index must be \[2, G\]/);
    assert.throws(() => pickPerRow(table, tf.tensor2d([0, 1, 0, 1], [2, 2], 'float32')), /int32/);
    tf.dispose([table, index, upstream, picked, grad!]);
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] logSoftmaxPick: values, entropy and gradient equal the op-by-op composition bit for bit; hand-checked on a small case`, async () => {
    await initBackend(backend);
    const rng = new Rng(21);
    const P = 5;
    const K = 7;
    const logits = tf.tensor2d(values(rng, P * K).map((v) => 3 * v), [P, K]);
    // Repeated picks in a row (their gradients must add up), G = 4 per row.
    const index = tf.tensor2d(Array.from({ length: P * 4 }, (_, i) => (i % 4 === 3 ? (i - 1) % K : (i * 5) % K)), [P, 4], 'int32');
    const upstream = tf.tensor2d(values(rng, P * 4), [P, 4]);
    const composed = (z: tf.Tensor2D) => pickPerRow(tf.logSoftmax(z), index);
    const fused = (z: tf.Tensor2D) => logSoftmaxPick(z, index).picked;
    const loss = (f: (z: tf.Tensor2D) => tf.Tensor2D) => (z: tf.Tensor) => tf.sum(tf.mul(f(z as tf.Tensor2D), upstream)) as tf.Scalar;
    const mine = tf.valueAndGrad(loss(fused))(logits);
    const theirs = tf.valueAndGrad(loss(composed))(logits);
    assert.deepEqual(Array.from(mine.grad.dataSync()), Array.from(theirs.grad.dataSync()), 'gradient');
    assert.deepEqual(Array.from(fused(logits).dataSync()), Array.from(composed(logits).dataSync()), 'picked values');
    const { entropy } = logSoftmaxPick(logits, index, { entropy: true });
    const expected = tf.tidy(() => {
      const logp = tf.logSoftmax(logits);
      return tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1));
    });
    assert.deepEqual(Array.from(entropy!.dataSync()), Array.from(expected.dataSync()), 'entropy');
    assert.equal(logSoftmaxPick(logits, index).entropy, undefined, 'no entropy unless asked for');
    // By hand: uniform logits over 2 responses give log(1/2) and entropy log 2; the gradient of one
    // pick of response 0 is (1 - 1/2, -1/2).
    const flat = tf.zeros([1, 2]) as tf.Tensor2D;
    const pick0 = tf.tensor2d([0], [1, 1], 'int32');
    const small = logSoftmaxPick(flat, pick0, { entropy: true });
    assert.ok(Math.abs(small.picked.dataSync()[0]! - Math.log(0.5)) < 1e-7 && Math.abs(small.entropy!.dataSync()[0]! - Math.log(2)) < 1e-7);
    const g = tf.grad((z: tf.Tensor) => tf.sum(logSoftmaxPick(z as tf.Tensor2D, pick0).picked))(flat);
    assert.deepEqual(Array.from(g.dataSync()), [0.5, -0.5]);
    assert.throws(() => logSoftmaxPick(logits, tf.tensor2d([0, 1], [1, 2], 'int32')), /logSoftmaxPick: index must be \[5, G\]/);
    tf.dispose([logits, index, upstream, mine.value, mine.grad, theirs.value, theirs.grad, entropy!, expected, flat, pick0, small.picked, small.entropy!, g]);
  });
}
