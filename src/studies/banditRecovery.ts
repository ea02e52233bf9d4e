/**
 * Minority recovery on the heterogeneous-preference bandit: one training run of a GRPO-family
 * method from a majority-biased starting policy, logged per preference group.
 *
 * Design (fixed before any result was seen, and the same for every method):
 * - Two groups, `majority` and `minority` (share `minority_share`), K responses, binary rewards, each
 *   group rewarding one different response (no overlap). The reward table is drawn from the seed.
 * - The policy is a categorical MLP that sees the group through a learned embedding, so a policy that
 *   serves both groups perfectly exists (reward 1 for everyone).
 * - Start: a short supervised warm start on majority data (majority users labelled with the
 *   majority's favourite), stopped when a minority user, through the shared network, gets that
 *   response with probability `warm_start_prob` (then optionally `extra_warm_start_steps` more): the
 *   minority starts near reward 0 and must recover.
 * - Then GRPO training with the chosen advantage estimator; the reference for the KL term is the
 *   warm-started policy (as in RLHF practice, where the reference is the SFT model).
 * Methods differ only in the advantage estimator.
 */
import type { AdvantageChoice, GRPOConfig } from '../trainer';
import { GRPOTrainer, tableTask } from '../trainer';
import { GRPOPopulation } from '../trainer/population';
import { CategoricalMLPPopulation } from '../policy/population';
import { supervisedWarmStartPopulation } from '../policy/warmStart';
import { CategoricalMLPPolicy, supervisedWarmStart } from '../policy';
import { generateBandit } from '../data';
import type { MetricRecord } from '../frames';
import { estimatorInfo } from '../advantages';

/** Methods compared in the recovery studies (advantage estimators of the one GRPO trainer). */
export const RECOVERY_METHODS = ['grpo', 'pgrpo', 'dr_grpo', 'rloo', 'pgrpo_random_groups'] as const;
/**
 * A method: the name of any registered estimator (see `registerEstimator`), e.g. one of
 * {@link RECOVERY_METHODS}. An estimator with a `shares` option (the random-group ablation) is given
 * the study's groups, their true shares and the seed `seed + 7919`.
 */
export type RecoveryMethod = (typeof RECOVERY_METHODS)[number] | (string & {});

/** Settings of one bandit recovery run. */
export interface BanditRecoveryConfig {
  /** Share of prompts from the minority group, in (0, 0.5]. */
  minority_share: number;
  /** Number of responses K (default 8). */
  num_responses?: number;
  /** GRPO steps after the warm start. */
  steps: number;
  /** Prompts per step (default 16). */
  prompts_per_step?: number;
  /** G, samples per prompt (default 8). */
  num_generations?: number;
  /** Adam learning rate of the GRPO phase (default 0.01). */
  learning_rate?: number;
  /** KL coefficient to the warm-started reference (default 0.0, TRL's current default). */
  beta?: number;
  /**
   * Strength of the majority-biased start: the supervised warm start on majority data runs until
   * the policy gives the majority's favourite at least this probability for a *minority* user
   * (default 0.9), or for at most 1000 steps (the probability reached is logged). At 0.9 the minority's own best response keeps
   * about (1 - 0.9) / (K - 1) probability, so it is sampled now and then; near 1 it is practically
   * never sampled and a group's own reward history carries no signal.
   */
  warm_start_prob?: number;
  /**
   * Further warm-start steps after `warm_start_prob` is reached (default 0): a stronger majority bias
   * than any probability target the majority-only data can reach for minority users (their probability
   * plateaus below about 0.97, since only the majority's embedding is trained).
   */
  extra_warm_start_steps?: number;
  /** Hidden-layer width of the policy MLP (default 32). */
  hidden?: number;
}

/** Fills the training defaults of the recovery protocol and checks `steps`. */
function trainingSettings(c: TableRecoveryConfig): Required<TableRecoveryConfig> {
  if (!(Number.isInteger(c.steps) && c.steps > 0)) throw new Error(`steps must be a positive integer, got ${c.steps}`);
  return {
    prompts_per_step: 16,
    num_generations: 8,
    learning_rate: 0.01,
    beta: 0.0,
    warm_start_prob: 0.9,
    extra_warm_start_steps: 0,
    hidden: 32,
    ...c,
  };
}

