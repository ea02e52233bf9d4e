/**
 * Benchmark 2: the advantage estimators on one million rewards, against numpy; and at the batch
 * sizes the kit trains with (128 to 4096 rewards), the per-step cost that decided to keep only the
 * reference implementations (`npx tsx bench/estimators.ts` prints that table).
 */
import { createEstimator, type AdvantageInput } from '../src/advantages';
import { medianOf, runPython, type PythonResult } from './python';

/** Sizes of the estimator benchmark. */
export interface EstimatorBenchOptions {
  n: number;
  /** Generations per prompt. */
  G: number;
  /** Preference groups. */
  groups: number;
  reps: number;
}

/** One estimator's timings on both sides. */
export interface EstimatorRow {
  estimator: string;
  kit_ms: number;
  numpy_ms: number | null;
  /** kit / numpy (below 1: the kit is faster). */
  ratio: number | null;
  /** Whether both sides' sum of |advantage| agree to 1e-9 relative. */
  agree: boolean | null;
}

/** The batch numpy_estimators.py builds, built the same way here (see that script's docstring). */
export function estimatorBatch(n: number, G: number, groups: number): AdvantageInput {
  const rewards = new Float64Array(n);
  const generationGroups = new Int32Array(n);
  const names = Array.from({ length: groups }, (_, g) => `g${g}`);
  const preferenceGroups = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const gen = Math.floor(i / G);
    generationGroups[i] = gen;
    preferenceGroups[i] = names[gen % groups]!;
    rewards[i] = gen % 10 === 0 ? 0.5 : ((i * 7919) % 1009) / 1009;
  }
  return { rewards, generationGroups, preferenceGroups };
}

/** Times grpo, rloo and pgrpo (a fresh P-GRPO estimator per repetition: its first batch) on both sides. */
export function benchEstimators(opts: EstimatorBenchOptions, python: string): { rows: EstimatorRow[]; numpy: PythonResult } {
  const input = estimatorBatch(opts.n, opts.G, opts.groups);
  const numpy = runPython(python, 'numpy_estimators.py', { n: opts.n, G: opts.G, groups: opts.groups, reps: opts.reps });
  const rows: EstimatorRow[] = [];
  for (const name of ['grpo', 'rloo', 'pgrpo'] as const) {
    let checksum = 0;
    const times: number[] = [];
    for (let r = 0; r <= opts.reps; r++) {
      const estimator = createEstimator(name);
      const t0 = performance.now();
      const out = estimator.compute(input);
      const ms = performance.now() - t0;
      if (r > 0) times.push(ms); // the first run warms the JIT, as numpy's first call warms its caches
      checksum = out.advantages.reduce((s, a) => s + Math.abs(a), 0);
    }
    const kit = medianOf(times);
    const ref = numpy.ok ? (numpy.value as NumpyOutput).estimators[name] : undefined;
    rows.push({
      estimator: name,
      kit_ms: kit,
      numpy_ms: ref?.median_ms ?? null,
      ratio: ref ? kit / ref.median_ms : null,
      agree: ref ? Math.abs(checksum - ref.checksum) <= 1e-9 * Math.abs(ref.checksum) : null,
    });
  }
  return { rows, numpy };
}

interface NumpyOutput {
  numpy: string;
  estimators: Record<string, { median_ms: number; min_ms: number; checksum: number }>;
}

/** One estimator's median time per batch at one of the kit's training batch sizes. */
export interface BatchSizeRow {
  estimator: string;
  n: number;
  median_ms: number;
}

/**
 * Median time of one `compute` per estimator at training batch sizes (G = 8 generations per prompt,
 * 4 preference groups, a fresh estimator per repetition). On 2026-12-01 (2-core EPYC, load ~8) the
 * plain reference estimators took 0.13 / 0.03 / 0.06 ms (grpo / rloo / pgrpo) at 1024 rewards and
 * 0.23 / 0.16 / 0.28 ms at 4096, against 0.09 / 0.02 / 0.02 and 0.09 / 0.07 / 0.10 ms for the
 * removed run-by-run fast path: at most 0.2 ms of a 2-5 ms GRPO step, so the kit keeps one
 * implementation. (At 1M rewards the reference is 2.5-5x slower than the fast path was.)
 */
export function benchBatchSizes(sizes: readonly number[] = [128, 1024, 4096], reps = 400): BatchSizeRow[] {
  const rows: BatchSizeRow[] = [];
  for (const n of sizes) {
    const input = estimatorBatch(n, 8, 4);
    for (const name of ['grpo', 'rloo', 'pgrpo'] as const) {
      const times: number[] = [];
      for (let r = 0; r <= reps; r++) {
        const estimator = createEstimator(name);
        const t0 = performance.now();
        estimator.compute(input);
        if (r > 0) times.push(performance.now() - t0);
      }
      rows.push({ estimator: name, n, median_ms: medianOf(times) });
    }
  }
  return rows;
}

if (require.main === module) {
  for (const row of benchBatchSizes()) console.log(`${row.estimator.padEnd(6)} n=${String(row.n).padStart(5)}  ${row.median_ms.toFixed(3)} ms`);
}
