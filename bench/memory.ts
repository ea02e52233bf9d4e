/**
 * Benchmark 5: resident memory and live tensors over many training steps.
 */
import * as tf from '@tensorflow/tfjs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { initBackend } from '../src/backend';
import { makeTrainer, type WorkloadSizes } from './workload';

/** Memory at the start and end of a run, and the growth. */
export interface MemoryReport {
  backend: string;
  steps: number;
  sizes: WorkloadSizes;
  rss_start_mb: number;
  rss_end_mb: number;
  rss_growth_pct: number;
  heap_start_mb: number;
  heap_end_mb: number;
  tensors_start: number;
  tensors_end: number;
  /** Metric records streamed through `onStep` (none kept). */
  records: number;
  /** Readings every `reading_every` steps from the start reading on (each after a full GC). */
  reading_every: number;
  readings: { step: number; rss_mb: number; heap_mb: number; tensors: number }[];
  /**
   * RSS growth over the run from a least-squares line through all readings (slope x steps /
   * fitted start), in percent: one reading's allocator noise (about +-10 MB here) moves it far less
   * than it moves the two-point `rss_growth_pct`.
   */
  rss_fitted_growth_pct: number;
}

/** Least-squares slope and intercept of y against x. */
function lineFit(xs: number[], ys: number[]): { slope: number; intercept: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

/** A full garbage collection, so that RSS and heap compare live data rather than collector timing. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

const mb = (bytes: number) => bytes / 2 ** 20;

/**
 * Trains `steps` steps after `warmup` steps, reading RSS, heap and `tf.memory().numTensors` after
 * the warm-up and then every `readingEvery` steps (each reading after a full GC).
 */
export async function measureMemory(backend: string, sizes: WorkloadSizes, steps: number, warmup: number, readingEvery = 250): Promise<MemoryReport> {
  await initBackend(backend);
  const { policy, trainer } = makeTrainer(sizes);
  try {
    // Records are streamed and dropped (keepHistory: false), as a long run would do: the benchmark
    // measures the trainer's own memory, not an ever-growing metrics log.
    let streamed = 0;
    const options = { keepHistory: false, onStep: (records: unknown[]) => void (streamed += records.length) };
    const readings: MemoryReport['readings'] = [];
    const read = (step: number) => {
      collectGarbage();
      const mem = process.memoryUsage();
      readings.push({ step, rss_mb: mb(mem.rss), heap_mb: mb(mem.heapUsed), tensors: tf.memory().numTensors });
    };
    trainer.train(warmup, options);
    read(0);
    for (let done = 0; done < steps; ) {
      const chunk = Math.min(readingEvery, steps - done);
      trainer.train(chunk, options);
      done += chunk;
      read(done);
    }
    const start = readings[0]!;
    const end = readings[readings.length - 1]!;
    const fit = lineFit(
      readings.map((r) => r.step),
      readings.map((r) => r.rss_mb),
    );
    return {
      backend,
      steps,
      sizes,
      rss_start_mb: start.rss_mb,
      rss_end_mb: end.rss_mb,
      rss_growth_pct: (100 * (end.rss_mb - start.rss_mb)) / start.rss_mb,
      heap_start_mb: start.heap_mb,
      heap_end_mb: end.heap_mb,
      tensors_start: start.tensors,
      tensors_end: Math.max(...readings.map((r) => r.tensors)),
      records: streamed,
      reading_every: readingEvery,
      readings,
      rss_fitted_growth_pct: (100 * fit.slope * steps) / fit.intercept,
    };
  } finally {
    trainer.dispose();
    policy.dispose();
  }
}
