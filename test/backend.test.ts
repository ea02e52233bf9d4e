import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BackendUnavailableError, initBackend, requestedBackend, tf } from '../src/backend';

function installed(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

test('forcing a native backend that cannot load names what to install', async () => {
  if (tf.findBackendFactory('tensorflow') !== null) return; // a real native binding is present
  await assert.rejects(initBackend('node-gpu'), (err: unknown) => {
    assert.ok(err instanceof BackendUnavailableError);
    assert.match(err.message, /backend 'node-gpu' cannot be used/);
    assert.match(err.message, /npm install @tensorflow\/tfjs-node-gpu/);
    return true;
  });
  // In this repository '@tensorflow/tfjs-node' resolves to the danfojs alias, which loads but is not native.
  await assert.rejects(initBackend('node'), /registered no 'tensorflow' backend|did not load/);
});

test('auto takes wasm when no native binding loads, and reports what it skipped', async () => {
  const info = await initBackend('auto');
  if (installed('@tensorflow/tfjs-node-gpu') && tf.findBackendFactory('tensorflow') !== null) {
    assert.equal(info.kind, 'node-gpu');
    return;
  }
  assert.equal(info.kind, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(
    info.skipped.map((s) => s.kind),
    ['node-gpu', 'node'],
  );
});

test('wasm and cpu both compute the same small product', async () => {
  const results: number[][] = [];
  for (const kind of ['wasm', 'cpu']) {
    const info = await initBackend(kind);
    assert.equal(tf.getBackend(), info.tfBackend);
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])));
    results.push(Array.from(await y.data()));
    y.dispose();
  }
  assert.deepEqual(results, [[17, 39], [17, 39]]);
});

test('the environment variable chooses, and a bad name is rejected naming it', () => {
  const before = process.env.HPA_BACKEND;
  try {
    process.env.HPA_BACKEND = 'cpu';
    assert.equal(requestedBackend(), 'cpu');
    assert.equal(requestedBackend('wasm'), 'wasm');
    process.env.HPA_BACKEND = 'webgpu';
    assert.throws(() => requestedBackend(), /HPA_BACKEND = 'webgpu' is not a backend/);
  } finally {
    if (before === undefined) delete process.env.HPA_BACKEND;
    else process.env.HPA_BACKEND = before;
  }
});
