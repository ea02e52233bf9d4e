/**
 * A one-node Slurm cluster on localhost for tests (test/slurm.test.ts): Debian's slurmctld and
 * slurmd, started by this module in the foreground with their own configuration in a temporary
 * folder, and stopped again by PID. Authentication is `auth/none` (Debian's Slurm 22.05 ships the
 * plugin), so no munge daemon is needed; process tracking is `proctrack/linuxproc` (no cgroups).
 *
 * Not for production clusters: any local user could submit jobs as anyone while it runs.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** Debian packages providing the controller, the node daemon and sbatch/squeue/scancel. */
export const SLURM_PACKAGES = ['slurmctld', 'slurmd', 'slurm-client'] as const;

function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Why a local Slurm cannot be brought up here (not root, not Debian, no apt-get), or null when it
 * can (the packages are installed, or can be installed with apt-get).
 */
export function slurmUnavailableReason(): string | null {
  if (process.platform !== 'linux') return `Slurm needs Linux, this is ${process.platform}`;
  const installed = ['slurmctld', 'slurmd', 'sbatch'].every(onPath);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'the daemons (and apt-get) need root; run the test as root on Debian';
  }
  // slurmd 22.05 reads the cgroup filesystem at start-up even with proctrack/linuxproc and task/none:
  // a chroot without /sys (e.g. the clean-root check) cannot run it, a real machine or container can.
  if (!existsSync('/sys/fs/cgroup')) return 'slurmd needs the cgroup filesystem and /sys/fs/cgroup is not mounted here (a chroot without /sys?)';
  if (installed) return null;
  if (!existsSync('/etc/debian_version')) return 'Slurm is not installed and this is not Debian (installing it needs apt-get and Debian packages)';
  if (!onPath('apt-get')) return 'Slurm is not installed and apt-get is missing';
  return null;
}

/** Installs {@link SLURM_PACKAGES} with apt-get when slurmctld, slurmd or sbatch is missing; throws with apt's output on failure. */
export function installSlurm(): void {
  if (['slurmctld', 'slurmd', 'sbatch'].every(onPath)) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...SLURM_PACKAGES]]) {
    const r = spawnSync('apt-get', args, { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-4000)}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** RealMemory (MB) as slurmd measures it, so the node is not drained for having less than configured. */
function realMemoryMb(): number {
  const text = execFileSync('slurmd', ['-C'], { encoding: 'utf8' });
  const m = /RealMemory=(\d+)/.exec(text);
  if (!m) throw new Error(`slurmd -C printed no RealMemory:\n${text}`);
  return Number(m[1]);
}

/** A running one-node cluster. */
export interface LocalCluster {
  /** Folder holding slurm.conf, state, spool and logs. */
  dir: string;
  /** Environment for sbatch/squeue/scancel/scontrol (SLURM_CONF set). */
  env: NodeJS.ProcessEnv;
  /** PIDs of the daemons this module started. */
  pids: { slurmctld: number; slurmd: number };
  /** Runs a Slurm client command; throws with its output when it fails. */
  client(command: string, args: readonly string[]): string;
  /** The last lines of both daemons' logs (for failure messages). */
  logs(): string;
  /** Stops both daemons by PID (SIGTERM, then SIGKILL after 10 s) and waits for them to exit. */
  stop(): Promise<void>;
}

function writeConfig(dir: string, ports: { ctld: number; d: number }): string {
  const file = join(dir, 'slurm.conf');
  const lines = [
    'ClusterName=hpatest',
    'SlurmctldHost=localhost',
    `SlurmctldPort=${ports.ctld}`,
    `SlurmdPort=${ports.d}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/none',
    'CredType=cred/none',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'SchedulerType=sched/backfill',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'MpiDefault=none',
    'ReturnToService=2',
    'KillWait=10',
    'MinJobAge=3600',
    `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=${realMemoryMb()} State=UNKNOWN`,
    'PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return `(${file} missing)`;
  return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
}

/**
 * Writes a configuration in `dir`, starts slurmctld and slurmd in the foreground (their PIDs are
 * recorded), and resolves once the node is idle. On failure the daemons already started are stopped.
 */
export async function startLocalCluster(dir: string): Promise<LocalCluster> {
  for (const sub of ['state', 'spool']) mkdirSync(join(dir, sub), { recursive: true });
  const conf = writeConfig(dir, { ctld: await freePort(), d: await freePort() });
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  const daemon = (command: string, args: string[]) =>
    spawn(command, args, { env, stdio: ['ignore', openSync(join(dir, `${command}.out`), 'a'), openSync(join(dir, `${command}.out`), 'a')] });
  const children: ChildProcess[] = [];
  const logs = () =>
    ['slurmctld.log', 'slurmd.log', 'slurmctld.out', 'slurmd.out'].map((f) => `--- ${f}\n${tail(join(dir, f))}`).join('\n');
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((done) => {
            if (!alive(c)) return done();
            c.once('exit', () => done());
            c.kill('SIGTERM');
            setTimeout(() => alive(c) && c.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
  };
  const client = (command: string, args: readonly string[]) => {
    const r = spawnSync(command, args, { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  try {
    const ctld = daemon('slurmctld', ['-D', '-c', '-i', '-f', conf]);
    children.push(ctld);
    const d = daemon('slurmd', ['-D', '-f', conf, '-N', 'localhost']);
    children.push(d);
    for (let waited = 0; ; waited += 200) {
      for (const c of children) if (!alive(c)) throw new Error(`${c.spawnfile} exited (code ${c.exitCode}) while starting:\n${logs()}`);
      const r = spawnSync('sinfo', ['-h', '-n', 'localhost', '-o', '%t'], { env, encoding: 'utf8' });
      if (r.status === 0 && r.stdout.trim() === 'idle') break;
      if (waited > 60_000) throw new Error(`the node did not become idle within 60 s (sinfo: ${r.stdout}${r.stderr}):\n${logs()}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    return { dir, env, pids: { slurmctld: ctld.pid!, slurmd: d.pid! }, client, logs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** PIDs of processes whose environment holds `NAME=value` (e.g. a job's private cache folder). */
export function processesWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}\0`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(join('/proc', entry, 'environ'), 'latin1').includes(needle)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not readable
    }
  }
  return found;
}
