/**
 * Both method families on the same policy and the same rewards (issue 14 part 4, notebook 08).
 *
 * Methods (fixed before any result was seen):
 * - `grpo`: GRPO, advantages scaled per generation group (TRL's `scale_rewards: 'group'`);
 * - `grpo_batch`: GRPO with `scale_rewards: 'batch'`;
 * - `pgrpo`: P-GRPO (per-preference-group running baselines);
 * - `gr_grpo`: GRPO with the trainer's `group_robust` option (eta_alpha {@link GR_GRPO_ETA});
 * - `dpo`: DPO on pairs built from the same rewards ({@link pairsFromRewardTable} /
 *   {@link pairsFromScoredResponses}), through the {@link GroupRobustTrainer} with uniform weighting;
 * - `gr_dpo`: GR-DPO on the same pairs (robust weighting, the trainer's default eta_alpha).
 * Every method trains the same policy class from the same start (same seed), with Adam at the same
 * learning rate and the same number of steps. The GRPO family samples fresh responses every step
 * (online); DPO / GR-DPO see a fixed set of pairs built once from the rewards (offline): the pairs of
 * the reward table (Polis), or completions sampled once from the starting policy and scored with the
 * task's own reward (persona language model).
 *
 * Evaluation, the same for both families: `expected_reward` (Polis: the exact expected agree rate
 * of the policy for each group, sum_a pi(a | g) r_g(a)) or `eval_reward` (language model:
 * `personaEvalRecords`, a fixed number of sampled completions per persona), every `eval_every` steps
 * from step 0.
 */
import type { MetricRecord } from '../frames';
import type { PairResponse, PairwiseGroupData } from '../data/groupLinearBandit';
import { CategoricalMLPPolicy } from '../policy';
import { pairsFromRewardTable, pairsFromScoredResponses } from '../data/rewardPairs';
import { GroupRobustTrainer, type GroupRobustConfig } from '../robust';
import { GRPOTrainer, tableTask, type GRPOConfig, type Prompt, type Task } from '../trainer';
import { GRPOPopulation } from '../trainer/population';
import { personaCorpus } from '../lm/corpus';
import { GRULanguagePolicy } from '../lm/gruPolicy';
import { WordVocabulary } from '../lm/vocabulary';
import { pretrainLanguagePolicy } from '../lm/pretrain';
import { personaLanguageTask, type PersonaLanguageTask } from '../lm/task';
import { personaEvalRecords } from '../lm/completions';
import type { Policy } from '../policy/types';
import { Rng } from '../random';
import { warmStartToward, type PreferenceTable } from './banditRecovery';

/** The six methods of the comparison (see module docs). */
export const ONE_WORKFLOW_METHODS = ['grpo', 'grpo_batch', 'pgrpo', 'gr_grpo', 'dpo', 'gr_dpo'] as const;
/** One of {@link ONE_WORKFLOW_METHODS}. */
export type OneWorkflowMethod = (typeof ONE_WORKFLOW_METHODS)[number];

/**
 * eta_alpha of group-robust GRPO (rewards in [0, 1] on both tasks): a shortfall of 0.5 held for 20
 * steps multiplies a group's weight ratio by e^1. Fixed before any run.
 */
export const GR_GRPO_ETA = 0.1;

/** Shared settings of one run. */
export interface OneWorkflowSettings {
  steps: number;
  eval_every: number;
  learning_rate: number;
  /** GRPO: prompts per step and generations per prompt. */
  prompts_per_step: number;
  num_generations: number;
  /** GRPO's KL coefficient to the starting policy. */
  beta: number;
  /** DPO / GR-DPO: pairs per step and the DPO beta. */
  pair_batch: number;
  dpo_beta: number;
}

/** Whether a method is of the GRPO family (online, trained by GRPOTrainer; populations train them together). */
export function isGrpoFamily(method: OneWorkflowMethod): boolean {
  return method !== 'dpo' && method !== 'gr_dpo';
}

