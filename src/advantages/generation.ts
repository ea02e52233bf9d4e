/**
 * Per-prompt (generation group) statistics shared by GRPO, Dr. GRPO, RLOO and the diagnostics of
 * every other estimator.
 */
import { denseGenerationGroups } from './grouping';
import { MAX_REWARD_MAGNITUDE, checkPreferenceGroups, checkRewards, checkShape } from './input';
import { groupMoments, groupZeroSpread, markZeroSpreadOfIncreasingRuns, type GroupMoments } from './moments';
import type { AdvantageInput } from './types';

/** Generation groups of a batch: dense index per sample, original ids, and their reward moments. */
export interface GenerationStats extends GroupMoments {
  groupOf: Int32Array;
  ids: Int32Array;
}

/**
 * Reward moments of each generation group, with the rewards checked on the way: a NaN or infinite
 * reward makes its group's mean non-finite, and one beyond `MAX_REWARD_MAGNITUDE` the batch's
 * `largest`; only then are the rewards scanned for {@link checkRewards}'s error naming the index,
 * so a clean batch costs no extra pass.
 */
export function generationStats(estimator: string, input: AdvantageInput): GenerationStats {
  const { groupOf, ids } = denseGenerationGroups(input.generationGroups);
  const moments = groupMoments(input.rewards, groupOf, ids.length);
  const { mean } = moments;
  if (moments.largest > MAX_REWARD_MAGNITUDE) checkRewards(estimator, input.rewards);
  for (let g = 0; g < mean.length; g++) {
    if (mean[g]! - mean[g]! !== 0) {
      checkRewards(estimator, input.rewards);
      break;
    }
  }
  return { ...moments, groupOf, ids };
}

/**
 * Throws when a generation group has a single sample: a within-prompt baseline needs
 * `num_generations >= 2` samples per prompt. Groups may differ in size.
 */
export function requireBaselines(estimator: string, stats: GenerationStats): void {
  const { count, ids } = stats;
  for (let g = 0; g < count.length; g++) {
    if (count[g]! < 2) {
      throw new Error(
        `${estimator}: generation group ${ids[g]} has ${count[g]} sample; ` +
          `${estimator} needs num_generations >= 2 samples per generation group to form a baseline`,
      );
    }
  }
}

/**
 * The checks of `validateInput` (./input.ts) in its order, for the estimators whose baseline is the generation
 * group's: the rewards are checked by the moment pass of {@link generationStats}, then the
 * preference labels, then every group must have two samples ({@link requireBaselines}). Returns the
 * batch size and the statistics.
 */
export function validatedGenerationStats(estimator: string, input: AdvantageInput): { n: number; stats: GenerationStats } {
  const n = checkShape(estimator, input);
  const stats = generationStats(estimator, input);
  checkPreferenceGroups(estimator, input.preferenceGroups);
  requireBaselines(estimator, stats);
  return { n, stats };
}

/**
 * Writes the per-sample `zeroStdGeneration` flag into `out`, which must be all zeros (a fresh
 * result): 1 where the sample's generation group has equal rewards (the `zeroSpread` of
 * {@link generationStats}). For estimators that need no other generation-group statistic.
 */
export function markZeroSpread(input: AdvantageInput, out: Uint8Array): void {
  if (markZeroSpreadOfIncreasingRuns(input.rewards, input.generationGroups, out)) return;
  const { groupOf, ids } = denseGenerationGroups(input.generationGroups);
  const zeroSpread = groupZeroSpread(input.rewards, groupOf, ids.length);
  // Every flag is written: the fast path may have set some before it gave up.
  for (let i = 0; i < out.length; i++) out[i] = zeroSpread[groupOf[i]!]!;
}
