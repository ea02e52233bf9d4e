import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend } from '../src/backend';
import {
  CellFailedError,
  ExperimentAbortedError,
  ExperimentFailedError,
  defineExperiment,
  enumerateCells,
  experimentStatus,
  formatProgress,
  getExperiment,
  mergeExperiment,
  notebookProgress,
  parseShard,
  planExperiment,
  registerExperimentModule,
  runExperiment,
  selectShard,
  terminalProgress,
  type ExperimentProgress,
} from '../src/experiments';
import type { MetricRecord } from '../src/frames';
import { isAlive, waitForLines } from './helpers/processes';

// ---------------------------------------------------------------------------------------------
// A toy experiment module written to a temp dir: values are a closed-form function of the cell,
// and every call of a run function appends a line to calls.log next to the module (so calls made
// in worker processes are counted too).
// ---------------------------------------------------------------------------------------------
const fixtureDir = mkdtempSync(join(tmpdir(), 'hpa-exp-fixture-'));
const callsFile = join(fixtureDir, 'calls.log');
const toyModule = join(fixtureDir, 'toy-experiments.ts');
const experimentsSrc = resolve(__dirname, '..', 'src', 'experiments');
const runtimeSrc = resolve(__dirname, '..', 'src', 'runtime');
writeFileSync(
  toyModule,
  `import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bySize } from ${JSON.stringify(runtimeSrc)};
import { defineExperiment, registerExperiment } from ${JSON.stringify(experimentsSrc)};

const calls = join(__dirname, 'calls.log');
const log = (line: string) => appendFileSync(calls, line + '\\n');

// value = scale * seed + 100 * [method is pgrpo] + beta * step + 0.25 * [group is b]
registerExperiment(defineExperiment({
  name: 'toy',
  version: 1,
  methods: ['grpo', 'pgrpo'],
  seeds: { smoke: [1], full: [1, 2, 3] },
  sweep: { name: 'beta', values: [0.5, 2] },
  config: () => ({ steps: bySize(1, 2), scale: 10 }),
  run: ({ method, seed, sweepValue, config }) => {
    log(method + ' ' + seed + ' ' + sweepValue + ' ' + process.pid);
    const beta = sweepValue as number;
    const out = [];
    for (let step = 0; step < config.steps; step++) {
      for (const group of ['a', 'b']) {
        out.push({ step, group, metric: 'reward', value: config.scale * seed + (method === 'pgrpo' ? 100 : 0) + beta * step + (group === 'b' ? 0.25 : 0) });
      }
    }
    out.push({ step: 0, group: 'c', metric: 'reward', value: NaN }); // a group with no samples
    return out;
  },
}));

registerExperiment(defineExperiment({
  name: 'toy-fail',
  version: 1,
  methods: ['ok', 'bad'],
  seeds: [1, 2],
  config: {},
  run: async ({ method, seed }) => {
    log(method + ' ' + seed);
    if (method === 'bad' && seed === 2) throw new Error('diverged at step 3');
    return [{ step: 0, group: 'all', metric: 'loss', value: seed }];
  },
}));

// A worker that dies (e.g. out of memory) while running method b.
registerExperiment(defineExperiment({
  name: 'toy-crash',
  version: 1,
  methods: ['a', 'b'],
  seeds: [0],
  config: {},
  run: ({ method }) => {
    if (method === 'b') process.exit(3);
    return [{ step: 0, group: 'all', metric: 'x', value: 1 }];
  },
}));

// Cell #0 finishes at once; the others log that they started, then wait until release.flag exists
// (written when the test is done with them) and fail, so that an abandoned cell never writes a file.
registerExperiment(defineExperiment({
  name: 'toy-slow',
  version: 1,
  methods: ['quick', 'slow1', 'slow2'],
  seeds: [0],
  config: {},
  run: async ({ method }) => {
    if (method !== 'quick') {
      appendFileSync(join(__dirname, 'slow-started.log'), method + ' ' + process.pid + '\\n');
      // (also ends when the test removed this folder, so an abandoned cell never outlives the test file)
      while (!existsSync(join(__dirname, 'release.flag')) && existsSync(__dirname)) await new Promise((r) => setTimeout(r, 20));
      throw new Error('released after the test');
    }
    return [{ step: 0, group: 'all', metric: 'x', value: 1 }];
  },
}));

// Each cell waits until two different processes have entered a cell: passes only if two workers
// really run at the same time.
registerExperiment(defineExperiment({
  name: 'toy-barrier',
  version: 1,
  methods: ['a', 'b'],
  seeds: [0],
  config: {},
  run: async () => {
    const barrier = join(__dirname, 'barrier.log');
    appendFileSync(barrier, process.pid + '\\n');
    for (let waited = 0; waited < 20000; waited += 20) {
      const pids = new Set(readFileSync(barrier, 'utf8').trim().split('\\n'));
      if (pids.size >= 2) return [{ step: 0, group: 'all', metric: 'workers_seen', value: pids.size }];
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no second worker ran concurrently');
  },
}));
`,
);
registerExperimentModule(toyModule);
// Cache keys include the backend, so planning needs one: the notebooks' choice (HPA_BACKEND, else auto).
before(async () => {
  await initBackend();
});