/** The GRPOTrainer configuration of a GRPO-family method. */
function grpoConfig(method: OneWorkflowMethod, seed: number, s: OneWorkflowSettings): GRPOConfig {
  return {
    num_generations: s.num_generations,
    prompts_per_step: s.prompts_per_step,
    learning_rate: s.learning_rate,
    beta: s.beta,
    seed,
    advantage: method === 'pgrpo' ? 'pgrpo' : { name: 'grpo', scale_rewards: method === 'grpo_batch' ? 'batch' : 'group' },
    group_robust: method === 'gr_grpo' ? { eta_alpha: GR_GRPO_ETA } : null,
  };
}

/** One run of {@link trainGrpoFamilyPopulation}. */
interface FamilyRun {
  method: OneWorkflowMethod;
  seed: number;
  policy: Policy;
  task: Task;
  evaluate: (step: number) => void;
}

/**
 * {@link trainMethod} for GRPO-family runs trained as one population: the same evaluations at the same
 * steps (the population writes its weights back into the runs' policies first), each run's records
 * equal to its run alone, bit for bit.
 */
function trainGrpoFamilyPopulation(runs: readonly FamilyRun[], s: OneWorkflowSettings): MetricRecord[][] {
  runs.forEach((run, r) => {
    if (!isGrpoFamily(run.method)) throw new Error(`run ${r}: '${run.method}' is not a GRPO-family method; it trains alone`);
  });
  const records: MetricRecord[][] = runs.map(() => []);
  runs.forEach((run) => run.evaluate(0));
  const population = new GRPOPopulation(runs.map((run) => ({ policy: run.policy, task: run.task, config: grpoConfig(run.method, run.seed, s) })));
  try {
    population.train(s.steps, {
      progress: false, // cells of an experiment: the runner shows progress
      keepHistory: false,
      onStep: (perRun, step) => {
        perRun.forEach((rs, r) => records[r]!.push(...rs));
        const done = step + 1;
        if (done % s.eval_every === 0 || done === s.steps) {
          population.writeBack();
          runs.forEach((run) => run.evaluate(done));
        }
      },
    });
  } finally {
    population.dispose();
  }
  return records;
}

/** Trains one method for `steps` steps, calling `evaluate(step)` at step 0 and every `eval_every` steps. */
function trainMethod(
  method: OneWorkflowMethod,
  seed: number,
  policy: Policy,
  task: Task,
  pairs: () => PairwiseGroupData<PairResponse>,
  s: OneWorkflowSettings,
  evaluate: (step: number) => void,
): MetricRecord[] {
  const records: MetricRecord[] = [];
  const atStep = (done: number) => {
    if (done % s.eval_every === 0 || done === s.steps) evaluate(done);
  };
  atStep(0);
  if (method === 'dpo' || method === 'gr_dpo') {
    const config: GroupRobustConfig = {
      loss_type: 'sigmoid',
      weighting: method === 'dpo' ? 'uniform' : 'robust',
      beta: s.dpo_beta,
      learning_rate: s.learning_rate,
      optimizer: 'adam',
      batch_size: s.pair_batch,
      seed,
      log_every: s.steps + 1,
    };
    const trainer = new GroupRobustTrainer(policy, pairs(), config);
    try {
      for (let k = 0; k < s.steps; k++) {
        records.push(...trainer.trainStep());
        atStep(k + 1);
      }
    } finally {
      trainer.dispose();
    }
    return records;
  }
  const trainer = new GRPOTrainer(policy, task, grpoConfig(method, seed, s));
  try {
    trainer.train(s.steps, {
      progress: false,
      onStep: (r, step) => {
        records.push(...r);
        atStep(step + 1);
      },
    });
  } finally {
    trainer.dispose();
  }
  return records;
}

/** Settings of {@link runOneWorkflowTable}. */
export interface OneWorkflowTableSettings extends OneWorkflowSettings {
  /** Warm start toward the majority's favourite until the smallest group gets it with this probability. */
  warm_start_prob: number;
  /** DPO pairs: two statements pair when their agree rates differ by more than this. */
  pair_margin: number;
  hidden: number;
}

