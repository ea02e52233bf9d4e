/**
 * GRPO trainer configuration (TRL's snake_case names) and its validation.
 *
 * {@link GRPO_CONFIG_KEYS} is the one source of every key: its default, its documentation and its
 * check. The types {@link GRPOConfig} and {@link ResolvedGRPOConfig}, the list of known keys,
 * {@link resolveConfig} and the README's table ({@link configTable}) all follow from it.
 */
import { estimatorInfo, type EstimatorSpec } from '../advantages';
import { describeValue } from '../checkpoint/fields';
import { checkSeed } from '../random';
import { LOSS_TYPES, type LossType } from './loss';
import { checkGroupRobustOption, type GroupRobustGRPOOptions } from './groupWeights';

/** Whether the chosen estimator is registered as needing two generations per prompt (`needsTwoGenerations`). */
function needsTwoGenerations(choice: AdvantageChoice): boolean {
  return typeof choice === 'object' && 'compute' in choice ? false : estimatorInfo(advantageName(choice)).needsTwoGenerations === true;
}

/**
 * Which advantage estimator to use: a registered name (the built-ins `grpo`, `dr_grpo`, `rloo`,
 * `pgrpo`, `pgrpo_random_groups`, or one added with `registerEstimator`), a name with options
 * (`{ name: 'pgrpo', decay: 0.9 }`) or an estimator instance; built by `createEstimator`.
 */
export type AdvantageChoice = EstimatorSpec;

/** What a key's default and check may look at: the keys resolved before it, and the policy's `maxLength`. */
export interface ConfigContext<R> {
  /** The keys declared before this one, already resolved and checked. */
  resolved: Partial<R>;
  /** The policy's maximum response length. */
  maxLength: number;
}

/**
 * One configuration key: its default (a value, or computed from the keys before it), its
 * documentation (the README table's text) and its check. `T` is the key's value type.
 */
export interface ConfigKey<T, R = Record<string, unknown>> {
  /** The default value, or a function of the keys declared before this one. */
  default: T | ((context: ConfigContext<R>) => T);
  /** How the default reads in the documentation (default: the value as JSON). */
  defaultText?: string;
  /** What the key does (one or two sentences, markdown). */
  doc: string;
  /**
   * Throws naming the key when the value is not allowed; `fail(rule)` builds the standard error
   * (`<Config>.<key> must be <rule>, got <value>`).
   */
  check: (value: T, fail: (rule: string) => never, context: ConfigContext<R>) => void;
}

/** The value type of a {@link ConfigKey}. */
export type ConfigValue<K> = K extends { check: (value: infer T, ...rest: never[]) => void } ? T : never;

