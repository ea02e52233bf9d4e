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
  /** Metric records the trainer keeps (its history grows by design, and is part of the heap). */
  records: number;
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
 * the warm-up and at the end (each after a full GC).
 */
export async function measureMemory(backend: string, sizes: WorkloadSizes, steps: number, warmup: number): Promise<MemoryReport> {
  await initBackend(backend);
  const { policy, trainer } = makeTrainer(sizes);
  try {
    // Records are streamed and dropped (keepHistory: false), as a long run would do: the benchmark
    // measures the trainer's own memory, not an ever-growing metrics log.
    let streamed = 0;
    const options = { keepHistory: false, onStep: (records: unknown[]) => void (streamed += records.length) };
    trainer.train(warmup, options);
    collectGarbage();
    const start = { mem: process.memoryUsage(), tensors: tf.memory().numTensors };
    trainer.train(steps, options);
    collectGarbage();
    const end = { mem: process.memoryUsage(), tensors: tf.memory().numTensors };
    return {
      backend,
      steps,
      sizes,
      rss_start_mb: mb(start.mem.rss),
      rss_end_mb: mb(end.mem.rss),
      rss_growth_pct: (100 * (end.mem.rss - start.mem.rss)) / start.mem.rss,
      heap_start_mb: mb(start.mem.heapUsed),
      heap_end_mb: mb(end.mem.heapUsed),
      tensors_start: start.tensors,
      tensors_end: end.tensors,
      records: streamed,
    };
  } finally {
    trainer.dispose();
    policy.dispose();
  }
}
