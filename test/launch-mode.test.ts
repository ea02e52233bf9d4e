/**
 * Same numbers however an experiment is launched: in process (as a notebook runs it), by the CLI
 * in one process, with two worker processes, and as two shards merged afterwards; and a run stopped
 * by a signal (or whose parent dies) leaves no partial cache file and no process behind.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { experimentCsv, readCachedCell, registerExperimentModule, runExperiment } from '../src/experiments';
import { LAUNCH_MODE_EXPERIMENT, SLOW_BUSY_ENV, SLOW_DIR_ENV, SLOW_EXPERIMENT } from './fixtures/launch-mode-experiment';
import { isAlive, waitForLines } from './helpers/processes';

const repo = resolve(__dirname, '..');
const fixture = join(__dirname, 'fixtures', 'launch-mode-experiment.ts');
registerExperimentModule(fixture);

const tempDirs: string[] = [];
after(() => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Environment of a CLI child: this one's (HPA_BACKEND, HPA_SMOKE included), not a test file. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

const CLI = ['--import', 'tsx', join(repo, 'scripts', 'experiment.ts')];

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [...CLI, ...args, '--module', fixture], { cwd: repo, encoding: 'utf8', env: childEnv() });
  assert.equal(r.status, 0, `experiment.ts ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Runs `merge` in its own process and returns the CSV bytes it wrote. */
function mergedCsv(cacheDir: string, ...extra: string[]): string {
  const out = join(cacheDir, 'merged.csv');
  cli('merge', LAUNCH_MODE_EXPERIMENT, '--cache-dir', cacheDir, '--out', out, ...extra);
  return readFileSync(out, 'utf8');
}

test('in process, CLI in one process, CLI with 2 workers and 2 shards + merge give byte-identical CSVs on one backend; a cached cell is reused across modes', async () => {
  // In process, as a notebook runs it; this process has no backend yet, so the runner initialises
  // it exactly as the notebooks do (initBackend(): HPA_BACKEND, else auto).
  const inProcessCache = tempDir('hpa-launch-inproc-');
  const inProcess = await runExperiment(LAUNCH_MODE_EXPERIMENT, { cacheDir: inProcessCache, progress: 'none' });
  assert.equal(inProcess.cells.length, 8);
  const expected = experimentCsv(inProcess.records);
  assert.equal(expected.split('\n').length - 2, inProcess.records.length);

  const plainCache = tempDir('hpa-launch-plain-');
  assert.match(cli('run', LAUNCH_MODE_EXPERIMENT, '--cache-dir', plainCache), new RegExp(`\\(\\w+, ${inProcess.backend}\\): 8 cells \\(8 ran, 0 cached\\)`));
  assert.equal(mergedCsv(plainCache), expected, 'CLI run in one process');

  const workersCache = tempDir('hpa-launch-workers-');
  cli('run', LAUNCH_MODE_EXPERIMENT, '--workers', '2', '--cache-dir', workersCache);
  assert.equal(mergedCsv(workersCache), expected, 'CLI run with 2 workers');

  const shardsCache = tempDir('hpa-launch-shards-');
  cli('run', LAUNCH_MODE_EXPERIMENT, '--shard', '0/2', '--cache-dir', shardsCache);
  cli('run', LAUNCH_MODE_EXPERIMENT, '--shard', '1/2', '--cache-dir', shardsCache);
  assert.equal(mergedCsv(shardsCache), expected, 'two shards, merged');

  // Every cached cell records the backend it was computed on.
  for (const cell of inProcess.cells) {
    assert.equal(readCachedCell(join(shardsCache, LAUNCH_MODE_EXPERIMENT, `${cell.key}.json`), cell.key)?.backend, inProcess.backend);
  }
  // The shards' cells serve an in-process run unchanged.
  const reused = await runExperiment(LAUNCH_MODE_EXPERIMENT, { cacheDir: shardsCache, progress: 'none' });
  assert.ok(reused.cells.every((c) => c.cached));
  assert.equal(experimentCsv(reused.records), expected);

  // The test can fail: the other plain-JS/wasm backend computes different numbers, cached under
  // other keys beside the first ones, and merged only when asked for that backend.
  const other = inProcess.backend === 'cpu' ? 'wasm' : 'cpu';
  cli('run', LAUNCH_MODE_EXPERIMENT, '--backend', other, '--cache-dir', shardsCache);
  assert.equal(readdirSync(join(shardsCache, LAUNCH_MODE_EXPERIMENT)).filter((f) => f.endsWith('.json')).length, 16);
  const otherCsv = mergedCsv(shardsCache, '--backend', other);
  assert.notEqual(otherCsv, expected, `${other} and ${inProcess.backend} give different numbers for this experiment`);
  assert.equal(otherCsv.split('\n')[0], expected.split('\n')[0]);
  assert.equal(mergedCsv(shardsCache), expected, 'the default backend still merges its own cells');
});