function calls(): string[] {
  return existsSync(callsFile) ? readFileSync(callsFile, 'utf8').trim().split('\n').filter(Boolean) : [];
}
function resetCalls(): void {
  writeFileSync(callsFile, '');
}
const tempDirs = [fixtureDir];
after(() => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempCache(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hpa-exp-cache-'));
  tempDirs.push(dir);
  return dir;
}
function withMode<T>(smoke: boolean, f: () => T): T {
  const saved = process.env.HPA_SMOKE;
  process.env.HPA_SMOKE = smoke ? '1' : '0';
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env.HPA_SMOKE;
    else process.env.HPA_SMOKE = saved;
  }
}
async function withModeAsync<T>(smoke: boolean, f: () => Promise<T>): Promise<T> {
  const saved = process.env.HPA_SMOKE;
  process.env.HPA_SMOKE = smoke ? '1' : '0';
  try {
    return await f();
  } finally {
    if (saved === undefined) delete process.env.HPA_SMOKE;
    else process.env.HPA_SMOKE = saved;
  }
}
const quiet = { progress: 'none' as const };

test('cells: methods x seeds x sweep values in a stable order with their index; smoke shrinks the seeds', () => {
  const full = withMode(false, () => planExperiment(getExperiment('toy')));
  assert.equal(full.cells.length, 2 * 3 * 2);
  assert.deepEqual(
    full.cells.slice(0, 5).map((c) => [c.index, c.method, c.seed, c.sweepValue]),
    [
      [0, 'grpo', 1, 0.5],
      [1, 'grpo', 1, 2],
      [2, 'grpo', 2, 0.5],
      [3, 'grpo', 2, 2],
      [4, 'grpo', 3, 0.5],
    ],
  );
  assert.deepEqual(full.cells[11]!.label, 'method=pgrpo, seed=3, beta=2');
  assert.deepEqual(full.config, { steps: 2, scale: 10 });
  const smoke = withMode(true, () => planExperiment(getExperiment('toy')));
  assert.deepEqual(smoke.cells.map((c) => `${c.method}/${c.seed}/${c.sweepValue}`), ['grpo/1/0.5', 'grpo/1/2', 'pgrpo/1/0.5', 'pgrpo/1/2']);
  assert.deepEqual(smoke.config, { steps: 1, scale: 10 });
  // Without a sweep the cells carry no sweep fields.
  const plain = enumerateCells('x', ['a'], [7, 8], undefined, {});
  assert.deepEqual(plain, [
    { experiment: 'x', index: 0, method: 'a', seed: 7, config: {} },
    { experiment: 'x', index: 1, method: 'a', seed: 8, config: {} },
  ]);
});

