/**
 * GRPO group-relative advantages, with TRL's `scale_rewards` choices, and Dr. GRPO (mean-only).
 */
import { validatedGenerationStats } from './generation';
import { checkEpsilon, checkOptionKeys, emptyResult, expectNullState } from './input';
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

const SCALE_REWARDS: readonly ScaleRewards[] = ['group', 'batch', 'none'];

/**
 * GRPO: `advantage = (r - mean_g) / (std + epsilon)` with `mean_g` the mean reward of the sample's
 * generation group (prompt).
 *
 * - The std is the unbiased (n - 1) std, as `torch.Tensor.std()` in TRL.
 * - Every generation group needs at least two samples (`num_generations >= 2`); a single-sample
 *   group is an error naming its id, since its advantage would be identically zero.
 * - A group whose rewards are all equal (to a few ulps, see `ZERO_SPREAD_ULPS`) gets advantage
 *   exactly 0, its baseline equal to each sample's own reward, and `zeroStdGeneration = 1`.
 *
 * Baselines are the group means; scales are `std + epsilon` (1 for `'none'`).
 */
export function createGrpoEstimator(options?: GrpoOptions): AdvantageEstimator {
  return groupRelativeEstimator('grpo', options);
}

/**
 * Dr. GRPO ("Understanding R1-Zero-like Training", Liu et al. 2025): `advantage = r - mean_g`,
 * no std division (scale 1). Same group rules as {@link createGrpoEstimator}; this is GRPO with
 * `scale_rewards: 'none'` under its own name.
 */
export function createDrGrpoEstimator(): AdvantageEstimator {
  return groupRelativeEstimator('dr_grpo', { scale_rewards: 'none' });
}

function groupRelativeEstimator(name: string, options: GrpoOptions | undefined): AdvantageEstimator {
  checkOptionKeys(name, options, ['scale_rewards', 'epsilon']);
  const scaleRewards = options?.scale_rewards ?? 'group';
  if (!SCALE_REWARDS.includes(scaleRewards)) {
    throw new Error(`${name}: scale_rewards must be one of ${SCALE_REWARDS.join(', ')}, got ${String(scaleRewards)}`);
  }
  const epsilon = checkEpsilon(name, options?.epsilon, 1e-4, false);
  return {
    name,
    compute: (input) => computeGroupRelative(name, input, scaleRewards, epsilon),
    getState: () => null,
    setState: (state) => expectNullState(name, state),
  };
}

function computeGroupRelative(name: string, input: AdvantageInput, scaleRewards: ScaleRewards, epsilon: number): AdvantageResult {
  const { n, stats } = validatedGenerationStats(name, input);
  const { groupOf, count, mean, m2, zeroSpread } = stats;
  const numGroups = count.length;
  const groupScale = new Float64Array(numGroups).fill(1);
  if (scaleRewards === 'group') {
    for (let g = 0; g < numGroups; g++) groupScale[g] = unbiasedStd(m2[g]!, count[g]!) + epsilon;
  } else if (scaleRewards === 'batch') {
    const batch = wholeMoments(input.rewards);
    groupScale.fill(unbiasedStd(batch.m2, batch.count) + epsilon);
  }

  const { rewards } = input;
  const result = emptyResult(n, false); // every scale is written below
  const { advantages, baselines, scales, zeroStdGeneration } = result;
  // Run by run (a run: adjacent samples of one group): the group's values are read once per run.
  for (let i = 0; i < n; ) {
    const g = groupOf[i]!;
    const start = i;
    const mu = mean[g]!;
    const scale = groupScale[g]!;
    const zero = zeroSpread[g] === 1;
    do {
      scales[i] = scale;
      if (zero) {
        baselines[i] = rewards[i]!; // advantages[i] stays exactly 0
      } else {
        baselines[i] = mu;
        advantages[i] = (rewards[i]! - mu) / scale;
      }
      i++;
    } while (i < n && groupOf[i] === g);
    if (zero) zeroStdGeneration.fill(1, start, i);
  }
  return result;
}
