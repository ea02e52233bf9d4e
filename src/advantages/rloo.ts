/**
 * RLOO: REINFORCE with a leave-one-out baseline (Ahmadian et al. 2024, "Back to Basics").
 */
import { validatedGenerationStats } from './generation';
import { emptyResult, expectNullState } from './input';
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
      const { n, stats } = validatedGenerationStats(name, input);
      const result = emptyResult(n);
      const { groupOf, count, mean, zeroSpread } = stats;
      const { rewards } = input;
      const { advantages, baselines, zeroStdGeneration } = result;
      // Run by run (a run: adjacent samples of one group): the group's values are read once per run.
      for (let i = 0; i < n; ) {
        const g = groupOf[i]!;
        const start = i;
        const mu = mean[g]!;
        const G = count[g]!;
        const zero = zeroSpread[g] === 1;
        do {
          const r = rewards[i]!;
          if (zero) {
            baselines[i] = r; // advantage stays exactly 0
          } else {
            // Written around the group mean, (G·mean - r) / (G - 1) = mean + (mean - r) / (G - 1),
            // which avoids forming the large sum G·mean.
            const baseline = mu + (mu - r) / (G - 1);
            baselines[i] = baseline;
            advantages[i] = r - baseline;
          }
          i++;
        } while (i < n && groupOf[i] === g);
        if (zero) zeroStdGeneration.fill(1, start, i);
      }
      return result;
    },
    getState: () => null,
    setState: (state) => expectNullState(name, state),
  };
}