/**
 * One method on a preference table (a Polis conversation's agree rates): the recovery protocol's
 * start (categorical MLP, warm start toward the first group's favourite, see `runTableRecovery`), then
 * the method; returns its training records, `expected_reward` per group (and share-weighted on
 * `all`) at every evaluation, `best_reward` per group and `num_pairs` per group.
 */
export function runOneWorkflowTable(method: OneWorkflowMethod, seed: number, table: PreferenceTable, s: OneWorkflowTableSettings): MetricRecord[] {
  const run = prepareTableRun(method, seed, table, s);
  try {
    return run.finish(trainMethod(method, seed, run.policy, run.task, () => run.pairs, s, run.evaluate));
  } finally {
    run.policy.dispose();
  }
}

/**
 * {@link runOneWorkflowTable} for several GRPO-family runs on one table, trained as one population;
 * each run's records equal its run alone, bit for bit.
 */
export function runOneWorkflowTablePopulation(
  runs: readonly { method: OneWorkflowMethod; seed: number }[],
  table: PreferenceTable,
  s: OneWorkflowTableSettings,
): MetricRecord[][] {
  const prepared = runs.map((r) => prepareTableRun(r.method, r.seed, table, s));
  try {
    const trained = trainGrpoFamilyPopulation(
      prepared.map((p, r) => ({ method: runs[r]!.method, seed: runs[r]!.seed, policy: p.policy, task: p.task, evaluate: p.evaluate })),
      s,
    );
    return prepared.map((p, r) => p.finish(trained[r]!));
  } finally {
    prepared.forEach((p) => p.policy.dispose());
  }
}

/**
 * A table run up to its training: the warm-started policy, the task, the pairs, the evaluation (whose
 * records it collects), and `finish(trainingRecords)`, which returns the run's records in their order.
 */
function prepareTableRun(method: OneWorkflowMethod, seed: number, table: PreferenceTable, s: OneWorkflowTableSettings) {
  const groups = [...table.groups];
  const shares = [...table.shares];
  const numResponses = table.rewardTable[groups[0]!]!.length;
  const smallest = groups[shares.indexOf(Math.min(...shares))]!;
  const policy = new CategoricalMLPPolicy({ numResponses, groups, hiddenSizes: [s.hidden], seed });
  try {
    const majorityRow = table.rewardTable[groups[0]!]!;
    warmStartToward(policy, groups[0]!, smallest, majorityRow.indexOf(Math.max(...majorityRow)), s.warm_start_prob, 0, seed);
  } catch (err) {
    policy.dispose();
    throw err;
  }
  const pairs = pairsFromRewardTable({ groups, rewardTable: table.rewardTable }, { margin: s.pair_margin });
  const out: MetricRecord[] = [];
  const contexts = { size: groups.length, features: new Float32Array(0), groups };
  const evaluate = (step: number) => {
    const probs = policy.responseProbabilities(contexts);
    let all = 0;
    groups.forEach((g, k) => {
      const value = probs[k]!.reduce((acc, p, a) => acc + p * table.rewardTable[g]![a]!, 0);
      all += shares[k]! * value;
      out.push({ step, group: g, metric: 'expected_reward', value });
    });
    out.push({ step, group: 'all', metric: 'expected_reward', value: all });
  };
  const task = tableTask({ groups, shares, rewardTable: table.rewardTable });
  const finish = (training: MetricRecord[]): MetricRecord[] => {
    const records = [...out, ...training];
    groups.forEach((g, k) => {
      records.push({ step: 0, group: g, metric: 'best_reward', value: Math.max(...table.rewardTable[g]!) });
      records.push({ step: 0, group: g, metric: 'num_pairs', value: pairs.group_index.filter((x) => x === k).length });
    });
    return records;
  };
  return { policy, task, pairs, evaluate, finish };
}

