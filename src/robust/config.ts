/**
 * Configuration of the {@link GroupRobustTrainer} (TRL's names where TRL has the concept) and its
 * validation: every key is optional, an unknown key is an error naming it, every value is checked.
 */
import type { GroupWeighting, ImportanceConvention, RobustVariant } from './groupWeights';
import type { PreferenceLossType } from './losses';

/** Settings of the group-robust trainer; every key is optional and has the default of {@link GROUP_ROBUST_DEFAULTS}. */
export interface GroupRobustConfig {
  /** Per-pair loss: `sigmoid` (DPO) or `ipo`. */
  loss_type?: PreferenceLossType;
  /** `uniform` (DPO/IPO), `importance` (IS-DPO/IS-IPO) or `robust` (GR-DPO/GR-IPO). */
  weighting?: GroupWeighting;
  /**
   * Per-pair weights of `importance`: `balanced` (the kit's default, N / (K N_g): the mean of the
   * group means) or `normalized` (the authors' code: 1/N_g normalised to sum 1 over groups; at equal
   * learning rate its step is N S / K times smaller, S = sum_g 1/N_g, e.g. 3.125x on a 60/240 split).
   */
  importance_weights?: ImportanceConvention;
  /** KL strength beta of DPO/IPO (> 0). */
  beta?: number;
  /** Policy step size (> 0). */
  learning_rate?: number;
  /** Group-weight step size eta_alpha (> 0; used by `robust` only). */
  eta_alpha?: number;
  /** Pairs per step for the `paper` variant, drawn uniformly with replacement; `authors_code` uses all pairs. */
  batch_size?: number;
  /** The kit's plain gradient descent (`sgd`, as the authors use) or the kit's `adam`. */
  optimizer?: 'sgd' | 'adam';
  /** Which group-robust update (see ./groupWeights.ts); also decides minibatch versus full batch. */
  variant?: RobustVariant;
  /**
   * The reference policy of DPO/IPO: `initial` (a frozen copy of the policy at construction, as the
   * GRPO trainer keeps) or `uniform` (log pi_ref = -(number of tokens) log(vocabSize); for one-token
   * responses every reference margin is 0).
   */
  reference?: 'initial' | 'uniform';
  /** Seed of the batch sampler. */
  seed?: number;
  /** Evaluate on all training (and validation) pairs every this many steps, starting at step 0. */
  log_every?: number;
  /**
   * Use a policy's pair log-ratio fast path when it has one (the log-linear policy: feature
   * differences computed once). Default true; false scores pairs through `Policy.evaluate` (the
   * readable path; same values up to float32 rounding).
   */
  pair_log_ratios?: boolean;
}

/** A configuration with every default filled in. */
export type ResolvedGroupRobustConfig = Required<GroupRobustConfig>;

/** Defaults: the kit's choices, fixed before any comparison was run. */
export const GROUP_ROBUST_DEFAULTS: ResolvedGroupRobustConfig = {
  loss_type: 'sigmoid',
  weighting: 'robust',
  importance_weights: 'balanced',
  beta: 1,
  learning_rate: 0.1,
  eta_alpha: 0.05,
  batch_size: 32,
  optimizer: 'sgd',
  variant: 'paper',
  reference: 'initial',
  seed: 0,
  log_every: 50,
  pair_log_ratios: true,
};

/** Every key of {@link GroupRobustConfig}, in documentation order. */
export const GROUP_ROBUST_KEYS = Object.keys(GROUP_ROBUST_DEFAULTS) as (keyof GroupRobustConfig)[];

function oneOf(key: string, value: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(value as string)) {
    throw new Error(`GroupRobustConfig.${key} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
}

function positive(key: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`GroupRobustConfig.${key} must be a finite positive number, got ${String(value)}`);
  }
}

function positiveInt(key: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new Error(`GroupRobustConfig.${key} must be a positive integer, got ${String(value)}`);
}

/** Fills in defaults and validates every key, naming the key in the error; an unknown key is an error. */
export function resolveGroupRobustConfig(config: GroupRobustConfig = {}): ResolvedGroupRobustConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new Error('GroupRobustConfig must be an object');
  for (const key of Object.keys(config)) {
    if (!(GROUP_ROBUST_KEYS as string[]).includes(key)) {
      throw new Error(`GroupRobustConfig has unknown key '${key}' (known keys: ${GROUP_ROBUST_KEYS.join(', ')})`);
    }
  }
  const defined = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
  const c = { ...GROUP_ROBUST_DEFAULTS, ...defined } as ResolvedGroupRobustConfig;
  oneOf('loss_type', c.loss_type, ['sigmoid', 'ipo']);
  oneOf('weighting', c.weighting, ['uniform', 'importance', 'robust']);
  oneOf('importance_weights', c.importance_weights, ['balanced', 'normalized']);
  positive('beta', c.beta);
  positive('learning_rate', c.learning_rate);
  positive('eta_alpha', c.eta_alpha);
  positiveInt('batch_size', c.batch_size);
  oneOf('optimizer', c.optimizer, ['sgd', 'adam']);
  oneOf('variant', c.variant, ['paper', 'authors_code']);
  oneOf('reference', c.reference, ['initial', 'uniform']);
  if (typeof c.seed !== 'number' || !Number.isFinite(c.seed)) throw new Error(`GroupRobustConfig.seed must be a finite number, got ${String(c.seed)}`);
  positiveInt('log_every', c.log_every);
  if (typeof c.pair_log_ratios !== 'boolean') throw new Error(`GroupRobustConfig.pair_log_ratios must be true or false, got ${String(c.pair_log_ratios)}`);
  return c;
}