const WARM_START_CHUNK = 1;
const WARM_START_MAX_STEPS = 1000;

/**
 * Supervised warm start on majority examples (majority users labelled with the majority's
 * favourite), one step at a time, until a `minority` user gets that response with probability >=
 * `target` (through the shared network), then `extraSteps` more. Returns the steps taken and the probability reached.
 *
 * The steps toward the target are normalised-gradient steps (`optimizer: 'normalized-gradient'`:
 * each parameter moves by about the learning rate 0.01 against its gradient's sign, no optimiser
 * state between steps), so the probability is checked after every step; the `extraSteps` are one
 * continuing Adam. (Both are what the committed figures were made with: before the option existed,
 * each one-step call built a fresh Adam, whose first step is this normalised-gradient step.)
 */
export function warmStartToward(
  policy: CategoricalMLPPolicy,
  majority: string,
  minority: string,
  response: number,
  target: number,
  extraSteps: number,
  seed: number,
): { steps: number; probability: number } {
  if (!(target > 0 && target < 1)) throw new Error(`warm_start_prob must be in (0, 1), got ${target}`);
  const minorityContext = { size: 1, features: new Float32Array(0), groups: [minority] };
  // One small step at a time (learning rate 0.01) so the start lands just past the target rather than
  // far beyond it: larger steps overshoot from 0.9 to 0.999 in one chunk.
  let steps = 0;
  let probability = policy.responseProbabilities(minorityContext)[0]![response]!;
  // Stops at the target or after WARM_START_MAX_STEPS (some Polis tables never get there through the
  // shared network); the probability actually reached is returned and logged either way.
  while (probability < target && steps < WARM_START_MAX_STEPS) {
    supervisedWarmStart(policy, [{ group: majority, response }], { steps: WARM_START_CHUNK, seed: seed + steps, learning_rate: 0.01, optimizer: 'normalized-gradient' });
    steps += WARM_START_CHUNK;
    probability = policy.responseProbabilities(minorityContext)[0]![response]!;
  }
  if (extraSteps > 0) {
    supervisedWarmStart(policy, [{ group: majority, response }], { steps: extraSteps, seed: seed + steps, learning_rate: 0.01, optimizer: 'adam' });
    steps += extraSteps;
    probability = policy.responseProbabilities(minorityContext)[0]![response]!;
  }
  return { steps, probability };
}

/**
 * {@link warmStartToward} for a population of policies, one batched computation for all runs: run r
 * warms up toward `responses[r]` with seeds from `seeds[r]`, takes its own number of steps (the
 * runs that reached the target sit out while the others continue) and ends with the same weights,
 * bit for bit, as `warmStartToward(population.policies[r], ..., responses[r], ..., seeds[r])`. The
 * weights are written back into the runs' policies.
 */
export function warmStartTowardPopulation(
  population: CategoricalMLPPopulation,
  majority: string,
  minority: string,
  responses: readonly number[],
  target: number,
  extraSteps: number,
  seeds: readonly number[],
): { steps: number; probability: number }[] {
  if (!(target > 0 && target < 1)) throw new Error(`warm_start_prob must be in (0, 1), got ${target}`);
  const R = population.size;
  const minorityContexts = Array.from({ length: R }, () => ({ size: 1, features: new Float32Array(0), groups: [minority] }));
  const examples = responses.map((response) => [{ group: majority, response }]);
  const probabilityNow = () => population.responseProbabilities(minorityContexts).map((probs, r) => probs[0]![responses[r]!]!);
  const steps = new Array<number>(R).fill(0);
  let probability = probabilityNow();
  const active = () => probability.map((p, r) => p < target && steps[r]! < WARM_START_MAX_STEPS);
  for (let now = active(); now.some(Boolean); now = active()) {
    supervisedWarmStartPopulation(population, examples, {
      steps: WARM_START_CHUNK,
      seeds: seeds.map((seed, r) => seed + steps[r]!),
      learning_rate: 0.01,
      optimizer: 'normalized-gradient',
      active: now,
    });
    now.forEach((a, r) => (steps[r]! += a ? WARM_START_CHUNK : 0));
    probability = probabilityNow();
  }
  if (extraSteps > 0) {
    supervisedWarmStartPopulation(population, examples, { steps: extraSteps, seeds: seeds.map((seed, r) => seed + steps[r]!), learning_rate: 0.01, optimizer: 'adam' });
    steps.forEach((_, r) => (steps[r]! += extraSteps));
    probability = probabilityNow();
  }
  population.writeBack();
  return steps.map((s, r) => ({ steps: s, probability: probability[r]! }));
}

