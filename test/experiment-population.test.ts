/**
 * The runner computes compatible cells together through an experiment's `population` hook: the
 * records (and the cache files' records) are the same as computed alone, in process, with workers
 * and in shards; cells are grouped by key in chunks of at most maxSize; cached cells are reused
 * whichever way they were computed; failures and aborts name every cell of a population.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend';
import {
  CellFailedError,
  ExperimentAbortedError,
  ExperimentFailedError,
  defineExperiment,
  experimentCsv,
  experimentStatus,
  getExperiment,
  mergeExperiment,
  planExperiment,
  populationChunks,
  readCachedCell,
  registerExperimentModule,
  runExperiment,
  type ExperimentProgress,
  type ExperimentResult,
} from '../src/experiments';
import type { MetricRecord } from '../src/frames';
import { POP_FAIL, POP_LOG_ENV, POP_SLOW, POP_SLOW_DIR_ENV, POP_TOY } from './fixtures/population-experiment';
import { isAlive, waitForLines } from './helpers/processes';

registerExperimentModule(join(__dirname, 'fixtures', 'population-experiment.ts'));
before(async () => {
  await initBackend(); // cache keys include the backend
});

const tempDirs: string[] = [];
after(() => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(prefix = 'hpa-pop-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
const quiet = { progress: 'none' as const };

// Every run function / population call of the fixtures logs a line here (worker processes too).
const logFile = join(tempDir('hpa-pop-log-'), 'calls.log');
process.env[POP_LOG_ENV] = logFile;

interface Call {
  kind: 'one' | 'pop';
  indices: number[];
  pid: number;
}
/** The calls logged since the last reset. */
function calls(): Call[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const parts = line.split(' ');
      if (parts[0] === 'one') return { kind: 'one', indices: [Number(parts[1])], pid: Number(parts[2]) };
      const indices = parts[2]!.split(',').map(Number);
      assert.equal(indices.length, Number(parts[1]));
      return { kind: 'pop', indices, pid: Number(parts[3]) };
    });
}
function resetCalls(): void {
  writeFileSync(logFile, '');
}
const popCalls = () => calls().filter((c) => c.kind === 'pop').map((c) => c.indices);
const oneCalls = () => calls().filter((c) => c.kind === 'one').map((c) => c.indices[0]!);

/** Each covered cell's records exactly as its cache file holds them (NaN stays encoded). */
function cachedRecordsText(result: ExperimentResult): string[] {
  return result.cells.map((c) => JSON.stringify(JSON.parse(readFileSync(c.file, 'utf8')).records));
}
function cacheEntry(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8'));
}

// pop-toy's cells: index = 6 * method + 2 * seed + beta index (methods grpo, pgrpo, solo; seeds 0-2;
// betas 0.5, 2). Key: the beta, except solo (#12-#17): null. maxSize 4, so each group of 6 is 3 + 3.
const BETA_05 = [0, 2, 4, 6, 8, 10];
const BETA_2 = [1, 3, 5, 7, 9, 11];
const SOLO = [12, 13, 14, 15, 16, 17];
const TOY_POPULATIONS = [
  [0, 2, 4],
  [1, 3, 5],
  [6, 8, 10],
  [7, 9, 11],
];

