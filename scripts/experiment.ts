/**
 * Experiment runner CLI.
 *
 * ```
 * tsx scripts/experiment.ts list [--module PATH]...
 * tsx scripts/experiment.ts run NAME [--shard i/n] [--workers k] [--force] [--no-population] [--smoke|--full]
 *                                    [--continue-on-error] [--cache-dir DIR] [--module PATH]...
 * tsx scripts/experiment.ts status NAME [--smoke|--full] [--cache-dir DIR] [--module PATH]...
 * tsx scripts/experiment.ts merge NAME [--out results.csv] [--smoke|--full] [--cache-dir DIR] [--module PATH]...
 * every command also takes [--backend auto|node-gpu|node|wasm|cpu] (default HPA_BACKEND, else auto)
 * ```
 * Experiments come from the modules named by `--module` (repeatable), else from the kit's experiment
 * library (src/experiments/library/index.ts) when it exists. `--shard i/n` is 0-based: i in [0, n).
 * Job arrays (scripts/slurm/sweep.sbatch for Slurm; Kubernetes indexed Job:
 * `run NAME --shard $JOB_COMPLETION_INDEX/<completions>`): every task gets the same explicit shard
 * count and the same cache directory (`--cache-dir` or `HPA_CACHE_DIR`); `merge` then reads every
 * cell and lists the missing ones if a shard did not finish.
 *
 * The backend is initialised first, exactly as the notebooks do (`initBackend()`), so every command
 * and launch mode works on the same backend's cells. SIGTERM and SIGINT stop a run cleanly: workers
 * are killed and waited for, the cell in progress is abandoned (no cache file of it), finished cells
 * stay cached, and the process exits with 128 + the signal number (143, 130) after one line saying so.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeBackend, initBackend } from '../src/backend';
import {
  CellFailedError,
  experimentCsv,
  experimentStatus,
  listExperiments,
  loadExperimentLibrary,
  mergeExperiment,
  planExperiment,
  registerExperimentModule,
  runExperiment,
} from '../src/experiments';

interface Args {
  command: string;
  name?: string;
  modules: string[];
  shard?: string;
  workers?: number;
  force: boolean;
  /** False with --no-population: every cell alone (the same records; for comparisons). */
  population: boolean;
  continueOnError: boolean;
  cacheDir?: string;
  out?: string;
  backend?: string;
}

const USAGE = 'usage: experiment.ts list | run NAME [--shard i/n] [--workers k] [--force] [--no-population] [--smoke|--full] [--continue-on-error] | status NAME | merge NAME [--out file.csv]; options for all: [--module PATH]... [--cache-dir DIR] [--backend auto|node-gpu|node|wasm|cpu]';

function parseArgs(argv: string[]): Args {
  const args: Args = { command: '', modules: [], force: false, population: true, continueOnError: false };
  const positional: string[] = [];
  const value = (i: number, flag: string) => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--smoke') process.env.HPA_SMOKE = '1';
    else if (a === '--full') process.env.HPA_SMOKE = '0';
    else if (a === '--force') args.force = true;
    else if (a === '--no-population') args.population = false;
    else if (a === '--continue-on-error') args.continueOnError = true;
    else if (a === '--module') args.modules.push(value(++i, a));
    else if (a === '--shard') args.shard = value(++i, a);
    else if (a === '--cache-dir') args.cacheDir = value(++i, a);
    else if (a === '--out') args.out = value(++i, a);
    else if (a === '--backend') args.backend = value(++i, a);
    else if (a === '--workers') {
      const text = value(++i, a);
      const k = Number(text);
      if (!Number.isInteger(k) || k < 1) throw new Error(`--workers must be a positive integer, got '${text}'`);
      args.workers = k;
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else positional.push(a);
  }
  args.command = positional[0] ?? '';
  args.name = positional[1];
  if (positional.length > 2) throw new Error(`unexpected argument '${positional[2]}'\n${USAGE}`);
  return args;
}

function loadModules(args: Args): void {
  if (args.modules.length === 0) loadExperimentLibrary();
  for (const m of args.modules) registerExperimentModule(resolve(m));
}

