/**
 * GRPO group-relative advantages, with TRL's `scale_rewards` choices, and Dr. GRPO (mean-only).
 *
 * The whole definition is {@link grpoAdvantages}: read it to learn the method.
 */
import { generationStats, requireBaselines } from './generation';
import { checkEpsilon, checkOptionKeys, emptyResult, expectNullState, validateInput } from './input';
import { unbiasedStd, wholeMoments } from './moments';
import type { AdvantageEstimator, AdvantageInput, AdvantageResult } from './types';

/** How GRPO divides centred rewards (TRL's `scale_rewards`). */
export type ScaleRewards = 'group' | 'batch' | 'none';

/** Options of {@link createGrpoEstimator}. */
export interface GrpoOptions {
  /**
   * `'group'` (default): divide by the std of the sample's generation group; `'batch'`: divide by
   * the std of all rewards in the batch (the mean stays per generation group); `'none'`: no division.
   */
  scale_rewards?: ScaleRewards;
  /** Added to the std before dividing; default `1e-4`, TRL's value. Must be >= 0. */
  epsilon?: number;
}

/** GRPO's defaults (TRL's): the registry documents and records these. */
export const GRPO_DEFAULTS: Required<GrpoOptions> = { scale_rewards: 'group', epsilon: 1e-4 };

const SCALE_REWARDS: readonly ScaleRewards[] = ['group', 'batch', 'none'];

/**
 * GRPO's advantages for one batch: `advantage = (r - mean_g) / (std + epsilon)`, with `mean_g` the
 * mean reward of the sample's generation group (prompt) and std per `scaleRewards`.
 *
 * - The std is the unbiased (n - 1) std, as `torch.Tensor.std()` in TRL.
 * - Every generation group needs at least two samples (`num_generations >= 2`); a single-sample
 *   group is an error naming its id, since its advantage would be identically zero.
 * - A group whose rewards are all equal (to a few ulps, see `ZERO_SPREAD_ULPS`) gets advantage
 *   exactly 0, its baseline equal to each sample's own reward, and `zeroStdGeneration = 1`.
 *
 * Baselines are the group means; scales are `std + epsilon` (1 for `'none'`).
 *
 * @param name - the estimator's name, prefixed to error messages.
 */
export function grpoAdvantages(input: AdvantageInput, scaleRewards: ScaleRewards, epsilon: number, name = 'grpo'): AdvantageResult {
  const n = validateInput(name, input);
  const stats = generationStats(input);
  requireBaselines(name, stats);
  const { groupOf, count, mean, m2, zeroSpread } = stats;
  const batch = scaleRewards === 'batch' ? wholeMoments(input.rewards) : undefined;
  const result = emptyResult(n);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i]!;
    const r = input.rewards[i]!;
    if (scaleRewards === 'group') result.scales[i] = unbiasedStd(m2[g]!, count[g]!) + epsilon;
    if (batch !== undefined) result.scales[i] = unbiasedStd(batch.m2, batch.count) + epsilon;
    if (zeroSpread[g] === 1) {
      result.baselines[i] = r; // advantage stays exactly 0
      result.zeroStdGeneration[i] = 1;
    } else {
      result.baselines[i] = mean[g]!;
      result.advantages[i] = (r - mean[g]!) / result.scales[i]!;
    }
  }
  return result;
}

/** GRPO as an estimator (see {@link grpoAdvantages}); options default to {@link GRPO_DEFAULTS}. */
export function createGrpoEstimator(options?: GrpoOptions): AdvantageEstimator {
  return groupRelativeEstimator('grpo', options);
}

/**
 * Dr. GRPO ("Understanding R1-Zero-like Training", Liu et al. 2025): `advantage = r - mean_g`,
 * no std division (scale 1). Same group rules as {@link grpoAdvantages}; this is GRPO with
 * `scale_rewards: 'none'` under its own name.
 */
export function createDrGrpoEstimator(): AdvantageEstimator {
  return groupRelativeEstimator('dr_grpo', { scale_rewards: 'none' });
}

function groupRelativeEstimator(name: string, options: GrpoOptions | undefined): AdvantageEstimator {
  checkOptionKeys(name, options, ['scale_rewards', 'epsilon']);
  const scaleRewards = options?.scale_rewards ?? GRPO_DEFAULTS.scale_rewards;
  if (!SCALE_REWARDS.includes(scaleRewards)) {
    throw new Error(`${name}: scale_rewards must be one of ${SCALE_REWARDS.join(', ')}, got ${String(scaleRewards)}`);
  }
  const epsilon = checkEpsilon(name, options?.epsilon, GRPO_DEFAULTS.epsilon, false);
  return {
    name,
    compute: (input) => grpoAdvantages(input, scaleRewards, epsilon, name),
    getState: () => null,
    setState: (state) => expectNullState(name, state),
  };
}