test('populationChunks: equal keys grouped in cell order, null keys alone, the fewest balanced chunks of at most maxSize, spread over workers; population: false or no hook: one cell each', () => {
  const plan = planExperiment(getExperiment(POP_TOY));
  const indices = (chunks: { index: number }[][]) => chunks.map((chunk) => chunk.map((c) => c.index));
  const singles = (list: number[]) => list.map((i) => [i]);
  assert.deepEqual(indices(populationChunks(plan.definition, plan.cells)), [...TOY_POPULATIONS, ...singles(SOLO)]);
  assert.deepEqual(indices(populationChunks(plan.definition, plan.cells, { population: false })), singles([...Array(18).keys()]));
  const { population: _hook, ...plain } = plan.definition;
  assert.deepEqual(indices(populationChunks(plain, plan.cells)), singles([...Array(18).keys()]));
  // A shard's cells are grouped among themselves.
  const evens = plan.cells.filter((c) => c.index % 2 === 0);
  assert.deepEqual(indices(populationChunks(plan.definition, evens)), [[0, 2, 4], [6, 8, 10], [12], [14], [16]]);
  // Two groups of 6 on 5 workers: at most ceil(12 / 5) = 3 per chunk gives 4 chunks, so the first
  // group with the largest chunks is split once more.
  const grouped = plan.cells.filter((c) => c.method !== 'solo');
  assert.deepEqual(indices(populationChunks(plan.definition, grouped, { workers: 5 })), [[0, 2], [1, 3, 5], [4, 6], [7, 9, 11], [8, 10]]);

  // One group of 9 (maxSize 32 by default): one population in process; split over k workers.
  const one = defineExperiment({ name: 'pop-one-group', version: 1, methods: ['m'], seeds: [...Array(9).keys()], config: {}, run: () => [], population: { key: () => 'k', run: () => [] } });
  const cells = planExperiment(one).cells;
  const sizes = (options: { workers?: number; maxSize?: number }) =>
    populationChunks({ ...one, population: { ...one.population!, maxSize: options.maxSize } }, cells, { workers: options.workers }).map((c) => c.length);
  assert.deepEqual(sizes({}), [9]);
  assert.deepEqual(sizes({ maxSize: 4 }), [3, 3, 3], 'the fewest chunks of at most 4, balanced (not 4 + 4 + 1)');
  assert.deepEqual(sizes({ maxSize: 5 }), [5, 4]);
  assert.deepEqual(sizes({ workers: 2 }), [5, 4], 'at most ceil(9 / 2) per chunk: both workers get work');
  assert.deepEqual(sizes({ workers: 4 }), [3, 2, 2, 2], 'ceil(9 / 4) = 3 would make 3 chunks: split once more so all 4 workers get one');
  assert.deepEqual(sizes({ workers: 16 }), Array(9).fill(1));
  assert.deepEqual(sizes({ workers: 2, maxSize: 3 }), [3, 3, 3], 'maxSize still caps');
  assert.deepEqual(populationChunks(one, [], { workers: 2 }), []);

  // A key that is neither a string nor null, or that throws, is an error naming the cell.
  const badKey = (key: () => unknown) => ({ ...one, population: { ...one.population!, key: key as () => string } });
  assert.throws(() => populationChunks(badKey(() => 3), cells), /experiment 'pop-one-group': population.key must return a string or null, got 3 for cell #0 \(method=m, seed=0\)/);
  assert.throws(() => populationChunks(badKey(() => undefined), cells), /must return a string or null, got undefined for cell #0/);
  assert.throws(
    () => populationChunks(badKey(() => { throw new Error('no lr'); }), cells),
    /experiment 'pop-one-group': population.key failed for cell #0 \(method=m, seed=0\): no lr/,
  );
});

test('population on, off, with 2 workers and as 2 shards + merge: byte-identical records and cache files; cells with different keys never share a call', async () => {
  const populations: number[][] = []; // every population call of the launches below
  // Alone: the reference; no population call at all.
  resetCalls();
  const aloneCache = tempDir();
  const alone = await runExperiment(POP_TOY, { cacheDir: aloneCache, population: false, ...quiet });
  assert.deepEqual(popCalls(), [], 'population: false makes no population call');
  assert.deepEqual(oneCalls(), [...Array(18).keys()]);
  const expectedCsv = experimentCsv(alone.records);
  const expectedFiles = cachedRecordsText(alone);
  assert.ok(Number.isNaN(alone.records[6]!.value), 'the NaN record survives the cache');
  for (const cell of alone.cells) assert.equal(cacheEntry(cell.file).population, undefined, 'a cell computed alone has no population field');

  // In populations, in process: 4 calls of 3 cells of one beta each, solo cells alone.
  resetCalls();
  const reports: ExperimentProgress[] = [];
  const popCache = tempDir();
  const together = await runExperiment(POP_TOY, { cacheDir: popCache, progress: (p) => reports.push(p) });
  assert.deepEqual(popCalls(), TOY_POPULATIONS);
  assert.deepEqual(oneCalls(), SOLO);
  assert.ok(calls().every((c) => c.pid === process.pid));
  populations.push(...popCalls());
  assert.equal(reports.length, 1 + 18 + 1, 'a start report, one per cell, and a final one');
  assert.deepEqual(reports.slice(1, 4).map((p) => [p.done, p.last?.index]), [[1, 0], [2, 2], [3, 4]], 'each cell reported after its population');
  assert.equal(experimentCsv(together.records), expectedCsv);
  assert.deepEqual(together.records, alone.records);
  assert.deepEqual(cachedRecordsText(together), expectedFiles);
  const entry = cacheEntry(together.cells[0]!.file);
  assert.equal(entry.population, 3, 'the cache entry says how many cells were computed together');
  assert.ok(typeof entry.seconds === 'number' && entry.seconds >= 0);
  assert.equal(cacheEntry(together.cells[12]!.file).population, undefined, 'a null key ran alone');
  for (const cell of together.cells) assert.ok(readCachedCell(cell.file, cell.key), 'every file reads back');

  // Two workers: chunks at most min(4, ceil(18 / 2)) = 4, so the same populations, in child processes.
  resetCalls();
  const workersCache = tempDir();
  const inWorkers = await runExperiment(POP_TOY, { cacheDir: workersCache, workers: 2, ...quiet });
  assert.deepEqual(popCalls().sort((a, b) => a[0]! - b[0]!), TOY_POPULATIONS);
  assert.deepEqual(oneCalls().sort((a, b) => a - b), SOLO);
  populations.push(...popCalls());
  const pids = new Set(calls().map((c) => c.pid));
  assert.ok(!pids.has(process.pid) && pids.size <= 2, `computed in at most 2 child processes, got ${[...pids]}`);
  assert.equal(experimentCsv(inWorkers.records), expectedCsv);
  assert.deepEqual(cachedRecordsText(inWorkers), expectedFiles);

  // Two shards (grouping within each shard), then merge.
  resetCalls();
  const shardsCache = tempDir();
  await runExperiment(POP_TOY, { cacheDir: shardsCache, shard: '0/2', ...quiet });
  await runExperiment(POP_TOY, { cacheDir: shardsCache, shard: '1/2', ...quiet });
  assert.deepEqual(popCalls(), [[0, 2, 4], [6, 8, 10], [1, 3, 5], [7, 9, 11]]);
  assert.deepEqual(oneCalls(), [12, 14, 16, 13, 15, 17]);
  populations.push(...popCalls());
  const merged = mergeExperiment(POP_TOY, { cacheDir: shardsCache });
  assert.equal(experimentCsv(merged.records), expectedCsv);
  assert.deepEqual(cachedRecordsText(merged), expectedFiles);

  // Whatever the launch, no call mixed keys, none was larger than maxSize (4), and solo cells ran alone.
  assert.equal(populations.length, 12);
  for (const population of populations) {
    assert.ok(population.length <= 4, `${population}`);
    assert.ok(population.every((i) => BETA_05.includes(i)) || population.every((i) => BETA_2.includes(i)), `one key per call: ${population}`);
    assert.ok(!population.some((i) => SOLO.includes(i)));
  }
});

test('a cached cell is reused whether it was computed alone or in a population (mixed caches)', async () => {
  const reference = experimentCsv((await runExperiment(POP_TOY, { cacheDir: tempDir(), population: false, ...quiet })).records);
  // Half alone first, then the rest in populations.
  const cacheDir = tempDir();
  await runExperiment(POP_TOY, { cacheDir, shard: '0/2', population: false, ...quiet });
  resetCalls();
  const rest = await runExperiment(POP_TOY, { cacheDir, ...quiet });
  assert.deepEqual(popCalls(), [[1, 3, 5], [7, 9, 11]], 'only the missing cells are computed, in populations');
  assert.deepEqual(oneCalls(), [13, 15, 17]);
  assert.deepEqual(rest.cells.map((c) => c.cached), rest.cells.map((c) => c.index % 2 === 0));
  assert.equal(experimentCsv(rest.records), reference);

  // Half in populations first, then the rest alone; then everything comes from the cache.
  const otherCache = tempDir();
  await runExperiment(POP_TOY, { cacheDir: otherCache, shard: '1/2', ...quiet });
  resetCalls();
  const rest2 = await runExperiment(POP_TOY, { cacheDir: otherCache, population: false, ...quiet });
  assert.deepEqual(popCalls(), []);
  assert.deepEqual(oneCalls(), [0, 2, 4, 6, 8, 10, 12, 14, 16]);
  assert.equal(experimentCsv(rest2.records), reference);
  resetCalls();
  const cached = await runExperiment(POP_TOY, { cacheDir: otherCache, ...quiet });
  assert.deepEqual(calls(), []);
  assert.ok(cached.cells.every((c) => c.cached));
  assert.equal(experimentCsv(cached.records), reference);
  assert.deepEqual(experimentStatus(POP_TOY, { cacheDir: otherCache }).missing, []);
});

test('a failing population fails every cell of it, naming each and its population, in process and in workers; continueOnError finishes the other populations', async () => {
  // pop-fail: maxSize 2, so populations #0 #1 (fine) and #2 #3 (diverges because of #3).
  for (const workers of [1, 2]) {
    const cacheDir = tempDir();
    await assert.rejects(runExperiment(POP_FAIL, { cacheDir, workers, ...quiet }), (err: Error) => {
      assert.ok(err instanceof CellFailedError, `${workers} workers: ${err.stack}`);
      assert.equal(err.message, `experiment 'pop-fail' cell #2 (method=bad, seed=1) failed: in a population of 2 cells (#2, #3): diverged at step 3`);
      return true;
    });
    const reports: ExperimentProgress[] = [];
    await assert.rejects(runExperiment(POP_FAIL, { cacheDir: tempDir(), workers, continueOnError: true, progress: (p) => reports.push(p) }), (err: Error) => {
      assert.ok(err instanceof ExperimentFailedError, err.stack);
      assert.match(err.message, /experiment 'pop-fail': 2 of 4 cells failed \(the other cells are cached\):\n  #2 \(method=bad, seed=1\): in a population of 2 cells \(#2, #3\): diverged at step 3\n  #3 \(method=bad, seed=2\): in a population of 2 cells \(#2, #3\): diverged at step 3$/);
      assert.deepEqual(err.failures.map((f) => f.cell.index), [2, 3]);
      return true;
    });
    const failed = reports.filter((p) => p.last?.error).map((p) => [p.last!.index, p.last!.error]);
    assert.deepEqual(failed.sort(), [
      [2, 'in a population of 2 cells (#2, #3): diverged at step 3'],
      [3, 'in a population of 2 cells (#2, #3): diverged at step 3'],
    ]);
  }
  // Alone, only the diverging cell fails.
  await assert.rejects(runExperiment(POP_FAIL, { cacheDir: tempDir(), population: false, continueOnError: true, ...quiet }), /1 of 4 cells failed[^]*#3 \(method=bad, seed=2\): diverged at step 3$/);
});

test('population.run returning the wrong number of record arrays fails its population, naming it; bad records fail only their cell', async () => {
  const records = (seed: number): MetricRecord[] => [{ step: 0, group: 'all', metric: 'x', value: seed }];
  const definition = defineExperiment({
    name: 'pop-miscount',
    version: 1,
    methods: ['short', 'badrec'],
    seeds: [0, 1, 2],
    config: {},
    run: (cell) => records(cell.seed),
    population: {
      key: (cell) => cell.method,
      run: (cells) => {
        if (cells[0]!.method === 'short') return cells.slice(1).map((c) => records(c.seed));
        return cells.map((c) => (c.seed === 1 ? ([{ step: 0, group: 'all', metric: 'x', value: 'high' }] as unknown as MetricRecord[]) : records(c.seed)));
      },
    },
  });
  const cacheDir = tempDir();
  await assert.rejects(runExperiment(definition, { cacheDir, ...quiet }), (err: Error) => {
    assert.equal(err.message, `experiment 'pop-miscount' cell #0 (method=short, seed=0) failed: in a population of 3 cells (#0, #1, #2): population.run returned 2 record arrays for 3 cells; it must return one array of records per cell, in the order given`);
    return true;
  });
  await assert.rejects(runExperiment(definition, { cacheDir, continueOnError: true, ...quiet }), (err: Error) => {
    assert.ok(err instanceof ExperimentFailedError);
    assert.deepEqual(err.failures.map((f) => f.cell.index), [0, 1, 2, 4]);
    assert.equal(err.failures[3]!.reason, 'population.run output (a population of 3 cells (#3, #4, #5)): record 0: value must be a number, got "high"');
    return true;
  });
  assert.deepEqual(experimentStatus(definition, { cacheDir }).missing.map((c) => c.index), [0, 1, 2, 4], 'the good cells of the bad-record population are cached');
  const notArray = defineExperiment({ ...definition, name: 'pop-not-array', population: { key: () => 'k', run: () => ({}) as unknown as MetricRecord[][] } });
  await assert.rejects(runExperiment(notArray, { cacheDir, ...quiet }), /cell #0 \(method=short, seed=0\) failed: in a population of 6 cells \(#0, #1, #2, #3, #4, #5\): population.run must return an array of 6 record arrays \(one per cell, in the order given\), got object/);
});

test('defineExperiment rejects a bad population hook, naming the experiment', () => {
  const ok = { name: 'hooked', version: 1, methods: ['a'], seeds: [0], config: {}, run: () => [] };
  const hook = { key: () => 'k', run: () => [] };
  const define = (population: unknown) => defineExperiment({ ...ok, population } as Parameters<typeof defineExperiment>[0]);
  assert.doesNotThrow(() => define(hook));
  assert.doesNotThrow(() => define({ ...hook, maxSize: 1 }));
  assert.throws(() => define(null), /experiment 'hooked': population must be an object \{ key, run, maxSize\? \}, got null/);
  assert.throws(() => define(() => []), /experiment 'hooked': population must be an object .*got function/);
  assert.throws(() => define({ run: hook.run }), /experiment 'hooked': population.key must be a function \(cell\) => string \| null, got undefined/);
  assert.throws(() => define({ key: 'method', run: hook.run }), /population.key must be a function .*got string/);
  assert.throws(() => define({ key: hook.key, run: [] }), /experiment 'hooked': population.run must be a function \(cells\) => MetricRecord\[\]\[\], got object/);
  for (const maxSize of [0, -1, 1.5, '4', NaN, Infinity]) {
    assert.throws(() => define({ ...hook, maxSize }), /experiment 'hooked': population.maxSize must be a positive integer, got/, `maxSize ${String(maxSize)}`);
  }
  assert.throws(() => define({ ...hook, maxSize: '4' }), /got "4"/);
});

test('an aborted run abandons every cell of the populations in progress, in process and with workers; nothing of them is cached, no worker is left', async () => {
  // pop-slow: #0 alone (finishes at once), #1-#4 one population in process, two (#1 #2, #3 #4) on 2 workers.
  const slowDir = tempDir('hpa-pop-slow-');
  process.env[POP_SLOW_DIR_ENV] = slowDir;
  const started = join(slowDir, 'started.log');
  try {
    for (const workers of [1, 2]) {
      rmSync(started, { force: true });
      const cacheDir = tempDir();
      const stop = new AbortController();
      const run = runExperiment(POP_SLOW, { cacheDir, workers, signal: stop.signal, ...quiet });
      const lines = await waitForLines(started, workers);
      stop.abort(new Error('test stop'));
      await assert.rejects(run, (err: Error) => {
        assert.ok(err instanceof ExperimentAbortedError, err.stack);
        assert.equal(
          err.message,
          `experiment 'pop-slow' stopped (test stop) after 1 of 5 cells; the finished cells are cached; abandoned (not cached): #1 (method=slow1, seed=0), #2 (method=slow2, seed=0), #3 (method=slow3, seed=0), #4 (method=slow4, seed=0)`,
        );
        return true;
      });
      assert.deepEqual(experimentStatus(POP_SLOW, { cacheDir }).missing.map((c) => c.index), [1, 2, 3, 4]);
      assert.deepEqual(readdirSync(join(cacheDir, POP_SLOW)).filter((f) => !f.endsWith('.json')), [], 'no temporary files');
      if (workers === 2) {
        const pids = lines.map((l) => Number(l.split(' ')[1]));
        assert.ok(!pids.includes(process.pid));
        for (const pid of pids) assert.ok(!isAlive(pid), `worker ${pid} exited before the run settled`);
      }
    }
  } finally {
    writeFileSync(join(slowDir, 'release.flag'), ''); // lets the abandoned in-process population end (it fails, writing nothing)
  }
});