/**
 * Trains one method on one seed of the heterogeneous-preference bandit (two groups, binary
 * rewards, table drawn from the seed) and returns the trainer's long-form metrics plus a
 * `best_reward` row per group (the best achievable reward, for recovery-time definitions) and the
 * number of warm-start steps taken.
 */
export function runBanditRecovery(method: RecoveryMethod, seed: number, config: BanditRecoveryConfig): MetricRecord[] {
  const run = banditRecoveryRun(method, seed, config);
  return runTableRecovery(run.method, run.seed, run.table, run.config);
}

/** The table-recovery run of {@link runBanditRecovery}: the bandit's table drawn from the seed (for {@link runTableRecoveryPopulation}). */
export function banditRecoveryRun(method: RecoveryMethod, seed: number, config: BanditRecoveryConfig): TableRecoveryRun {
  const { minority_share, num_responses = 8, ...training } = config;
  if (!(minority_share > 0 && minority_share <= 0.5)) throw new Error(`minority_share must be in (0, 0.5], got ${minority_share}`);
  const groups = ['majority', 'minority'];
  const shares = [1 - minority_share, minority_share];
  const { spec } = generateBandit({
    name: `recovery-${minority_share}`,
    groups,
    shares,
    num_responses,
    reward_type: 'binary',
    num_prompts: 20,
    seed,
  });
  return { method, seed, table: { groups, shares, rewardTable: spec.rewardTable }, config: training };
}

/** A preference table: groups with their shares and each group's reward for every response. */
export interface PreferenceTable {
  /** Group names; the first is the majority whose favourite the warm start imitates. */
  groups: readonly string[];
  shares: readonly number[];
  rewardTable: Readonly<Record<string, readonly number[]>>;
}

/** Training settings of {@link runTableRecovery} (the bandit's settings without its table shape). */
export type TableRecoveryConfig = Omit<BanditRecoveryConfig, 'minority_share' | 'num_responses'>;

/**
 * The recovery protocol on any preference table: warm start toward the first (majority) group's
 * favourite until the smallest group gets it with probability `warm_start_prob`, then train with
 * the method's advantage estimator. Returns the trainer's metrics plus `best_reward` per group and
 * `warm_start_steps`, and the starting probability of the majority's favourite for the
 * smallest group (`start_prob_majority_favourite`).
 */
export function runTableRecovery(method: RecoveryMethod, seed: number, table: PreferenceTable, config: TableRecoveryConfig): MetricRecord[] {
  const p = prepareRecovery(method, seed, table, config);
  const c = p.settings;
  const warmStart = warmStartToward(p.policy, p.groups[0]!, p.smallest, p.majorityBest, c.warm_start_prob, c.extra_warm_start_steps, seed);
  const trainer = new GRPOTrainer(p.policy, p.task, p.trainerConfig);
  try {
    const records = trainer.train(c.steps, { progress: false }); // one cell of an experiment: the runner shows progress
    return [...records, ...recoveryRecords(p, table, warmStart)];
  } finally {
    trainer.dispose();
    p.policy.dispose();
  }
}

