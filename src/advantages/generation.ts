/**
 * Per-prompt (generation group) statistics shared by GRPO, Dr. GRPO, RLOO and the diagnostics of
 * every other estimator.
 */
import { denseGenerationGroups } from './grouping';
import { groupMoments, type GroupMoments } from './moments';
import type { AdvantageInput } from './types';

/** Generation groups of a batch: dense index per sample, original ids, and their reward moments. */
export interface GenerationStats extends GroupMoments {
  groupOf: Int32Array;
  ids: number[];
}

/**
 * Reward moments of each generation group.
 *
 * @param requireBaseline - when true, a group with a single sample is an error: a within-prompt
 *   baseline needs `num_generations >= 2` samples per prompt. Groups may differ in size.
 */
export function generationStats(estimator: string, input: AdvantageInput, requireBaseline: boolean): GenerationStats {
  const { groupOf, ids } = denseGenerationGroups(input.generationGroups);
  const moments = groupMoments(input.rewards, groupOf, ids.length);
  if (requireBaseline) {
    for (let g = 0; g < ids.length; g++) {
      if (moments.count[g]! < 2) {
        throw new Error(
          `${estimator}: generation group ${ids[g]} has ${moments.count[g]} sample; ` +
            `${estimator} needs num_generations >= 2 samples per generation group to form a baseline`,
        );
      }
    }
  }
  return { ...moments, groupOf, ids };
}

/** Writes the per-sample `zeroStdGeneration` flag: 1 where the sample's generation group has equal rewards. */
export function markZeroSpread(stats: GenerationStats, out: Uint8Array): void {
  const { groupOf, zeroSpread } = stats;
  for (let i = 0; i < out.length; i++) out[i] = zeroSpread[groupOf[i]!]!;
}
