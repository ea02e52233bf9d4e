/**
 * Benchmark 3: one GRPO step of the sequence policy (GRULanguagePolicy on the persona text task,
 * notebook 06's full-mode sizes) through the kit's GRPOTrainer, against the same step in PyTorch
 * (bench/torch_lm_step.py). Both start from the same pre-trained weights, so they sample sequences
 * of the same lengths.
 */
import { unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend';
import { GRULanguagePolicy, personaCorpus, personaLanguageTask, pretrainLanguagePolicy, WordVocabulary, type PersonaLanguageTask } from '../src/lm';
import type { WeightData } from '../src/policy/types';
import { Rng } from '../src/random';
import { GRPOTrainer, type GRPOConfig, type Task } from '../src/trainer';
import { medianOf, runPython, type PythonResult } from './python';

/** Notebook 06 in full mode: corpus, pre-training, policy sizes and the GRPO configuration. */
export const LM_WORKLOAD = {
  corpus: 600,
  pretrain_steps: 200,
  pretrain_batch: 64,
  pretrain_learning_rate: 1e-2,
  maxLength: 32,
  embeddingDim: 16,
  hiddenSize: 48,
  /** The policy's default group-embedding size (the notebook does not set it). */
  groupEmbeddingDim: 8,
  config: { num_generations: 8, prompts_per_step: 8, learning_rate: 3e-3, beta: 0.04, loss_type: 'grpo', seed: 0 } satisfies GRPOConfig,
};

/** The task, and the pre-trained weights every timed run starts from (plain arrays, so any backend can load them). */
export interface LmSetup {
  task: PersonaLanguageTask;
  weights: WeightData[];
  pretrain_seconds: number;
  /** A batch sampled from the pre-trained policy, for checking that the PyTorch model computes the same log-probs. */
  check: { group_ids: number[]; length: number; tokens: number[]; mask: number[]; log_probs: number[] };
}

function makePolicy(task: PersonaLanguageTask, seed = 0): GRULanguagePolicy {
  const w = LM_WORKLOAD;
  return new GRULanguagePolicy({ vocabulary: task.vocabulary, groups: task.groups, maxLength: w.maxLength, embeddingDim: w.embeddingDim, hiddenSize: w.hiddenSize, seed });
}

/** Builds the corpus, vocabulary and task and pre-trains the policy as the notebook does (on `backend`; not timed). */
export async function prepareLm(backend = 'wasm'): Promise<LmSetup> {
  await initBackend(backend);
  const w = LM_WORKLOAD;
  const corpus = personaCorpus({ count: w.corpus, seed: 0 });
  const vocabulary = WordVocabulary.fromTexts(corpus.map((d) => d.text));
  const task = personaLanguageTask({ vocabulary });
  const policy = makePolicy(task);
  try {
    const t0 = performance.now();
    pretrainLanguagePolicy(policy, corpus, { steps: w.pretrain_steps, batch_size: w.pretrain_batch, learning_rate: w.pretrain_learning_rate, seed: 0 });
    const pretrain_seconds = (performance.now() - t0) / 1000;
    const { prompts_per_step: P, num_generations: G } = w.config;
    const prompts = task.samplePrompts(P, new Rng(123));
    const s = policy.sample({ size: P, features: new Float32Array(0), groups: prompts.map((p) => p.group) }, G, 1, new Rng(124));
    const group_ids = Array.from({ length: s.rows }, (_, i) => task.groups.indexOf(prompts[Math.floor(i / G)]!.group));
    const check = { group_ids, length: s.length, tokens: Array.from(s.tokens), mask: Array.from(s.mask), log_probs: Array.from(s.logProbs) };
    return { task, weights: policy.getWeights(), pretrain_seconds, check };
  } finally {
    policy.dispose();
  }
}

/** Per-step timings of one backend (medians over the timed steps). */
export interface LmStepTiming {
  backend: string;
  steps: number;
  /** Whole trainer step minus the persona reward (see `reward_median_ms`), so both sides leave reward cost out. */
  median_ms: number;
  min_ms: number;
  /** `policy.sample` inside the step (prompt drawing excluded). */
  sample_median_ms: number;
  /** Step minus sampling minus reward: advantages, reference forward, loss, backward, clipping, Adam, read-back, metrics. */
  update_median_ms: number;
  /** The persona reward of the 64 completions (decode + rule-based scoring), excluded from `median_ms`. */
  reward_median_ms: number;
  /** Mean padded length (the longest row, what the tensors are sized by) and mean real length (EOS included). */
  mean_padded_length: number;
  mean_completion_length: number;
}

/** Times `steps` trainer steps after `warmup` untimed ones on `backend`, from the pre-trained weights; frees everything. */
export async function timeKitLmStep(backend: string, setup: LmSetup, steps: number, warmup: number): Promise<LmStepTiming> {
  await initBackend(backend);
  const policy = makePolicy(setup.task);
  policy.setWeights(setup.weights);
  // Wrapped (not modified) so that one step can be split into sampling, reward and the rest.
  let sampleMs = 0;
  let rewardMs = 0;
  let padded = 0;
  const sample = policy.sample.bind(policy);
  policy.sample = (...args) => {
    const t0 = performance.now();
    const out = sample(...args);
    sampleMs += performance.now() - t0;
    padded = out.length;
    return out;
  };
  const task: Task = {
    ...setup.task,
    rewardFunctions: setup.task.rewardFunctions.map((f) => ({
      ...f,
      fn: (response, prompt) => {
        const t0 = performance.now();
        const r = f.fn(response, prompt);
        rewardMs += performance.now() - t0;
        return r;
      },
    })),
  };
  const trainer = new GRPOTrainer(policy, task, LM_WORKLOAD.config);
  try {
    for (let s = 0; s < warmup; s++) trainer.trainStep();
    const total: number[] = [];
    const sampling: number[] = [];
    const reward: number[] = [];
    const paddedLengths: number[] = [];
    const lengths: number[] = [];
    for (let s = 0; s < steps; s++) {
      sampleMs = rewardMs = 0;
      const t0 = performance.now();
      const records = trainer.trainStep();
      total.push(performance.now() - t0 - rewardMs);
      sampling.push(sampleMs);
      reward.push(rewardMs);
      paddedLengths.push(padded);
      lengths.push(records.find((r) => r.metric === 'completion_length' && r.group === 'all')?.value ?? NaN);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      backend,
      steps,
      median_ms: medianOf(total),
      min_ms: Math.min(...total),
      sample_median_ms: medianOf(sampling),
      update_median_ms: medianOf(total.map((t, i) => t - sampling[i]!)),
      reward_median_ms: medianOf(reward),
      mean_padded_length: mean(paddedLengths),
      mean_completion_length: mean(lengths),
    };
  } finally {
    trainer.dispose();
    policy.dispose();
  }
}

/**
 * The PyTorch step timing, or why there is none. The pre-trained weights and the check batch go
 * through a temporary file (too large for a command-line argument).
 */
export function timeTorchLmStep(python: string, setup: LmSetup, steps: number, warmup: number): PythonResult {
  const w = LM_WORKLOAD;
  const file = join(tmpdir(), `hpa-bench-lm-${process.pid}.json`);
  const shares = setup.task.personas.map((p) => p.share); // the task's groups, in order
  const model = { vocab_size: setup.task.vocabulary.size, groups: setup.task.groups.length, embedding_dim: w.embeddingDim, group_embedding_dim: w.groupEmbeddingDim, hidden_size: w.hiddenSize, max_length: w.maxLength };
  writeFileSync(file, JSON.stringify({ model, shares, weights: setup.weights, check: setup.check }));
  try {
    return runPython(python, 'torch_lm_step.py', { weights_file: file, ...w.config, steps, warmup, threads: 1 });
  } finally {
    unlinkSync(file);
  }
}

/** What bench/torch_lm_step.py prints: per-step series (ms), their medians, lengths and the model check. */
export interface TorchLmRun extends Omit<LmStepTiming, 'backend'> {
  torch: string;
  threads: number;
  ms: number[];
  sample_ms: number[];
  update_ms: number[];
  reward_ms: number[];
  /** Largest |log-prob| difference between the kit and the PyTorch model on a batch the kit sampled. */
  check_max_abs_diff: number;
}

/** One timing over the steps of two PyTorch runs (before and after the kit), medians over both. */
export function mergeTorchRuns(a: TorchLmRun, b: TorchLmRun): TorchLmRun {
  const ms = [...a.ms, ...b.ms];
  const sample_ms = [...a.sample_ms, ...b.sample_ms];
  const update_ms = [...a.update_ms, ...b.update_ms];
  const reward_ms = [...a.reward_ms, ...b.reward_ms];
  const weighted = (x: number, y: number) => (x * a.steps + y * b.steps) / (a.steps + b.steps);
  return {
    ...a,
    steps: ms.length,
    ms,
    sample_ms,
    update_ms,
    reward_ms,
    median_ms: medianOf(ms),
    min_ms: Math.min(...ms),
    sample_median_ms: medianOf(sample_ms),
    update_median_ms: medianOf(update_ms),
    reward_median_ms: medianOf(reward_ms),
    mean_padded_length: weighted(a.mean_padded_length, b.mean_padded_length),
    mean_completion_length: weighted(a.mean_completion_length, b.mean_completion_length),
  };
}
