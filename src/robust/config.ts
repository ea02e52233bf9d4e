/**
 * Configuration of the {@link GroupRobustTrainer} (TRL's names where TRL has the concept) and its
 * validation: every key is optional, an unknown key is an error naming it, every value is checked.
 * {@link GROUP_ROBUST_CONFIG_KEYS} is the one source of the keys (default, doc, check), as
 * `GRPO_CONFIG_KEYS` is for the GRPO trainer; the types, the defaults, the known keys and the
 * README table follow from it.
 */
import type { GroupWeighting, ImportanceConvention, RobustVariant } from './groupWeights';
import type { PreferenceLossType } from './losses';
import { resolveKeys, type ConfigKey, type ConfigValue } from '../trainer/config';

/** Builds a typed key (its check sees the key's own type; no group-robust key reads another). */
function key<T>(spec: ConfigKey<T, object>): ConfigKey<T, object> {
  return spec;
}

/** Every key of {@link GroupRobustConfig} with its default (the kit's choices, fixed before any comparison was run), doc and check. */
export const GROUP_ROBUST_CONFIG_KEYS = {
  loss_type: key<PreferenceLossType>({
    default: 'sigmoid',
    doc: 'Per-pair loss: `sigmoid` (DPO) or `ipo`.',
    check: (v) => oneOf('loss_type', v, ['sigmoid', 'ipo']),
  }),
  weighting: key<GroupWeighting>({
    default: 'robust',
    doc: '`uniform` (DPO/IPO), `importance` (IS-DPO/IS-IPO) or `robust` (GR-DPO/GR-IPO).',
    check: (v) => oneOf('weighting', v, ['uniform', 'importance', 'robust']),
  }),
  importance_weights: key<ImportanceConvention>({
    default: 'balanced',
    doc:
      "Per-pair weights of `importance`: `balanced` (the kit's default, N / (K N_g): the mean of the group means) or `normalized` " +
      "(the authors' code: 1/N_g normalised to sum 1 over groups; at equal learning rate its step is N S / K times smaller, " +
      'S = sum_g 1/N_g, e.g. 3.125x on a 60/240 split).',
    check: (v) => oneOf('importance_weights', v, ['balanced', 'normalized']),
  }),
  beta: key<number>({
    default: 1,
    doc: 'KL strength beta of DPO/IPO (> 0).',
    check: (v, fail) => positive(v, fail),
  }),
  learning_rate: key<number>({
    default: 0.1,
    doc: 'Policy step size (> 0).',
    check: (v, fail) => positive(v, fail),
  }),
  eta_alpha: key<number>({
    default: 0.05,
    doc: 'Group-weight step size eta_alpha (> 0; used by `robust` only).',
    check: (v, fail) => positive(v, fail),
  }),
  batch_size: key<number>({
    default: 32,
    doc: 'Pairs per step for the `paper` variant, drawn uniformly with replacement; `authors_code` uses all pairs.',
    check: (v, fail) => positiveInt(v, fail),
  }),
  optimizer: key<'sgd' | 'adam'>({
    default: 'sgd',
    doc: "The kit's plain gradient descent (`sgd`, as the authors use) or the kit's `adam`.",
    check: (v) => oneOf('optimizer', v, ['sgd', 'adam']),
  }),
  variant: key<RobustVariant>({
    default: 'paper',
    doc: 'Which group-robust update (`paper` or `authors_code`, see src/robust/groupWeights.ts); also decides minibatch versus full batch.',
    check: (v) => oneOf('variant', v, ['paper', 'authors_code']),
  }),
  reference: key<'initial' | 'uniform'>({
    default: 'initial',
    doc:
      'The reference policy of DPO/IPO: `initial` (a frozen copy of the policy at construction, as the GRPO trainer keeps) or ' +
      '`uniform` (log pi_ref = -(number of tokens) log(vocabSize); for one-token responses every reference margin is 0).',
    check: (v) => oneOf('reference', v, ['initial', 'uniform']),
  }),
  seed: key<number>({
    default: 0,
    doc: 'Seed of the batch sampler.',
    check: (v) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`GroupRobustConfig.seed must be a finite number, got ${String(v)}`);
    },
  }),
  log_every: key<number>({
    default: 50,
    doc: 'Evaluate on all training (and validation) pairs every this many steps, starting at step 0.',
    check: (v, fail) => positiveInt(v, fail),
  }),
  pair_log_ratios: key<boolean>({
    default: true,
    doc:
      "Use a policy's pair log-ratio fast path when it has one (the log-linear policy: feature differences computed once); " +
      'false scores pairs through `Policy.evaluate` (the readable path; same values up to float32 rounding).',
    check: (v) => {
      if (typeof v !== 'boolean') throw new Error(`GroupRobustConfig.pair_log_ratios must be true or false, got ${String(v)}`);
    },
  }),
};

type GroupRobustConfigKeys = typeof GROUP_ROBUST_CONFIG_KEYS;

/** A configuration with every default filled in. */
export type ResolvedGroupRobustConfig = { -readonly [K in keyof GroupRobustConfigKeys]: ConfigValue<GroupRobustConfigKeys[K]> };

/** Settings of the group-robust trainer; every key is optional; defaults and meanings in {@link GROUP_ROBUST_CONFIG_KEYS}. */
export type GroupRobustConfig = Partial<ResolvedGroupRobustConfig>;

/** The defaults of every key (from {@link GROUP_ROBUST_CONFIG_KEYS}). */
export const GROUP_ROBUST_DEFAULTS: Readonly<ResolvedGroupRobustConfig> = Object.fromEntries(
  Object.entries(GROUP_ROBUST_CONFIG_KEYS).map(([name, spec]) => [name, spec.default]),
) as unknown as ResolvedGroupRobustConfig;

/** Every key of {@link GroupRobustConfig}, in documentation order. */
export const GROUP_ROBUST_KEYS = Object.keys(GROUP_ROBUST_CONFIG_KEYS) as (keyof GroupRobustConfig)[];

function oneOf(key: string, value: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(value as string)) {
    throw new Error(`GroupRobustConfig.${key} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
}

/** Through the shared `fail`, so a value of the wrong type is reported with its type (a string "0.1" is not 0.1). */
function positive(value: unknown, fail: (rule: string) => never): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail('a finite positive number');
}

function positiveInt(value: unknown, fail: (rule: string) => never): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail('a positive integer');
}

/** Fills in defaults and validates every key, naming the key in the error; an unknown key is an error. */
export function resolveGroupRobustConfig(config: GroupRobustConfig = {}): ResolvedGroupRobustConfig {
  if (Array.isArray(config)) throw new Error('GroupRobustConfig must be an object');
  return resolveKeys<ResolvedGroupRobustConfig>('GroupRobustConfig', GROUP_ROBUST_CONFIG_KEYS, config);
}