/** Settings of {@link runOneWorkflowPersona}. */
export interface OneWorkflowPersonaSettings extends OneWorkflowSettings {
  corpus: number;
  pretrain_steps: number;
  /** Completions sampled per persona from the starting model to build the DPO pairs. */
  pair_samples: number;
  /** Completions per persona at each evaluation. */
  eval_per_persona: number;
}

interface Pretrained {
  task: PersonaLanguageTask;
  model: GRULanguagePolicy;
}
const pretrainedModels = new Map<string, Pretrained>();

/**
 * The pre-trained persona language model of notebook 06 (corpus seed 0, pre-training seed 0), made
 * once per process and settings and reused by every run (each run trains its own clone).
 */
export function pretrainedPersonaModel(corpusSize: number, pretrainSteps: number): Pretrained {
  const key = `${corpusSize}/${pretrainSteps}`;
  let made = pretrainedModels.get(key);
  if (made === undefined) {
    const corpus = personaCorpus({ count: corpusSize, seed: 0 });
    const vocabulary = WordVocabulary.fromTexts(corpus.map((d) => d.text));
    const task = personaLanguageTask({ vocabulary });
    const model = new GRULanguagePolicy({ vocabulary, groups: task.groups, maxLength: 32, embeddingDim: 16, hiddenSize: 48, seed: 0 });
    pretrainLanguagePolicy(model, corpus, { steps: pretrainSteps, batch_size: 64, learning_rate: 1e-2, seed: 0 });
    made = { task, model };
    pretrainedModels.set(key, made);
  }
  return made;
}

/**
 * Pairs for DPO / GR-DPO on the persona task: `perPersona` completions sampled from `policy` for every
 * persona (seeded), scored with the task's own reward function, paired within each persona by
 * {@link pairsFromScoredResponses} (different rewards only, the higher chosen).
 */
export function personaPairs(policy: Policy, task: PersonaLanguageTask, perPersona: number, seed: number) {
  const groups = [...task.groups];
  const sampled = policy.sample({ size: groups.length, features: new Float32Array(0), groups }, perPersona, 1, new Rng(seed));
  const reward = task.rewardFunctions[0]!;
  const scored = [];
  for (let i = 0; i < sampled.rows; i++) {
    const group = groups[Math.floor(i / perPersona)]!;
    const response: number[] = [];
    for (let t = 0; t < sampled.length; t++) if (sampled.mask[i * sampled.length + t]! > 0) response.push(sampled.tokens[i * sampled.length + t]!);
    const prompt: Prompt = { id: `pairs-${group}`, group, features: new Float32Array(0) };
    scored.push({ group, response, reward: reward.fn(response, prompt) as number });
  }
  return pairsFromScoredResponses(scored, policy.vocabSize, { groups });
}

/**
 * One method on the persona language model (notebook 06's task and model): returns its training
 * records, `eval_reward` per persona and `all` at every evaluation, and `num_pairs` per persona.
 */
export function runOneWorkflowPersona(method: OneWorkflowMethod, seed: number, s: OneWorkflowPersonaSettings): MetricRecord[] {
  const { task, model } = pretrainedPersonaModel(s.corpus, s.pretrain_steps);
  const policy = model.clone();
  try {
    const out: MetricRecord[] = [];
    let pairs: ReturnType<typeof personaPairs> | null = null;
    const getPairs = () => (pairs ??= personaPairs(policy, task, s.pair_samples, 5000 + seed));
    const evaluate = (step: number) => out.push(...personaEvalRecords(policy, task, step, { per_persona: s.eval_per_persona, seed: 1000 + step }));
    if (method === 'dpo' || method === 'gr_dpo') getPairs(); // sampled from the starting model, before any update
    out.push(...trainMethod(method, seed, policy, task, getPairs, s, evaluate));
    if (pairs !== null) {
      const made: ReturnType<typeof personaPairs> = pairs;
      task.groups.forEach((g, k) => out.push({ step: 0, group: g, metric: 'num_pairs', value: made.group_index.filter((x) => x === k).length }));
    }
    return out;
  } finally {
    policy.dispose();
  }
}
