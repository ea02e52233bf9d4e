/**
 * Benchmark 2: the advantage estimators on one million rewards, against numpy.
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
