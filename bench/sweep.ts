/**
 * Benchmark 6: a notebook-03-shaped sweep (many small GRPO runs) timed four ways:
 *   (a) kit_single      the kit, one run after another (a GRPOTrainer per run);
 *   (b) kit_population  the kit, all runs in lockstep as one GRPOPopulation (src/trainer/population.ts);
 *   (c) torch_loop      PyTorch written plainly: a loop over runs and steps (bench/torch_sweep.py);
 *   (d) torch_batched   PyTorch with the runs stacked on a leading axis (bmm, one Adam, per-run clipping).
 *
 * The workload is notebook 03's GRPO phase (minority recovery, see src/studies/banditRecovery.ts)
 * without its supervised warm start: two preference groups (majority / minority, minority share
 * 0.1), K = 8 responses, binary rewards from a reward table that `generateBandit` draws from the
 * run's seed, a CategoricalMLPPolicy (group embedding 8, one hidden relu layer of 32, no prompt
 * features), batch 128 = 16 prompts x 8 generations, Adam 0.01, beta 0, clip epsilon 0.2,
 * max_grad_norm 1.0. Run i uses estimator SWEEP_METHODS[i % 4] and seed floor(i / 4) (policy,
 * trainer and table seed), so the default 40 runs are 4 estimators x 10 seeds, 150 steps each.
 */
import { generateBandit } from '../src/data';
import type { MetricRecord } from '../src/frames';
import { CategoricalMLPPolicy } from '../src/policy';
import { GRPOTrainer, tableTask, type GRPOConfig, type Task } from '../src/trainer';
import { GRPOPopulation } from '../src/trainer/population';
import { initBackend } from '../src/backend';
import { loadavg } from 'node:os';
import { runPython, type PythonResult } from './python';

/** Estimators of the sweep, in the order runs cycle through them. */
export const SWEEP_METHODS = ['grpo', 'pgrpo', 'dr_grpo', 'rloo'] as const;

/** The notebook-03 cell's settings (GRPO phase). */
export const SWEEP_SHAPE = {
  groups: ['majority', 'minority'],
  minority_share: 0.1,
  num_responses: 8,
  prompts_per_step: 16,
  num_generations: 8,
  learning_rate: 0.01,
  beta: 0,
  epsilon: 0.2,
  max_grad_norm: 1.0,
  embedding: 8,
  hidden: 32,
} as const;

/** Default size: 40 runs (4 estimators x 10 seeds) of 150 steps. */
export const SWEEP_DEFAULTS = { runs: 40, steps: 150 } as const;

/** One run of the sweep: its estimator, seed and reward table (rows in SWEEP_SHAPE.groups order). */
export interface SweepRun {
  method: (typeof SWEEP_METHODS)[number];
  seed: number;
  share: number;
  table: number[][];
}

/** Wall seconds of one variant and what it trained, or why it did not run. */
export interface SweepVariant {
  seconds: number | null;
  /** Mean reward per group over every step, averaged over runs [majority, minority] (a check that the variants learn alike). */
  reward_mean?: [number, number];
  /** Why the variant has no time. */
  unavailable?: string;
  loadavg_1min_before: number;
  loadavg_1min_after: number;
}

/** The sweep's JSON section. */
export interface SweepResult {
  runs: number;
  steps: number;
  batch: number;
  workload: typeof SWEEP_SHAPE & { methods: readonly string[]; warm_start: string };
  variants: Record<'kit_single' | 'kit_population' | 'torch_loop' | 'torch_batched', SweepVariant>;
  /** kit_population seconds / torch_loop seconds (target: at most 0.5). */
  ratio_population_vs_torch_loop: number | null;
  /** Whether every run of the population logged exactly the metrics (same bits) of the same run trained alone. */
  population_same_metrics_as_single: boolean;
  load_average_1min: { before: number; after: number };
  torch?: { version: string; threads: number };
}

/** The sweep's runs. */
export function sweepRuns(count: number): SweepRun[] {
  const { groups, minority_share: share, num_responses } = SWEEP_SHAPE;
  return Array.from({ length: count }, (_, i) => {
    const seed = Math.floor(i / SWEEP_METHODS.length);
    const { spec } = generateBandit({ name: `sweep-${seed}`, groups: [...groups], shares: [1 - share, share], num_responses, reward_type: 'binary', num_prompts: 20, seed });
    return { method: SWEEP_METHODS[i % SWEEP_METHODS.length]!, seed, share, table: groups.map((g) => [...spec.rewardTable[g]!]) };
  });
}