test('run: labelled records with the closed-form values; a cached cell is not re-run; force re-runs', async () => {
  const cacheDir = tempCache();
  resetCalls();
  const first = await withModeAsync(false, () => runExperiment('toy', { cacheDir, ...quiet }));
  assert.equal(calls().length, 12);
  assert.equal(first.mode, 'full');
  assert.equal(first.records.length, 12 * 5);
  assert.ok(first.cells.every((c) => !c.cached));
  // Cell #11 is pgrpo, seed 3, beta 2: step 1, group b -> 10*3 + 100 + 2*1 + 0.25.
  const r = first.records.filter((x) => x.method === 'pgrpo' && x.seed === 3 && x.beta === 2 && x.step === 1 && x.group === 'b');
  assert.deepEqual(r, [{ step: 1, group: 'b', metric: 'reward', value: 132.25, method: 'pgrpo', seed: 3, beta: 2 }]);
  assert.equal(first.records[0]!.value, 10); // grpo, seed 1, beta 0.5, step 0, group a
  assert.ok(Number.isNaN(first.records[4]!.value), 'NaN survives the JSON cache');
  assert.equal(readdirSync(join(cacheDir, 'toy')).filter((f) => f.endsWith('.json')).length, 12);

  const reports: ExperimentProgress[] = [];
  const second = await withModeAsync(false, () => runExperiment('toy', { cacheDir, progress: (p) => reports.push(p) }));
  assert.equal(calls().length, 12, 'cached cells are not re-run');
  assert.deepEqual(reports.map((p) => [p.done, p.cached, p.ran, p.finished]), [[12, 12, 0, false], [12, 12, 0, true]]);
  assert.ok(second.cells.every((c) => c.cached));
  assert.deepEqual(second.records, first.records);

  const forced = await withModeAsync(false, () => runExperiment('toy', { cacheDir, force: true, ...quiet }));
  assert.equal(calls().length, 24);
  assert.deepEqual(forced.records, first.records);

  const frame = first.frame();
  assert.deepEqual(frame.columns, ['step', 'group', 'metric', 'value', 'method', 'seed', 'beta']);
  assert.deepEqual(frame.shape, [60, 7]);
});

test('cache key changes with version, config, mode and backend, not with config key order', () => {
  const base = { name: 'keyed', version: 1, methods: ['m'], seeds: [0], config: { lr: 0.1, steps: 5 }, run: () => [] };
  const key = (spec: typeof base & { version: number | string; config: object }, smoke = false, backend: 'cpu' | 'wasm' = 'wasm') =>
    withMode(smoke, () => planExperiment(defineExperiment(spec), { backend }).cells[0]!.key);
  const k = key(base);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(key({ ...base, config: { steps: 5, lr: 0.1 } }), k);
  assert.notEqual(key({ ...base, version: 2 }), k);
  assert.notEqual(key({ ...base, config: { lr: 0.2, steps: 5 } }), k);
  assert.notEqual(key(base, true), k, 'same config in smoke mode is another key: run may call bySize itself');
  assert.notEqual(key({ ...base, name: 'keyed2' }), k);
  assert.notEqual(key(base, false, 'cpu'), k, 'cpu and wasm results are cached under different keys');
});

test('a version bump re-runs the cells; a corrupt cache file is an error naming it', async () => {
  const cacheDir = tempCache();
  let runs = 0;
  const spec = { name: 'counted', version: 1, methods: ['m'], seeds: [0, 1], config: {}, run: () => (runs++, [{ step: 0, group: 'all', metric: 'x', value: 1 }]) };
  await runExperiment(defineExperiment(spec), { cacheDir, ...quiet });
  await runExperiment(defineExperiment(spec), { cacheDir, ...quiet });
  assert.equal(runs, 2);
  const v2 = await runExperiment(defineExperiment({ ...spec, version: 2 }), { cacheDir, ...quiet });
  assert.equal(runs, 4);
  const file = v2.cells[1]!.file;
  writeFileSync(file, '{"format": 1, "key": ');
  await assert.rejects(runExperiment(defineExperiment({ ...spec, version: 2 }), { cacheDir, ...quiet }), (err: Error) => {
    assert.ok(err.message.includes(file), err.message);
    assert.match(err.message, /corrupt experiment cache file .*not valid JSON/);
    return true;
  });
  assert.throws(() => mergeExperiment(defineExperiment({ ...spec, version: 2 }), { cacheDir }), (err: Error) => err.message.includes(file));
  assert.equal(runs, 4, 'a corrupt file is not silently recomputed');
  writeFileSync(file, JSON.stringify({ format: 2, key: 'abc', seconds: 0, records: [] }));
  await assert.rejects(runExperiment(defineExperiment({ ...spec, version: 2 }), { cacheDir, ...quiet }), /holds key "abc"/);
  // force overwrites it.
  await runExperiment(defineExperiment({ ...spec, version: 2 }), { cacheDir, force: true, ...quiet });
  assert.equal(mergeExperiment(defineExperiment({ ...spec, version: 2 }), { cacheDir }).records.length, 2);
});

