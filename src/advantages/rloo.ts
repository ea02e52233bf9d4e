/**
 * RLOO: REINFORCE with a leave-one-out baseline (Ahmadian et al. 2024, "Back to Basics").
 */
import { generationStats, markZeroSpread } from './generation';
import { emptyResult, expectNullState, validateInput } from './input';
import type { AdvantageEstimator } from './types';

/**
 * RLOO: `baseline_i = (sum_g - r_i) / (G - 1)`, the mean of the other samples of the same
 * generation group; `advantage = r_i - baseline_i`, scale 1.
 *
 * Needs `num_generations >= 2` per generation group (error naming the group otherwise). Groups
 * whose rewards are all equal get advantage exactly 0 and `zeroStdGeneration = 1`.
 */
export function createRlooEstimator(): AdvantageEstimator {
  const name = 'rloo';
  return {
    name,
    compute(input) {
      const n = validateInput(name, input);
      const stats = generationStats(name, input, true);
      const result = emptyResult(n);
      markZeroSpread(stats, result.zeroStdGeneration);
      const { groupOf, count, mean, zeroSpread } = stats;
      const { rewards } = input;
      const { advantages, baselines } = result;
      for (let i = 0; i < n; i++) {
        const g = groupOf[i]!;
        const r = rewards[i]!;
        if (zeroSpread[g] === 1) {
          baselines[i] = r; // advantage stays exactly 0
          continue;
        }
        // Written around the group mean, (G·mean - r) / (G - 1) = mean + (mean - r) / (G - 1),
        // which avoids forming the large sum G·mean.
        const G = count[g]!;
        const baseline = mean[g]! + (mean[g]! - r) / (G - 1);
        baselines[i] = baseline;
        advantages[i] = r - baseline;
      }
      return result;
    },
    getState: () => null,
    setState: (state) => expectNullState(name, state),
  };
}