/** A run's policy, task and trainer configuration, exactly as a notebook cell would build them. */
function buildRun(run: SweepRun): { policy: CategoricalMLPPolicy; task: Task; config: GRPOConfig } {
  const s = SWEEP_SHAPE;
  const groups = [...s.groups];
  const policy = new CategoricalMLPPolicy({ numResponses: s.num_responses, groups, embeddingDim: s.embedding, hiddenSizes: [s.hidden], seed: run.seed });
  const task = tableTask({ groups, shares: [1 - run.share, run.share], rewardTable: Object.fromEntries(groups.map((g, i) => [g, run.table[i]!])) });
  const config: GRPOConfig = {
    num_generations: s.num_generations,
    prompts_per_step: s.prompts_per_step,
    learning_rate: s.learning_rate,
    beta: s.beta,
    epsilon: s.epsilon,
    max_grad_norm: s.max_grad_norm,
    seed: run.seed,
    advantage: run.method,
  };
  return { policy, task, config };
}

/**
 * What a run logged, folded as it streams: reward sums and sample counts per group (for the mean
 * reward) and an order-independent hash of every record's exact bits (for the same-bits check).
 */
class RunLog {
  readonly sums = [0, 0, 0, 0];
  hash = 0;
  private readonly f64 = new Float64Array(1);
  private readonly u32 = new Uint32Array(this.f64.buffer);

  add(records: readonly MetricRecord[]): void {
    const n = [0, 0];
    const mean = [0, 0];
    for (const r of records) {
      const g = r.group === 'majority' ? 0 : r.group === 'minority' ? 1 : -1;
      if (g >= 0 && r.metric === 'num_samples') n[g] = r.value;
      if (g >= 0 && r.metric === 'reward_mean') mean[g] = r.value;
      this.f64[0] = r.value;
      let h = 2166136261;
      const key = `${r.step}|${r.group}|${r.metric}`;
      for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
      h = Math.imul(h ^ this.u32[0]!, 16777619);
      h = Math.imul(h ^ this.u32[1]!, 16777619);
      this.hash = (this.hash + (h >>> 0)) >>> 0;
    }
    for (let g = 0; g < 2; g++) {
      this.sums[g] += mean[g]! * n[g]!;
      this.sums[2 + g] += n[g]!;
    }
  }

  rewardMean(): [number, number] {
    return [this.sums[0]! / Math.max(this.sums[2]!, 1), this.sums[1]! / Math.max(this.sums[3]!, 1)];
  }
}

const averageOf = (logs: readonly RunLog[]): [number, number] => {
  const m = logs.map((l) => l.rewardMean());
  return [m.reduce((s, x) => s + x[0], 0) / m.length, m.reduce((s, x) => s + x[1], 0) / m.length];
};

/** (a) The runs one after another, each with its own trainer. */
function kitSingle(runs: readonly SweepRun[], steps: number): RunLog[] {
  return runs.map((run) => {
    const log = new RunLog();
    const { policy, task, config } = buildRun(run);
    const trainer = new GRPOTrainer(policy, task, config);
    try {
      trainer.train(steps, { progress: false, keepHistory: false, onStep: (records) => log.add(records) });
    } finally {
      trainer.dispose();
      policy.dispose();
    }
    return log;
  });
}

/** (b) All runs in lockstep as one population. */
function kitPopulation(runs: readonly SweepRun[], steps: number): RunLog[] {
  const logs = runs.map(() => new RunLog());
  const built = runs.map(buildRun);
  let pop: GRPOPopulation | null = null;
  try {
    pop = new GRPOPopulation(built);
    pop.train(steps, { progress: false, keepHistory: false, onStep: (perRun) => perRun.forEach((records, r) => logs[r]!.add(records)) });
  } finally {
    pop?.dispose();
    for (const b of built) b.policy.dispose();
  }
  return logs;
}

const load1 = () => loadavg()[0]!;

/** Times `fn` (wall seconds) with the 1-minute load average before and after. */
function timed<T>(fn: () => T): { value: T; seconds: number; before: number; after: number } {
  const before = load1();
  const t0 = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - t0) / 1000, before, after: load1() };
}

interface TorchSweepOutput {
  torch: string;
  threads: number;
  loop?: { seconds: number; runs: number; reward_mean: [number, number][] };
  batched?: { seconds: number; runs: number; reward_mean: [number, number][] };
}