test('shards 0/3, 1/3, 2/3 partition the cells and merge reassembles a full run', async () => {
  const shardCache = tempCache();
  const fullCache = tempCache();
  resetCalls();
  const indices: number[][] = [];
  for (const shard of ['0/3', '1/3', '2/3']) {
    const res = await withModeAsync(false, () => runExperiment('toy', { cacheDir: shardCache, shard, ...quiet }));
    indices.push(res.cells.map((c) => c.index));
  }
  assert.deepEqual(indices, [
    [0, 3, 6, 9],
    [1, 4, 7, 10],
    [2, 5, 8, 11],
  ]);
  assert.equal(calls().length, 12, 'every cell ran exactly once across the shards');
  const merged = withMode(false, () => mergeExperiment('toy', { cacheDir: shardCache }));
  const single = await withModeAsync(false, () => runExperiment('toy', { cacheDir: fullCache, ...quiet }));
  assert.deepEqual(merged.records, single.records);
  assert.deepEqual(merged.cells.map((c) => c.index), single.cells.map((c) => c.index));
});

test('merge with a missing shard lists every missing cell', async () => {
  const cacheDir = tempCache();
  await withModeAsync(false, () => runExperiment('toy', { cacheDir, shard: { index: 0, count: 3 }, ...quiet }));
  await withModeAsync(false, () => runExperiment('toy', { cacheDir, shard: '2/3', ...quiet }));
  const status = withMode(false, () => experimentStatus('toy', { cacheDir }));
  assert.deepEqual(status.missing.map((c) => c.index), [1, 4, 7, 10]);
  assert.throws(
    () => withMode(false, () => mergeExperiment('toy', { cacheDir })),
    (err: Error) => {
      assert.match(err.message, /4 of 12 cells are missing/);
      for (const cell of ['#1 (method=grpo, seed=1, beta=2)', '#4 (method=grpo, seed=3, beta=0.5)', '#7 (method=pgrpo, seed=1, beta=2)', '#10 (method=pgrpo, seed=3, beta=0.5)']) {
        assert.ok(err.message.includes(cell), `${cell} in ${err.message}`);
      }
      assert.ok(!err.message.includes('#0 '), err.message);
      return true;
    },
  );
});

test('shard parsing and selection', () => {
  assert.deepEqual(parseShard('1/3'), { index: 1, count: 3 });
  assert.throws(() => parseShard('3/3'), /shard index must be an integer in \[0, 2\]/);
  assert.throws(() => parseShard('1of3'), /shard must look like i\/n/);
  assert.throws(() => parseShard('0/0'), /shard count must be a positive integer/);
  assert.deepEqual(selectShard([{ index: 0 }, { index: 1 }, { index: 2 }], { index: 1, count: 2 }), [{ index: 1 }]);
});

test('2 workers give the same records as 1 worker, computed in child processes', async () => {
  const oneCache = tempCache();
  const twoCache = tempCache();
  const one = await withModeAsync(false, () => runExperiment('toy', { cacheDir: oneCache, ...quiet }));
  resetCalls();
  const reports: ExperimentProgress[] = [];
  const two = await withModeAsync(false, () => runExperiment('toy', { cacheDir: twoCache, workers: 2, progress: (p) => reports.push(p) }));
  assert.equal(calls().length, 12);
  const pids = new Set(calls().map((line) => Number(line.split(' ')[3])));
  assert.ok(!pids.has(process.pid) && pids.size <= 2, `cells ran in at most 2 child processes, got pids ${[...pids]}`);
  assert.deepEqual(two.records, one.records);
  assert.deepEqual(two.cells.map((c) => c.index), [...Array(12).keys()]);
  assert.ok(two.cells.every((c) => !c.cached));
  const last = reports.at(-1)!;
  assert.deepEqual([last.done, last.ran, last.cached, last.failed, last.finished], [12, 12, 0, 0, true]);
  assert.equal(reports.length, 14, 'a start report, one per cell, and a final one');
});