async function waitUntilDead(pids: readonly number[], limitMs = 60_000): Promise<void> {
  for (let waited = 0; pids.some(isAlive); waited += 50) {
    if (waited > limitMs) throw new Error(`processes still alive: ${pids.filter(isAlive).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `experiment.ts run` of the slow experiment; resolves once `workers` cells are in progress. */
async function startSlowRun(workers: number, busy = false) {
  const slowDir = tempDir('hpa-launch-slow-');
  const cacheDir = tempDir('hpa-launch-slow-cache-');
  const child = spawn(process.execPath, [...CLI, 'run', SLOW_EXPERIMENT, '--workers', String(workers), '--module', fixture, '--cache-dir', cacheDir], {
    cwd: repo,
    env: childEnv({ [SLOW_DIR_ENV]: slowDir, [SLOW_BUSY_ENV]: busy ? '1' : '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  const lines = await waitForLines(join(slowDir, 'started.log'), workers === 1 ? 1 : 2);
  const cellPids = lines.map((l) => Number(l.split(' ')[1]));
  const release = () => writeFileSync(join(slowDir, 'release.flag'), '');
  return { child, cacheDir, cellPids, exited, stderr: () => stderr, release };
}

function cacheFiles(cacheDir: string): string[] {
  const dir = join(cacheDir, SLOW_EXPERIMENT);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

test('SIGTERM stops a run: exit code 143 with a message, finished cell cached, cells in progress abandoned, no worker left', async () => {
  for (const workers of [1, 2]) {
    const run = await startSlowRun(workers);
    try {
      run.child.kill('SIGTERM');
      const { code } = await run.exited;
      assert.equal(code, 143, run.stderr());
      const abandoned = workers === 1 ? '#1 (method=slow1, seed=0)' : '#1 (method=slow1, seed=0), #2 (method=slow2, seed=0)';
      assert.ok(
        run.stderr().includes(`experiment '${SLOW_EXPERIMENT}' stopped (received SIGTERM) after 1 of 3 cells; the finished cells are cached; abandoned (not cached): ${abandoned}`),
        run.stderr(),
      );
      if (workers === 2) {
        assert.ok(!run.cellPids.includes(run.child.pid!), 'the cells ran in worker processes');
        for (const pid of run.cellPids) assert.ok(!isAlive(pid), `worker ${pid} was stopped before the runner exited`);
      }
      const files = cacheFiles(run.cacheDir);
      assert.equal(files.length, 1, `only the finished cell is cached: ${files}`);
      assert.ok(files[0]!.endsWith('.json'));
    } finally {
      run.release();
    }
  }
});

test('workers whose parent is killed exit quietly (no EPIPE, no stack), whether idle in a cell or busy until it ends', async () => {
  for (const busy of [false, true]) {
    const run = await startSlowRun(2, busy);
    try {
      run.child.stdout!.destroy(); // the reader of their stdout goes away too, as with `| head`
      run.child.kill('SIGKILL');
      await run.exited;
      const before = run.stderr().length; // the parent's progress lines
      // A busy worker notices nothing until its cell ends; then it finds the channel closed.
      if (busy) run.release();
      await waitUntilDead(run.cellPids);
      // stderr stays open until the last worker is gone, so everything they printed is read by now.
      if (!run.child.stderr!.closed) await new Promise((r) => run.child.stderr!.once('close', r));
      assert.doesNotMatch(run.stderr().slice(before), /EPIPE|Error|\n\s+at /, 'the orphaned workers print no error');
      // Idle workers exit at the disconnect, abandoning their cells; busy ones write their whole cell first.
      const files = cacheFiles(run.cacheDir);
      assert.equal(files.length, busy ? 3 : 1, `${files}`);
      assert.ok(files.every((f) => f.endsWith('.json')), 'no temporary files');
    } finally {
      run.release();
    }
  }
});