function requireName(args: Args): string {
  if (!args.name) throw new Error(`${args.command} needs an experiment NAME\n${USAGE}`);
  return args.name;
}

/** Exit codes after a signal: 128 + its number, as shells report them. */
const SIGNAL_EXIT_CODES = { SIGTERM: 143, SIGINT: 130 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

const stop = new AbortController();
let stoppedBy: StopSignal | undefined;
let runInProgress = false;
for (const signal of Object.keys(SIGNAL_EXIT_CODES) as StopSignal[]) {
  process.once(signal, () => {
    stoppedBy = signal;
    // A run stops through its abort signal (workers killed and waited for); anything else stops now.
    if (runInProgress) stop.abort(new Error(`received ${signal}`));
    else {
      console.error(`experiment.ts: received ${signal}; stopped`);
      process.exit(SIGNAL_EXIT_CODES[signal]);
    }
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!['list', 'run', 'status', 'merge'].includes(args.command)) {
    throw new Error(args.command ? `unknown command '${args.command}'\n${USAGE}` : USAGE);
  }
  const backend = await initBackend(args.backend);
  if (args.command !== 'merge' || args.out !== '-') console.log(describeBackend(backend));
  switch (args.command) {
    case 'list': {
      loadModules(args);
      const experiments = listExperiments();
      if (experiments.length === 0) console.log('no experiments registered');
      for (const e of experiments) {
        const plan = planExperiment(e);
        const sweep = plan.sweep ? `, ${plan.sweep.name} in [${plan.sweep.values.join(', ')}]` : '';
        console.log(`${e.name} (version ${e.version}): methods [${e.methods.join(', ')}], seeds [${plan.seeds.join(', ')}]${sweep}: ${plan.cells.length} cells in ${plan.mode} mode`);
      }
      return;
    }
    case 'run': {
      loadModules(args);
      const name = requireName(args);
      runInProgress = true;
      const result = await runExperiment(name, {
        shard: args.shard,
        workers: args.workers,
        force: args.force,
        population: args.population,
        continueOnError: args.continueOnError,
        cacheDir: args.cacheDir,
        signal: stop.signal,
      });
      runInProgress = false;
      const cached = result.cells.filter((c) => c.cached).length;
      console.log(`${result.experiment} (${result.mode}, ${result.backend}${args.shard ? `, shard ${args.shard}` : ''}): ${result.cells.length} cells (${result.cells.length - cached} ran, ${cached} cached), ${result.records.length} records`);
      return;
    }
    case 'status': {
      loadModules(args);
      const status = experimentStatus(requireName(args), { cacheDir: args.cacheDir });
      console.log(`${status.plan.definition.name} (${status.plan.mode}, ${status.plan.backend}): ${status.cached.length} of ${status.plan.cells.length} cells cached in ${status.cacheRoot}`);
      for (const c of status.missing) console.log(`  missing #${c.index} (${c.label})`);
      return;
    }
    case 'merge': {
      loadModules(args);
      const result = mergeExperiment(requireName(args), { cacheDir: args.cacheDir });
      if (args.out === '-') process.stdout.write(experimentCsv(result.records));
      else if (args.out) {
        writeFileSync(resolve(args.out), experimentCsv(result.records));
        console.log(`${result.experiment} (${result.mode}, ${result.backend}): ${result.cells.length} cells, ${result.records.length} records written to ${resolve(args.out)}`);
      } else console.log(`${result.experiment} (${result.mode}, ${result.backend}): all ${result.cells.length} cells cached, ${result.records.length} records (write them with --out file.csv)`);
      return;
    }
  }
}

main().catch((err: unknown) => {
  if (err instanceof CellFailedError && err.stack) console.error(err.stack);
  else console.error(err instanceof Error ? err.message : err);
  if (stoppedBy) {
    // Exit now: an abandoned in-process cell must not run on and write its result.
    process.exit(SIGNAL_EXIT_CODES[stoppedBy]);
  }
  process.exitCode = 1;
});