const isInt = (v: number, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isNum = (v: number) => typeof v === 'number' && Number.isFinite(v);

/** The keys that other GRPO keys' defaults and checks read (declared before them). */
interface GRPOKeysReadByOthers {
  epsilon: number;
  num_generations: number;
}

/** Builds a typed key (so that `check` sees the key's own type). */
function key<T>(spec: ConfigKey<T, GRPOKeysReadByOthers>): ConfigKey<T, GRPOKeysReadByOthers> {
  return spec;
}

/**
 * Every key of {@link GRPOConfig}, in resolution order, with its default, documentation and check.
 * Errors name the key: `GRPOConfig.<key> must be <rule>, got <value>` (a number as it is, anything
 * else with its type: a string "0.1" is not the number 0.1).
 */
export const GRPO_CONFIG_KEYS = {
  num_generations: key<number>({
    default: 8,
    doc: 'Responses sampled per prompt, G. Group-baseline estimators (`grpo`, `dr_grpo`, `rloo`) need G >= 2.',
    check: (v, fail) => isInt(v, 1) || fail('an integer >= 1'),
  }),
  prompts_per_step: key<number>({
    default: 16,
    doc: 'Prompts per step, P; a step has P * G samples.',
    check: (v, fail) => isInt(v, 1) || fail('an integer >= 1'),
  }),
  num_iterations: key<number>({
    default: 1,
    doc: 'Optimiser updates per sampled batch, mu.',
    check: (v, fail) => isInt(v, 1) || fail('an integer >= 1'),
  }),
  epsilon: key<number>({
    default: 0.2,
    doc: 'Lower clip range: the ratio is clipped below at 1 - epsilon.',
    check: (v, fail) => (isNum(v) && v >= 0 && v < 1) || fail('a number in [0, 1)'),
  }),
  epsilon_high: key<number>({
    default: ({ resolved }) => resolved.epsilon!,
    defaultText: 'epsilon',
    doc: 'Upper clip range: the ratio is clipped above at 1 + epsilon_high, at least `epsilon` (DAPO uses 0.28).',
    check: (v, fail, { resolved }) => (isNum(v) && v >= resolved.epsilon!) || fail(`a finite number >= epsilon (${resolved.epsilon})`),
  }),
  beta: key<number>({
    default: 0.04,
    doc: "KL coefficient to the frozen reference (TRL's original default; recent TRL versions default to 0, which here also skips the reference policy entirely).",
    check: (v, fail) => (isNum(v) && v >= 0) || fail('a finite number >= 0'),
  }),
  loss_type: key<LossType>({
    default: 'grpo',
    doc: 'Loss aggregation over tokens: `grpo`, `bnpo`, `dr_grpo` or `dapo` (see `LossType`). All four agree for one-token responses.',
    check: (v, fail) => LOSS_TYPES.includes(v) || fail(`one of ${LOSS_TYPES.join(', ')}`),
  }),
  learning_rate: key<number>({
    default: 1e-3,
    doc: 'Adam step size.',
    check: (v, fail) => (isNum(v) && v > 0) || fail('a finite number > 0'),
  }),
  max_grad_norm: key<number>({
    default: 1.0,
    doc: 'Global-norm gradient clipping threshold (0 disables clipping; the norm is still logged).',
    check: (v, fail) => (isNum(v) && v >= 0) || fail('a finite number >= 0'),
  }),
  temperature: key<number>({
    default: 1,
    doc: 'Sampling and scoring temperature.',
    check: (v, fail) => (isNum(v) && v > 0) || fail('a finite number > 0'),
  }),
  max_completion_length: key<number>({
    default: ({ maxLength }) => maxLength,
    defaultText: "the policy's `maxLength`",
    doc: 'Denominator length of the `dr_grpo` loss.',
    check: (v, fail, { maxLength }) => isInt(v, maxLength) || fail(`an integer >= the policy's maxLength (${maxLength})`),
  }),
  seed: key<number>({
    default: 0,
    doc: "Seed of the trainer's Rng (prompt and response sampling): an integer in [0, 2^32).",
    check: (v) => checkSeed(v, 'GRPOConfig.seed'),
  }),
  advantage: key<AdvantageChoice>({
    default: 'grpo',
    doc: "Advantage estimator: a registered name (`grpo`, `dr_grpo`, `rloo`, `pgrpo`, `pgrpo_random_groups`, or yours via `registerEstimator`), a name with options (`{ name: 'pgrpo', min_count: 2 }`) or an estimator instance; checkpoints record the options after defaults.",
    check: (adv, fail, { resolved }) => {
      if (!(typeof adv === 'string' || (typeof adv === 'object' && adv !== null && typeof adv.name === 'string'))) {
        fail("an estimator name, an options object with a 'name', or an AdvantageEstimator");
      }
      if (needsTwoGenerations(adv) && resolved.num_generations! < 2) {
        throw new Error(
          `GRPOConfig.num_generations must be >= 2 with advantage '${advantageName(adv)}' (its baseline is the mean of a prompt's ` +
            `generations), got ${resolved.num_generations}`,
        );
      }
    },
  }),
  group_robust: key<GroupRobustGRPOOptions | null>({
    default: null,
    defaultText: 'null (off)',
    doc: 'Group-robust weighting (arXiv 2405.20304 carried over to GRPO): `{ eta_alpha }` keeps a weight alpha per preference group, moved by multiplicative weights on each group\'s reward shortfall, and multiplies each sample\'s advantage by K alpha_g (the KL term is not weighted); see src/trainer/groupWeights.ts.',
    check: (v) => {
      checkGroupRobustOption(v);
    },
  }),
};

type GRPOConfigKeys = typeof GRPO_CONFIG_KEYS;

/** A configuration with every default filled in (one entry per key of {@link GRPO_CONFIG_KEYS}). */
export type ResolvedGRPOConfig = { -readonly [K in keyof GRPOConfigKeys]: ConfigValue<GRPOConfigKeys[K]> };

/**
 * Configuration of {@link GRPOTrainer}: every key is optional; defaults, meanings and allowed
 * values are in {@link GRPO_CONFIG_KEYS} (and in the README's table, made by {@link configTable}).
 */
export type GRPOConfig = Partial<ResolvedGRPOConfig>;

const KNOWN_KEYS = Object.keys(GRPO_CONFIG_KEYS) as (keyof ResolvedGRPOConfig)[];

/** The numeric and string keys compared when resuming (everything but the estimator object). */
export const RESUME_CHECKED_KEYS: readonly (keyof ResolvedGRPOConfig)[] = KNOWN_KEYS.filter((k) => k !== 'advantage' && k !== 'group_robust');

/** The standard error for a value that breaks a key's rule: a number as it is, anything else with its type. */
function configError(configName: string, key: string, value: unknown, rule: string): never {
  throw new Error(`${configName}.${key} must be ${rule}, got ${typeof value === 'number' ? value : describeValue(value)}`);
}

/** Name of the estimator a choice selects (`custom:<name>` for an instance). */
export function advantageName(choice: AdvantageChoice): string {
  if (typeof choice === 'string') return choice;
  if ('compute' in choice && typeof choice.compute === 'function') return `custom:${choice.name}`;
  return String(choice.name);
}

/**
 * Fills in defaults and checks keys of a configuration described by `keys`, in their order: an
 * unknown key is an error naming it and listing the known ones; a bad value is an error naming the
 * key (see {@link ConfigKey.check}). Shared by the kit's trainer configurations.
 */
export function resolveKeys<R>(
  configName: string,
  keys: { [K in keyof R]: ConfigKey<R[K], R> },
  config: Partial<R>,
  maxLength = 0,
): R {
  if (config === null || typeof config !== 'object') throw new Error(`${configName} must be an object`);
  const names = Object.keys(keys);
  for (const name of Object.keys(config)) {
    if (!names.includes(name)) throw new Error(`${configName} has unknown key '${name}' (known keys: ${names.join(', ')})`);
  }
  const resolved: Partial<R> = {};
  const context: ConfigContext<R> = { resolved, maxLength };
  for (const name of names as (keyof R & string)[]) {
    const spec = keys[name];
    const given = config[name];
    const value = given !== undefined ? given : typeof spec.default === 'function' ? (spec.default as (c: ConfigContext<R>) => R[typeof name])(context) : spec.default;
    spec.check(value as R[typeof name], (rule) => configError(configName, name, value, rule), context);
    resolved[name] = value as R[typeof name];
  }
  return resolved as R;
}

/**
 * Fills in defaults and validates every key, naming the key in the error.
 * @param maxLength - the policy's maximum response length (default of `max_completion_length`).
 */
export function resolveConfig(config: GRPOConfig, maxLength: number): ResolvedGRPOConfig {
  return resolveKeys<ResolvedGRPOConfig>('GRPOConfig', GRPO_CONFIG_KEYS, config, maxLength);
}

/**
 * The markdown table of a configuration's keys (key, default, meaning), as the README shows it.
 * Defaults are written as JSON unless the key gives a `defaultText`.
 */
export function configTable<R>(keys: { [K in keyof R]: ConfigKey<R[K], R> } = GRPO_CONFIG_KEYS as never): string {
  const rows = ['| key | default | meaning |', '| --- | --- | --- |'];
  for (const [name, spec] of Object.entries(keys) as [string, ConfigKey<unknown, R>][]) {
    const shown = spec.defaultText ?? JSON.stringify(spec.default);
    rows.push(`| \`${name}\` | ${spec.defaultText ? shown : `\`${shown}\``} | ${spec.doc.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}
