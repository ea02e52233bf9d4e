/**
 * `npm run bench -- --compare=REF`: the GRPO step of the working tree against the same step of the
 * code at git revision REF, both loaded in one process and stepped alternately, so that a busy
 * machine slows both sides alike (on a shared 2-core machine separate runs swing by 2-3x).
 *
 * REF's `src/` is extracted with `git archive` into `out/bench-compare/<REF>/` (read-only use of git).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initBackend } from '../src/backend';
import { medianOf } from './python';
import { stepConfig, syntheticTask, type WorkloadSizes } from './workload';

/** Both sides' timings; `ratio` is working tree / REF (below 1: the working tree is faster). */
export interface CompareResult {
  ref: string;
  backend: string;
  steps: number;
  ref_median_ms: number;
  ref_p10_ms: number;
  tree_median_ms: number;
  tree_p10_ms: number;
  ratio: number;
  /** Whether the last step's metrics agree to 1e-4 (the optimisations must not change results). */
  same_metrics: boolean;
}

interface TrainerLike {
  trainStep(): { value: number }[];
  dispose(): void;
}

const ROOT = resolve(__dirname, '..');

/** Extracts REF's src/ (once per REF) and returns the folder holding it. */
function extract(ref: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = join(ROOT, 'out', 'bench-compare', sha);
  if (!existsSync(join(dir, 'src'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('bash', ['-c', `git archive ${sha} src | tar -x -C '${dir}'`], { cwd: ROOT });
  }
  return dir;
}

async function trainerFrom(srcDir: string, sizes: WorkloadSizes): Promise<TrainerLike> {
  const policyModule = await import(join(srcDir, 'policy', 'index.ts'));
  const trainerModule = await import(join(srcDir, 'trainer', 'index.ts'));
  const task = syntheticTask(sizes);
  const policy = new policyModule.CategoricalMLPPolicy({
    numResponses: sizes.responses,
    groups: task.groups,
    featureDim: sizes.features,
    embeddingDim: 0,
    hiddenSizes: [sizes.hidden],
    seed: 0,
  });
  const trainer = new trainerModule.GRPOTrainer(policy, task, stepConfig(sizes));
  return {
    trainStep: () => trainer.trainStep(),
    dispose: () => {
      trainer.dispose();
      policy.dispose();
    },
  };
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

/** Alternates `steps` steps of REF's trainer and the working tree's on `backend`. */
export async function compareWithRef(ref: string, backend: string, sizes: WorkloadSizes, steps: number): Promise<CompareResult> {
  const refDir = join(extract(ref), 'src');
  await initBackend(backend);
  const old = await trainerFrom(refDir, sizes);
  const now = await trainerFrom(join(ROOT, 'src'), sizes);
  try {
    for (let s = 0; s < 5; s++) {
      old.trainStep();
      now.trainStep();
    }
    const tOld: number[] = [];
    const tNow: number[] = [];
    let last: [{ value: number }[], { value: number }[]] = [[], []];
    for (let s = 0; s < steps; s++) {
      let t0 = performance.now();
      const a = old.trainStep();
      tOld.push(performance.now() - t0);
      t0 = performance.now();
      const b = now.trainStep();
      tNow.push(performance.now() - t0);
      last = [a, b];
    }
    const same = last[0].length === last[1].length && last[0].every((r, i) => Math.abs(r.value - last[1][i]!.value) <= 1e-4 * Math.max(1, Math.abs(r.value)));
    return {
      ref,
      backend,
      steps,
      ref_median_ms: medianOf(tOld),
      ref_p10_ms: quantile(tOld, 0.1),
      tree_median_ms: medianOf(tNow),
      tree_p10_ms: quantile(tNow, 0.1),
      ratio: medianOf(tNow) / medianOf(tOld),
      same_metrics: same,
    };
  } finally {
    old.dispose();
    now.dispose();
  }
}