/** Everything a recovery run needs before its warm start: settings, starting policy, task, trainer configuration. */
function prepareRecovery(method: RecoveryMethod, seed: number, table: PreferenceTable, config: TableRecoveryConfig) {
  const settings = trainingSettings(config);
  const groups = [...table.groups];
  const shares = [...table.shares];
  const numResponses = table.rewardTable[groups[0]!]!.length;
  const smallest = groups[shares.indexOf(Math.min(...shares))]!;
  // Resolved first: an unknown method fails before any training (estimatorInfo names where to register it).
  const advantage: AdvantageChoice =
    estimatorInfo(method).options?.shares !== undefined ? { name: method, groups, shares, seed: seed + 7919 } : method;
  const majorityRow = table.rewardTable[groups[0]!]!;
  const majorityBest = majorityRow.indexOf(Math.max(...majorityRow));
  const task = tableTask({ groups, shares, rewardTable: table.rewardTable });
  const trainerConfig: GRPOConfig = {
    num_generations: settings.num_generations,
    prompts_per_step: settings.prompts_per_step,
    learning_rate: settings.learning_rate,
    beta: settings.beta,
    seed,
    advantage,
  };
  const policy = new CategoricalMLPPolicy({ numResponses, groups, hiddenSizes: [settings.hidden], seed });
  return { settings, groups, smallest, majorityBest, task, trainerConfig, policy };
}

/** The records a recovery run adds to its trainer's: best reward per group, warm-start steps and starting probability. */
function recoveryRecords(p: ReturnType<typeof prepareRecovery>, table: PreferenceTable, warmStart: { steps: number; probability: number }): MetricRecord[] {
  const records: MetricRecord[] = [];
  for (const g of p.groups) records.push({ step: 0, group: g, metric: 'best_reward', value: Math.max(...table.rewardTable[g]!) });
  records.push({ step: 0, group: 'all', metric: 'warm_start_steps', value: warmStart.steps });
  records.push({ step: 0, group: p.smallest, metric: 'start_prob_majority_favourite', value: warmStart.probability });
  return records;
}

/** One run of {@link runTableRecoveryPopulation}: the arguments of {@link runTableRecovery}. */
export interface TableRecoveryRun {
  method: RecoveryMethod;
  seed: number;
  table: PreferenceTable;
  config: TableRecoveryConfig;
}

/**
 * {@link runTableRecovery} for several runs at once, as one population (warm start and GRPO
 * training batched over the runs): returns each run's records, equal to `runTableRecovery(...)` of
 * that run alone, bit for bit. The runs must share the training settings and the table's groups and
 * number of responses (the policy architecture); methods, seeds and reward tables may differ.
 */
export function runTableRecoveryPopulation(runs: readonly TableRecoveryRun[]): MetricRecord[][] {
  const prepared = runs.map((run) => prepareRecovery(run.method, run.seed, run.table, run.config));
  const policies = prepared.map((p) => p.policy);
  try {
    const warmPopulation = new CategoricalMLPPopulation(policies);
    let warm: { steps: number; probability: number }[];
    try {
      const c = prepared[0]!.settings;
      prepared.forEach((p, r) => {
        if (JSON.stringify(p.settings) !== JSON.stringify(c)) throw new Error(`run ${r}: its recovery settings ${JSON.stringify(p.settings)} differ from run 0's ${JSON.stringify(c)}`);
        if (p.groups[0] !== prepared[0]!.groups[0] || p.smallest !== prepared[0]!.smallest) throw new Error(`run ${r}: its majority or smallest group differs from run 0's`);
      });
      warm = warmStartTowardPopulation(
        warmPopulation,
        prepared[0]!.groups[0]!,
        prepared[0]!.smallest,
        prepared.map((p) => p.majorityBest),
        c.warm_start_prob,
        c.extra_warm_start_steps,
        runs.map((r) => r.seed),
      );
    } finally {
      warmPopulation.dispose();
    }
    const population = new GRPOPopulation(prepared.map((p) => ({ policy: p.policy, task: p.task, config: p.trainerConfig })));
    try {
      const records = population.train(prepared[0]!.settings.steps, { progress: false }); // cells of an experiment: the runner shows progress
      return records.map((rs, r) => [...rs, ...recoveryRecords(prepared[r]!, runs[r]!.table, warm[r]!)]);
    } finally {
      population.dispose();
    }
  } finally {
    policies.forEach((p) => p.dispose());
  }
}
