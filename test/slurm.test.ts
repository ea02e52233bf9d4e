/**
 * End to end on a real (one-node, localhost) Slurm from Debian's packages: a sweep submitted as an
 * array with scripts/slurm/sweep.sbatch, one running task cancelled, only that index resubmitted,
 * merged, and the CSV byte-identical to an in-process run. Skipped, with the reason, where Slurm
 * cannot be brought up (not root, not Debian, no apt-get). Every daemon it starts is stopped by PID.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { experimentCsv, experimentStatus, registerExperimentModule, runExperiment } from '../src/experiments';
import { installSlurm, processesWithEnv, slurmUnavailableReason, startLocalCluster, type LocalCluster } from '../scripts/slurm/localCluster';
import { LAUNCH_MODE_EXPERIMENT } from './fixtures/launch-mode-experiment';
import { isAlive } from './helpers/processes';

const repo = resolve(__dirname, '..');
const fixture = join(__dirname, 'fixtures', 'launch-mode-experiment.ts');
const SHARDS = 4;
const skip = slurmUnavailableReason();

async function poll<T>(what: string, cluster: LocalCluster, check: () => T | undefined, limitMs = 600_000): Promise<T> {
  for (let waited = 0; ; waited += 250) {
    const value = check();
    if (value !== undefined) return value;
    if (waited > limitMs) throw new Error(`gave up waiting for ${what}\n${cluster.logs()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('Slurm array sweep with a cancelled task re-run alone merges to the in-process CSV', { skip: skip ?? false, timeout: 30 * 60_000 }, async () => {
  installSlurm();
  const dir = mkdtempSync(join(tmpdir(), 'hpa-slurm-'));
  const cacheDir = join(dir, 'cache');
  let cluster: LocalCluster | undefined;
  try {
    cluster = await startLocalCluster(join(dir, 'cluster'));
    const c = cluster;
    const daemons = Object.values(c.pids);
    assert.ok(daemons.every(isAlive));

    // The reference: the same experiment in this process (the backend the notebooks would take).
    registerExperimentModule(fixture);
    const inProcess = await runExperiment(LAUNCH_MODE_EXPERIMENT, { cacheDir: join(dir, 'in-process'), progress: 'none' });
    const expected = experimentCsv(inProcess.records);

    const env = { ...c.env };
    delete env.NODE_TEST_CONTEXT;
    const submit = (array: string) =>
      spawnSync(
        'sbatch',
        ['--parsable', `--array=${array}`, `--export=ALL,SHARDS=${SHARDS},HPA_CACHE_DIR=${cacheDir}`, `--output=${join(dir, '%A_%a.out')}`, join(repo, 'scripts', 'slurm', 'sweep.sbatch'), LAUNCH_MODE_EXPERIMENT, '--module', fixture],
        { cwd: repo, env, encoding: 'utf8' },
      );
    const sbatch = (array: string) => {
      const r = submit(array);
      assert.equal(r.status, 0, `sbatch --array=${array}: ${r.stdout}${r.stderr}`);
      return r.stdout.trim().split(';')[0]!;
    };
    const output = (job: string, index: number) => {
      const file = join(dir, `${job}_${index}.out`);
      return existsSync(file) ? readFileSync(file, 'utf8') : '';
    };
    const jobGone = (job: string) => (c.client('squeue', ['-h', '-j', job]).trim() === '' ? true : undefined);
    const state = (job: string, index: number) => /JobState=(\w+)/.exec(c.client('scontrol', ['show', 'job', `${job}_${index}`]))?.[1];

    // Two tasks at a time: task 2 starts while 0 or 1 may still run.
    const job = sbatch(`0-${SHARDS - 1}%2`);
    // Cancel task 2 once its runner has started (its first line names the backend).
    await poll('task 2 to start the runner', c, () => (output(job, 2).includes('backend ') ? true : undefined));
    c.client('scancel', [`${job}_2`]);
    await poll('the whole array to finish', c, () => jobGone(job));
    assert.equal(state(job, 2), 'CANCELLED', c.logs());
    for (const i of [0, 1, 3]) assert.equal(state(job, i), 'COMPLETED', `task ${i}:\n${output(job, i)}`);
    assert.match(output(job, 2), /received SIGTERM/, 'the runner itself got scancel\'s SIGTERM (exec in the batch script)');
    assert.deepEqual(processesWithEnv('HPA_CACHE_DIR', cacheDir), [], 'no process of the sweep outlived it');
    const missing = experimentStatus(LAUNCH_MODE_EXPERIMENT, { cacheDir }).missing.map((cell) => cell.index);
    assert.ok(missing.every((i) => i % SHARDS === 2), `only shard 2's cells can be missing, got ${missing}`);

    // Re-run only index 2, as a user would: the explicit shard count makes it shard 2/4.
    const rerun = sbatch('2');
    await poll('the re-run to finish', c, () => jobGone(rerun));
    assert.equal(state(rerun, 2), 'COMPLETED', output(rerun, 2));
    assert.match(output(rerun, 2), new RegExp(`${LAUNCH_MODE_EXPERIMENT} \\(\\w+, ${inProcess.backend}, shard 2/${SHARDS}\\): 2 cells`));

    // Merged in its own process, like a user after the sweep.
    const out = join(dir, 'merged.csv');
    const merge = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'scripts', 'experiment.ts'), 'merge', LAUNCH_MODE_EXPERIMENT, '--module', fixture, '--cache-dir', cacheDir, '--out', out], {
      cwd: repo,
      env,
      encoding: 'utf8',
    });
    assert.equal(merge.status, 0, merge.stdout + merge.stderr);
    assert.equal(readFileSync(out, 'utf8'), expected);
    assert.deepEqual(readdirSync(join(cacheDir, LAUNCH_MODE_EXPERIMENT)).filter((f) => !f.endsWith('.json')), [], 'no temporary files left');

    // A task without SHARDS is refused with the reason.
    const bare = spawnSync('sbatch', ['--wait', '--array=0', `--output=${join(dir, 'bare.out')}`, join(repo, 'scripts', 'slurm', 'sweep.sbatch'), LAUNCH_MODE_EXPERIMENT], { cwd: repo, env, encoding: 'utf8' });
    assert.notEqual(bare.status, 0);
    assert.match(readFileSync(join(dir, 'bare.out'), 'utf8'), /set SHARDS, the total number of shards/);

    await c.stop();
    assert.ok(!daemons.some(isAlive), 'both daemons stopped');
  } finally {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