test('2 workers run cells concurrently', async () => {
  rmSync(join(fixtureDir, 'barrier.log'), { force: true });
  const res = await runExperiment('toy-barrier', { cacheDir: tempCache(), workers: 2, ...quiet });
  assert.deepEqual(res.records.map((r) => r.value), [2, 2]);
});

test('a failing cell names method and seed, in process and in workers; a dying worker names its cell; continueOnError finishes the rest', async () => {
  for (const workers of [1, 2]) {
    const cacheDir = tempCache();
    await assert.rejects(runExperiment('toy-fail', { cacheDir, workers, ...quiet }), (err: Error) => {
      assert.ok(err instanceof CellFailedError, `${workers} workers: ${err.stack}`);
      assert.match(err.message, /experiment 'toy-fail' cell #3 \(method=bad, seed=2\) failed: diverged at step 3/);
      assert.deepEqual([err.cell.method, err.cell.seed], ['bad', 2]);
      return true;
    });
  }
  await assert.rejects(
    runExperiment('toy-crash', { cacheDir: tempCache(), workers: 2, ...quiet }),
    /experiment worker for 'toy-crash' exited unexpectedly \(code 3, signal null\) while running cell #1 \(method=b, seed=0\)/,
  );
  const cacheDir = tempCache();
  await assert.rejects(runExperiment('toy-fail', { cacheDir, continueOnError: true, ...quiet }), (err: Error) => {
    assert.ok(err instanceof ExperimentFailedError);
    assert.match(err.message, /1 of 4 cells failed/);
    assert.match(err.message, /#3 \(method=bad, seed=2\): diverged at step 3/);
    return true;
  });
  assert.deepEqual(experimentStatus('toy-fail', { cacheDir }).missing.map((c) => c.index), [3]);
});

test('bad definitions and unknown names are clear errors', () => {
  const ok = { name: 'v', version: 1, methods: ['a'], seeds: [0], config: {}, run: () => [] };
  assert.throws(() => getExperiment('nope'), /unknown experiment 'nope' \(known: .*toy, toy-barrier, toy-crash, toy-fail, toy-slow\)/);
  assert.throws(() => defineExperiment({ ...ok, name: 'a/b' }), /experiment name must/);
  assert.throws(() => defineExperiment({ ...ok, seeds: [1, 1] }), /seeds lists 1 twice/);
  assert.throws(() => defineExperiment({ ...ok, seeds: [0.5] }), /seeds\[0\] must be one of integers/);
  assert.throws(() => defineExperiment({ ...ok, methods: [] }), /methods must be a non-empty array/);
  assert.throws(() => defineExperiment({ ...ok, sweep: { name: 'seed', values: [1] } }), /sweep.name 'seed' clashes/);
  assert.throws(() => defineExperiment({ ...ok, config: { train: { learning_rate: NaN } } }), /config.train.learning_rate must be a finite number/);
  assert.throws(() => planExperiment(defineExperiment({ ...ok, config: () => ({ when: new Date(0) }) })), /config \(full mode\).when must be a plain object/);
  // A run function returning malformed records fails naming the cell and the record.
  const bad = defineExperiment({ ...ok, run: () => [{ step: 0, group: 'a', metric: 'm', value: 'high' }] as unknown as MetricRecord[] });
  return assert.rejects(runExperiment(bad, { cacheDir: tempCache(), ...quiet }), /cell #0 \(method=a, seed=0\) failed: run function output: record 0: value must be a number, got "high"/);
});

test('progress: terminal bar on a TTY, lines otherwise, HTML bar updated in place in notebooks', async () => {
  const p: ExperimentProgress = { experiment: 'toy', total: 4, done: 2, cached: 1, ran: 1, failed: 0, elapsedMs: 3000, finished: false, last: { index: 1, label: 'method=a, seed=1' } };
  // ETA: 3 s for the one cell that ran, 2 cells left -> 6 s.
  assert.equal(formatProgress(p, 8), 'toy [####----] 2/4 cells, 1 cached, 0 failed, 3.0 s, eta 6.0 s (last: method=a, seed=1)');

  const tty: string[] = [];
  const lines: string[] = [];
  const html: string[] = [];
  const cacheDir = tempCache();
  const fanOut = [terminalProgress({ stream: { write: (s: string) => tty.push(s), isTTY: true } }), terminalProgress({ stream: { write: (s: string) => lines.push(s) }, every: 2 }), notebookProgress({ html: (s) => html.push(s) })];
  await withModeAsync(true, () => runExperiment('toy', { cacheDir, progress: (q) => fanOut.forEach((f) => f(q)) }));
  assert.equal(tty.length, 6);
  assert.ok(tty.every((s) => s.startsWith('\r')));
  assert.ok(tty.at(-1)!.endsWith('\n') && !tty[0]!.includes('\n'));
  assert.equal(lines.length, 3, 'start, after 2 of 4 cells, and the final line');
  assert.match(lines.at(-1)!, /^toy \[#+\] 4\/4 cells, 0 cached, 0 failed/);
  assert.equal(html.length, 6);
  assert.match(html[0]!, /width:0\.0%/);
  assert.match(html[3]!, /width:75\.0%/);
  assert.match(html.at(-1)!, /width:100\.0%.*<b>toy<\/b>: 4\/4 cells/);
});

test('CLI: list, run in shards with --module, status and merge --out csv', () => {
  const cacheDir = tempCache();
  const out = join(cacheDir, 'toy.csv');
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', resolve(__dirname, '..', 'scripts', 'experiment.ts'), ...args, '--module', toyModule, '--cache-dir', cacheDir], { encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: undefined } });
    return { code: r.status, text: r.stdout + r.stderr };
  };
  const list = cli('list', '--smoke');
  assert.equal(list.code, 0, list.text);
  assert.match(list.text, /toy \(version 1\): methods \[grpo, pgrpo\], seeds \[1\], beta in \[0.5, 2\]: 4 cells in smoke mode/);
  const run = cli('run', 'toy', '--smoke', '--shard', '0/2');
  assert.equal(run.code, 0, run.text);
  assert.match(run.text, /toy \(smoke, [a-z-]+, shard 0\/2\): 2 cells \(2 ran, 0 cached\), 6 records/);
  const status = cli('status', 'toy', '--smoke');
  assert.equal(status.code, 0, status.text);
  assert.match(status.text, /toy \(smoke, [a-z-]+\): 2 of 4 cells cached in .*\n  missing #1 \(method=grpo, seed=1, beta=2\)\n  missing #3 \(method=pgrpo, seed=1, beta=2\)\n/);
  assert.equal(cli('run', 'toy', '--smoke', '--shard', '1/2').code, 0);
  const merge = cli('merge', 'toy', '--smoke', '--out', out);
  assert.equal(merge.code, 0, merge.text);
  const csv = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(csv[0], 'step,group,metric,value,method,seed,beta');
  assert.equal(csv.length, 1 + 4 * 3);
  assert.equal(csv[1], '0,a,reward,10,grpo,1,0.5');
  assert.equal(csv[3], '0,c,reward,NaN,grpo,1,0.5');
});

test('a cache file without records, with another cell\'s records or an unknown backend is not a finished cell: an error naming it; a cell returning no records fails', async () => {
  const cacheDir = tempCache();
  const spec = { name: 'unfinished', version: 1, methods: ['m'], seeds: [0, 1], config: {}, run: ({ seed }: { seed: number }) => [{ step: 0, group: 'all', metric: 'x', value: seed }] };
  const first = await runExperiment(defineExperiment(spec), { cacheDir, ...quiet });
  const file = first.cells[1]!.file;
  const entry = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(entry.format, 2);
  assert.equal(entry.backend, first.backend, 'the backend is recorded with the cell');
  const rejectsNaming = async (pattern: RegExp) => {
    await assert.rejects(runExperiment(defineExperiment(spec), { cacheDir, ...quiet }), (err: Error) => {
      assert.ok(err.message.includes(file), err.message);
      assert.match(err.message, pattern);
      return true;
    });
    assert.throws(() => mergeExperiment(defineExperiment(spec), { cacheDir }), (err: Error) => err.message.includes(file) && pattern.test(err.message));
  };
  writeFileSync(file, JSON.stringify({ ...entry, records: [] }));
  await rejectsNaming(/holds no records, so the cell did not finish/);
  writeFileSync(file, JSON.stringify({ ...entry, records: [{ ...entry.records[0], seed: 0 }] }));
  await rejectsNaming(/record 0 is labelled method=m, seed=0 but the cell is method=m, seed=1/);
  writeFileSync(file, JSON.stringify({ ...entry, backend: 'gpu' }));
  await rejectsNaming(/backend "gpu" is not one of node-gpu, node, wasm, cpu/);
  const { cell: _dropped, ...withoutCell } = entry;
  writeFileSync(file, JSON.stringify(withoutCell));
  await rejectsNaming(/cell \(method, seed\) is missing/);
  const forced = await runExperiment(defineExperiment(spec), { cacheDir, force: true, ...quiet });
  assert.deepEqual(forced.records.map((r) => r.value), [0, 1]);
  await assert.rejects(
    runExperiment(defineExperiment({ ...spec, name: 'empty', run: () => [] }), { cacheDir, ...quiet }),
    /experiment 'empty' cell #0 \(method=m, seed=0\) failed: run function output: no records/,
  );
  assert.ok(!existsSync(join(cacheDir, 'empty')), 'nothing cached for a cell without records');
});

test('cells computed on another backend are not mixed in: both caches coexist, and merge says where the missing cells are', async () => {
  const cacheDir = tempCache();
  try {
    await initBackend('cpu');
    const onCpu = await withModeAsync(true, () => runExperiment('toy', { cacheDir, ...quiet }));
    assert.equal(onCpu.backend, 'cpu');
    await initBackend('wasm');
    assert.throws(
      () => withMode(true, () => mergeExperiment('toy', { cacheDir })),
      /backend wasm\): 4 of 4 cells are missing .*of the missing cells, 4 for backend cpu are cached: they were computed on another backend/,
    );
    assert.equal(withMode(true, () => mergeExperiment('toy', { cacheDir, backend: 'cpu' })).records.length, 12);
    resetCalls();
    const onWasm = await withModeAsync(true, () => runExperiment('toy', { cacheDir, ...quiet }));
    assert.equal(calls().length, 4, 'the cpu cells are not reused on wasm');
    assert.equal(onWasm.backend, 'wasm');
    assert.equal(readdirSync(join(cacheDir, 'toy')).length, 8);
    assert.deepEqual(onWasm.records, onCpu.records, 'the toy values do not use tfjs, so they agree');
  } finally {
    await initBackend();
  }
});

test('an aborted run stops: finished cells stay cached, the cells in progress are abandoned and not cached, no worker is left', async () => {
  const started = join(fixtureDir, 'slow-started.log');
  const release = join(fixtureDir, 'release.flag');
  try {
    for (const workers of [1, 2]) {
      rmSync(started, { force: true });
      const cacheDir = tempCache();
      const stop = new AbortController();
      const run = runExperiment('toy-slow', { cacheDir, workers, signal: stop.signal, ...quiet });
      const lines = await waitForLines(started, workers); // in process: slow1; with 2 workers: slow1 and slow2
      stop.abort(new Error('test stop'));
      const abandoned = workers === 1 ? '#1 \\(method=slow1, seed=0\\)' : '#1 \\(method=slow1, seed=0\\), #2 \\(method=slow2, seed=0\\)';
      await assert.rejects(run, (err: Error) => {
        assert.ok(err instanceof ExperimentAbortedError, err.stack);
        assert.match(err.message, new RegExp(`experiment 'toy-slow' stopped \\(test stop\\) after 1 of 3 cells; the finished cells are cached; abandoned \\(not cached\\): ${abandoned}$`));
        return true;
      });
      assert.deepEqual(experimentStatus('toy-slow', { cacheDir }).missing.map((c) => c.index), [1, 2]);
      assert.deepEqual(readdirSync(join(cacheDir, 'toy-slow')).filter((f) => !f.endsWith('.json')), [], 'no temporary files');
      if (workers === 2) {
        const pids = lines.map((l) => Number(l.split(' ')[1]));
        assert.equal(new Set(pids).size, 2);
        assert.ok(!pids.includes(process.pid));
        for (const pid of pids) assert.ok(!isAlive(pid), `worker ${pid} exited before the run settled`);
      }
    }
  } finally {
    writeFileSync(release, ''); // lets the abandoned in-process cell end (it fails, writing nothing)
  }
});
