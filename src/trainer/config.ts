/**
 * GRPO trainer configuration (TRL's snake_case names) and its validation.
 */
import type { EstimatorSpec } from '../advantages';
import { describeValue } from '../checkpoint/fields';
import { checkSeed } from '../random';
import { LOSS_TYPES, type LossType } from './loss';

/** Names of the built-in advantage estimators that need at least two generations per prompt. */
const GROUP_BASELINE_ESTIMATORS = ['grpo', 'dr_grpo', 'rloo'];

/**
 * Which advantage estimator to use: a name (`grpo`, `dr_grpo`, `rloo`, `pgrpo`), a name with
 * options (`{ name: 'pgrpo', decay: 0.9 }`) or an estimator instance; built by `createEstimator`.
 */
export type AdvantageChoice = EstimatorSpec;

/** Configuration of {@link GRPOTrainer}; every key is optional and has the default shown. */
export interface GRPOConfig {
  /** Responses sampled per prompt, G (default 8). Group-baseline estimators (grpo, dr_grpo, rloo) need G >= 2. */
  num_generations?: number;
  /** Prompts per step, P (default 16); a step has P * G samples. */
  prompts_per_step?: number;
  /** Optimiser updates per sampled batch, mu (default 1). */
  num_iterations?: number;
  /** Lower clip range: the ratio is clipped below at 1 - epsilon (default 0.2). */
  epsilon?: number;
  /** Upper clip range: clipped above at 1 + epsilon_high, at least `epsilon` (default: equal to epsilon; DAPO uses 0.28). */
  epsilon_high?: number;
  /**
   * KL coefficient to the frozen reference (default 0.04, TRL's original default; recent TRL
   * versions default to 0, which here also skips the reference policy entirely).
   */
  beta?: number;
  /** Loss aggregation over tokens (default `grpo`); see {@link LossType}. All four agree for one-token responses. */
  loss_type?: LossType;
  /** Adam step size (default 1e-3). */
  learning_rate?: number;
  /** Global-norm gradient clipping threshold (default 1.0; 0 disables clipping, the norm is still logged). */
  max_grad_norm?: number;
  /** Sampling and scoring temperature (default 1). */
  temperature?: number;
  /** Denominator length of the `dr_grpo` loss (default: the policy's `maxLength`). */
  max_completion_length?: number;
  /** Seed of the trainer's Rng (prompt and response sampling): an integer in [0, 2^32) (default 0). */
  seed?: number;
  /** Advantage estimator (default `grpo`). */
  advantage?: AdvantageChoice;
}

/** A configuration with every default filled in. */
export interface ResolvedGRPOConfig {
  num_generations: number;
  prompts_per_step: number;
  num_iterations: number;
  epsilon: number;
  epsilon_high: number;
  beta: number;
  loss_type: LossType;
  learning_rate: number;
  max_grad_norm: number;
  temperature: number;
  max_completion_length: number;
  seed: number;
  advantage: AdvantageChoice;
}

const KNOWN_KEYS: readonly (keyof GRPOConfig)[] = [
  'num_generations',
  'prompts_per_step',
  'num_iterations',
  'epsilon',
  'epsilon_high',
  'beta',
  'loss_type',
  'learning_rate',
  'max_grad_norm',
  'temperature',
  'max_completion_length',
  'seed',
  'advantage',
];

/** The numeric and string keys compared when resuming (everything but the estimator object). */
export const RESUME_CHECKED_KEYS: readonly (keyof ResolvedGRPOConfig)[] = KNOWN_KEYS.filter((k) => k !== 'advantage');

function check(ok: boolean, key: string, value: unknown, rule: string): void {
  // A number is shown as it is; anything else with its type (a string "0.1" is not the number 0.1).
  if (!ok) throw new Error(`GRPOConfig.${key} must be ${rule}, got ${typeof value === 'number' ? value : describeValue(value)}`);
}

