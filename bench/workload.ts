/**
 * The benchmark workload shared by every GRPO-step benchmark: a categorical MLP policy over 32
 * responses, 64 prompt features, one hidden layer of 256 units, batch 512 = 64 prompts x 8
 * generations, Adam, clipped surrogate (beta = 0: no reference model, as in the PyTorch script).
 */
import { CategoricalMLPPolicy } from '../src/policy';
import { Rng } from '../src/random';
import { GRPOTrainer, type GRPOConfig, type Prompt, type Task } from '../src/trainer';

/** Sizes of one benchmark step; the PyTorch script receives the same numbers. */
export interface WorkloadSizes {
  features: number;
  hidden: number;
  responses: number;
  prompts_per_step: number;
  num_generations: number;
  groups: number;
}

/** The workload: batch 512, 64 features, 256 hidden units, 32 responses. */
export const STEP_WORKLOAD: WorkloadSizes = { features: 64, hidden: 256, responses: 32, prompts_per_step: 64, num_generations: 8, groups: 4 };

/** Prompts in the synthetic task's pool (a data set the task draws from, as a real task would). */
export const PROMPT_POOL = 4096;

/**
 * A synthetic task: a fixed pool of {@link PROMPT_POOL} prompts with standard-normal features and a
 * preference group each; a step draws its prompts from the pool, and a response's reward is a fixed
 * per-group table entry (so rewards vary within a prompt's generations and the advantages are
 * non-trivial). The pool is drawn once, so the benchmark times the trainer, not feature generation.
 */
export function syntheticTask(sizes: WorkloadSizes, seed = 1): Task {
  const groups = Array.from({ length: sizes.groups }, (_, g) => `g${g}`);
  const rng = new Rng(seed);
  const table = groups.map(() => Float64Array.from({ length: sizes.responses }, () => rng.uniform()));
  const pool: Prompt[] = Array.from({ length: PROMPT_POOL }, (_, i) => {
    const features = new Float32Array(sizes.features);
    for (let f = 0; f < sizes.features; f++) features[f] = rng.normal();
    return { id: `p${i}`, features, group: groups[rng.int(groups.length)]! };
  });
  const groupIndex = new Map(groups.map((g, i) => [g, i]));
  return {
    groups,
    featureDim: sizes.features,
    rewardFunctions: [{ name: 'table', weight: 1, fn: (response, prompt) => table[groupIndex.get(prompt.group)!]![response[0]!]! }],
    samplePrompts(count: number, stepRng: Rng): Prompt[] {
      return Array.from({ length: count }, () => pool[stepRng.int(PROMPT_POOL)]!);
    },
  };
}

/** The trainer configuration of the benchmark step. */
export function stepConfig(sizes: WorkloadSizes): GRPOConfig {
  return {
    prompts_per_step: sizes.prompts_per_step,
    num_generations: sizes.num_generations,
    beta: 0,
    learning_rate: 1e-3,
    max_grad_norm: 1.0,
    epsilon: 0.2,
    seed: 0,
  };
}

/** A fresh policy and trainer for the workload (the caller disposes both). */
export function makeTrainer(sizes: WorkloadSizes, seed = 0): { policy: CategoricalMLPPolicy; trainer: GRPOTrainer } {
  const task = syntheticTask(sizes);
  const policy = new CategoricalMLPPolicy({
    numResponses: sizes.responses,
    groups: task.groups,
    featureDim: sizes.features,
    embeddingDim: 0,
    hiddenSizes: [sizes.hidden],
    seed,
  });
  const trainer = new GRPOTrainer(policy, task, stepConfig(sizes));
  return { policy, trainer };
}