function torchSweep(python: string, runs: readonly SweepRun[], steps: number, variants: string[], loopRuns: [number, number]): PythonResult {
  const s = SWEEP_SHAPE;
  return runPython(
    python,
    'torch_sweep.py',
    {
      variants,
      loop_runs: loopRuns,
      runs,
      steps,
      prompts_per_step: s.prompts_per_step,
      num_generations: s.num_generations,
      num_responses: s.num_responses,
      embedding: s.embedding,
      hidden: s.hidden,
      learning_rate: s.learning_rate,
      epsilon: s.epsilon,
      max_grad_norm: s.max_grad_norm,
    },
    900_000,
  );
}

/**
 * Runs the sweep benchmark. Order, so that load changes on a shared machine touch the headline
 * ratio's two sides alike: PyTorch loop over the first half of the runs, kit population, PyTorch
 * loop over the second half then PyTorch batched, kit one by one. torch_loop's time is the sum of its two halves.
 */
export async function benchSweep(python: string, runCount: number, steps: number): Promise<SweepResult> {
  if (!(Number.isInteger(runCount) && runCount >= 2)) throw new Error(`--sweep-runs must be an integer >= 2, got ${runCount}`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`--sweep-steps must be a positive integer, got ${steps}`);
  await initBackend('wasm');
  const runs = sweepRuns(runCount);
  const loadBefore = load1();
  const half = Math.floor(runCount / 2);

  // Untimed warm-up of the kit paths (first-call costs of the backend's kernels).
  kitSingle(runs.slice(0, 1), 3);
  kitPopulation(runs.slice(0, 2), 3);

  const torch1 = { before: load1(), res: torchSweep(python, runs, steps, ['loop'], [0, half]), after: load1() };
  const pop = timed(() => kitPopulation(runs, steps));
  const torch2 = { before: load1(), res: torchSweep(python, runs, steps, ['loop', 'batched'], [half, runCount]), after: load1() };
  const single = timed(() => kitSingle(runs, steps));

  const t1 = torch1.res.ok ? (torch1.res.value as TorchSweepOutput) : null;
  const t2 = torch2.res.ok ? (torch2.res.value as TorchSweepOutput) : null;
  const torchReason = !torch1.res.ok ? torch1.res.reason : !torch2.res.ok ? torch2.res.reason : '';
  const meanOf = (rows: [number, number][]): [number, number] => [rows.reduce((s, x) => s + x[0], 0) / rows.length, rows.reduce((s, x) => s + x[1], 0) / rows.length];

  const variants: SweepResult['variants'] = {
    kit_single: { seconds: single.seconds, reward_mean: averageOf(single.value), loadavg_1min_before: single.before, loadavg_1min_after: single.after },
    kit_population: { seconds: pop.seconds, reward_mean: averageOf(pop.value), loadavg_1min_before: pop.before, loadavg_1min_after: pop.after },
    torch_loop:
      t1?.loop && t2?.loop
        ? { seconds: t1.loop.seconds + t2.loop.seconds, reward_mean: meanOf([...t1.loop.reward_mean, ...t2.loop.reward_mean]), loadavg_1min_before: torch1.before, loadavg_1min_after: torch2.after }
        : { seconds: null, unavailable: torchReason, loadavg_1min_before: torch1.before, loadavg_1min_after: torch2.after },
    torch_batched: t2?.batched
      ? { seconds: t2.batched.seconds, reward_mean: meanOf(t2.batched.reward_mean), loadavg_1min_before: torch2.before, loadavg_1min_after: torch2.after }
      : { seconds: null, unavailable: torchReason, loadavg_1min_before: torch2.before, loadavg_1min_after: torch2.after },
  };
  const popSeconds = variants.kit_population.seconds;
  const loopSeconds = variants.torch_loop.seconds;
  return {
    runs: runCount,
    steps,
    batch: SWEEP_SHAPE.prompts_per_step * SWEEP_SHAPE.num_generations,
    workload: { ...SWEEP_SHAPE, methods: SWEEP_METHODS, warm_start: 'none (the notebook\'s supervised warm start is left out; GRPO phase only, from the seeded initial policy)' },
    variants,
    ratio_population_vs_torch_loop: popSeconds !== null && loopSeconds !== null ? popSeconds / loopSeconds : null,
    population_same_metrics_as_single: pop.value.every((log, r) => log.hash === single.value[r]!.hash),
    load_average_1min: { before: loadBefore, after: load1() },
    ...(t1 ? { torch: { version: t1.torch, threads: t1.threads } } : {}),
  };
}