const isInt = (v: number, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isNum = (v: number) => typeof v === 'number' && Number.isFinite(v);

/** Name of the estimator a choice selects (`custom:<name>` for an instance). */
export function advantageName(choice: AdvantageChoice): string {
  if (typeof choice === 'string') return choice;
  if ('compute' in choice && typeof choice.compute === 'function') return `custom:${choice.name}`;
  return String(choice.name);
}

/**
 * Fills in defaults and validates every key, naming the key in the error.
 * @param maxLength - the policy's maximum response length (default of `max_completion_length`).
 */
export function resolveConfig(config: GRPOConfig, maxLength: number): ResolvedGRPOConfig {
  if (config === null || typeof config !== 'object') throw new Error('GRPOConfig must be an object');
  for (const key of Object.keys(config)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      throw new Error(`GRPOConfig has unknown key '${key}' (known keys: ${KNOWN_KEYS.join(', ')})`);
    }
  }
  const epsilon = config.epsilon ?? 0.2;
  const r: ResolvedGRPOConfig = {
    num_generations: config.num_generations ?? 8,
    prompts_per_step: config.prompts_per_step ?? 16,
    num_iterations: config.num_iterations ?? 1,
    epsilon,
    epsilon_high: config.epsilon_high ?? epsilon,
    beta: config.beta ?? 0.04,
    loss_type: config.loss_type ?? 'grpo',
    learning_rate: config.learning_rate ?? 1e-3,
    max_grad_norm: config.max_grad_norm ?? 1.0,
    temperature: config.temperature ?? 1,
    max_completion_length: config.max_completion_length ?? maxLength,
    seed: config.seed ?? 0,
    advantage: config.advantage ?? 'grpo',
  };
  check(isInt(r.num_generations, 1), 'num_generations', r.num_generations, 'an integer >= 1');
  check(isInt(r.prompts_per_step, 1), 'prompts_per_step', r.prompts_per_step, 'an integer >= 1');
  check(isInt(r.num_iterations, 1), 'num_iterations', r.num_iterations, 'an integer >= 1');
  check(isNum(r.epsilon) && r.epsilon >= 0 && r.epsilon < 1, 'epsilon', r.epsilon, 'a number in [0, 1)');
  check(isNum(r.epsilon_high) && r.epsilon_high >= r.epsilon, 'epsilon_high', r.epsilon_high, `a finite number >= epsilon (${r.epsilon})`);
  check(isNum(r.beta) && r.beta >= 0, 'beta', r.beta, 'a finite number >= 0');
  check(LOSS_TYPES.includes(r.loss_type), 'loss_type', r.loss_type, `one of ${LOSS_TYPES.join(', ')}`);
  check(isNum(r.learning_rate) && r.learning_rate > 0, 'learning_rate', r.learning_rate, 'a finite number > 0');
  check(isNum(r.max_grad_norm) && r.max_grad_norm >= 0, 'max_grad_norm', r.max_grad_norm, 'a finite number >= 0');
  check(isNum(r.temperature) && r.temperature > 0, 'temperature', r.temperature, 'a finite number > 0');
  check(isInt(r.max_completion_length, maxLength), 'max_completion_length', r.max_completion_length, `an integer >= the policy's maxLength (${maxLength})`);
  checkSeed(r.seed, 'GRPOConfig.seed');
  const adv = r.advantage;
  check(
    typeof adv === 'string' || (typeof adv === 'object' && adv !== null && typeof adv.name === 'string'),
    'advantage',
    adv,
    "an estimator name, an options object with a 'name', or an AdvantageEstimator",
  );
  if (GROUP_BASELINE_ESTIMATORS.includes(advantageName(adv)) && r.num_generations < 2) {
    throw new Error(
      `GRPOConfig.num_generations must be >= 2 with advantage '${advantageName(adv)}' (its baseline is the mean of a prompt's ` +
        `generations), got ${r.num_generations}`,
    );
  }
  return r;
}
