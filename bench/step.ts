/**
 * Benchmark 1: one GRPO step of the workload through the kit's GRPOTrainer, against the
 * same step in PyTorch (bench/torch_step.py).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { medianOf, runPython, type PythonResult } from './python';
import { makeTrainer, PROMPT_POOL, type WorkloadSizes } from './workload';

/** Step timings of one backend. */
export interface StepTiming {
  backend: string;
  /** Median milliseconds per step. */
  median_ms: number;
  min_ms: number;
  steps: number;
}

/** Times `steps` trainer steps (after `warmup` untimed ones) on `backend`; frees everything it made. */
export async function timeKitStep(backend: string, sizes: WorkloadSizes, steps: number, warmup: number): Promise<StepTiming> {
  await initBackend(backend);
  const { policy, trainer } = makeTrainer(sizes);
  try {
    for (let s = 0; s < warmup; s++) trainer.trainStep();
    const times: number[] = [];
    for (let s = 0; s < steps; s++) {
      const t0 = performance.now();
      trainer.trainStep();
      times.push(performance.now() - t0);
    }
    return { backend, median_ms: medianOf(times), min_ms: Math.min(...times), steps };
  } finally {
    trainer.dispose();
    policy.dispose();
  }
}

/** The PyTorch step timing, or why there is none. */
export function timeTorchStep(python: string, sizes: WorkloadSizes, steps: number, warmup: number): PythonResult {
  return runPython(python, 'torch_step.py', { ...sizes, steps, warmup, prompt_pool: PROMPT_POOL });
}

/**
 * Kernels launched by one step and the time spent in each kind (tf.profile), hottest first. Each
 * kind's time is the smallest over `repeats` profiled steps: on a shared machine a kernel's time is
 * its own plus whatever preempted it, and the minimum is the best estimate of the former.
 */
export async function profileStep(
  backend: string,
  sizes: WorkloadSizes,
  repeats = 7,
): Promise<{ kernels: number; top: { kernel: string; count: number; ms: number }[] }> {
  await initBackend(backend);
  const { policy, trainer } = makeTrainer(sizes);
  try {
    for (let s = 0; s < 3; s++) trainer.trainStep();
    const best = new Map<string, { count: number; ms: number }>();
    let kernels = 0;
    for (let r = 0; r < repeats; r++) {
      const info = await tf.profile(() => {
        trainer.trainStep();
      });
      kernels = info.kernels.length;
      const byName = new Map<string, { count: number; ms: number }>();
      for (const k of info.kernels) {
        const e = byName.get(k.name) ?? { count: 0, ms: 0 };
        e.count += 1;
        e.ms += Number(k.kernelTimeMs) || 0;
        byName.set(k.name, e);
      }
      for (const [name, e] of byName) {
        const b = best.get(name);
        if (b === undefined || e.ms < b.ms) best.set(name, e);
      }
    }
    const top = [...best].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
    return { kernels, top };
  } finally {
    trainer.dispose();
    policy.dispose();
  }
}
