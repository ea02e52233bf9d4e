import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, frameToRecords, recordsToFrame } from '../src';

test('records round-trip through a DataFrame', () => {
  const rows = [
    { step: 0, group: 'a', metric: 'reward_mean', value: 0.5 },
    { step: 1, group: 'b', metric: 'reward_mean', value: -1.25 },
  ];
  const df = recordsToFrame(rows);
  assert.deepEqual(df.columns, ['step', 'group', 'metric', 'value']);
  assert.deepEqual(df.shape, [2, 4]);
  assert.deepEqual(frameToRecords(df), rows);
  assert.deepEqual(recordsToFrame([], ['x']).columns, ['x']);
});

test('rng: same seed same stream, saved state resumes exactly, moments are right', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  for (let i = 0; i < 5; i++) assert.equal(a.nextUint32(), b.nextUint32());
  const saved = a.getState();
  const tail = [a.uniform(), a.normal(), a.int(10)];
  const resumed = Rng.fromState(saved);
  assert.deepEqual([resumed.uniform(), resumed.normal(), resumed.int(10)], tail);
  assert.notEqual(new Rng(1).nextUint32(), new Rng(2).nextUint32());

  const rng = new Rng(7);
  const n = 200_000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    sum += z;
    sumSq += z * z;
  }
  assert.ok(Math.abs(sum / n) < 0.01, `normal mean ${sum / n}`);
  assert.ok(Math.abs(sumSq / n - 1) < 0.015, `normal variance ${sumSq / n}`);
  const counts = [0, 0, 0];
  for (let i = 0; i < 30_000; i++) counts[rng.categorical([1, 2, 3])]!++;
  assert.ok(Math.abs(counts[2]! / 30_000 - 0.5) < 0.015, `categorical share ${counts[2]! / 30_000}`);
  assert.throws(() => rng.categorical([0, 0]), /not all zero/);
});
