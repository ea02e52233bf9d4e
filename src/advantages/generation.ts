/**
 * Per-prompt (generation group) statistics shared by GRPO, Dr. GRPO, RLOO and the diagnostics of
 * every other estimator.
 */
import { denseGroups } from './grouping';
import { groupMoments, type GroupMoments } from './moments';
import type { AdvantageInput } from './types';

/** Generation groups of a batch: dense index per sample, original ids, and their reward moments. */
export interface GenerationStats extends GroupMoments {
  groupOf: Int32Array;
  ids: number[];
}

/** Reward moments of each generation group (prompt) of a validated batch. */
export function generationStats(input: AdvantageInput): GenerationStats {
  const { groupOf, ids } = denseGroups(input.generationGroups);
  return { ...groupMoments(input.rewards, groupOf, ids.length), groupOf, ids };
}

/**
 * Throws, naming the first such group, when a generation group has a single sample: a
 * within-prompt baseline needs `num_generations >= 2` samples per prompt. Groups may differ in size.
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
 * Writes the per-sample `zeroStdGeneration` flag into `out`: 1 where the sample's generation group
 * has equal rewards (the `zeroSpread` of {@link generationStats}), else 0. For estimators that
 * need no other generation-group statistic.
 */
export function markZeroSpread(input: AdvantageInput, out: Uint8Array): void {
  const { groupOf, zeroSpread } = generationStats(input);
  for (let i = 0; i < out.length; i++) out[i] = zeroSpread[groupOf[i]!]!;
}
