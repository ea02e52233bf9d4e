/**
 * RLOO: REINFORCE with a leave-one-out baseline (Ahmadian et al. 2024, "Back to Basics").
 *
 * The whole definition is {@link rlooAdvantages}.
 */
import { generationStats, requireBaselines } from './generation';
import { emptyResult, expectNullState, validateInput } from './input';
import type { AdvantageEstimator, AdvantageInput, AdvantageResult } from './types';

/**
 * RLOO's advantages for one batch: `baseline_i = (sum_g - r_i) / (G - 1)`, the mean of the other
 * samples of the same generation group; `advantage = r_i - baseline_i`, scale 1.
 *
 * Needs `num_generations >= 2` per generation group (error naming the group otherwise). Groups
 * whose rewards are all equal get advantage exactly 0 and `zeroStdGeneration = 1`.
 */
export function rlooAdvantages(input: AdvantageInput, name = 'rloo'): AdvantageResult {
  const n = validateInput(name, input);
  const stats = generationStats(input);
  requireBaselines(name, stats);
  const { groupOf, count, mean, zeroSpread } = stats;
  const result = emptyResult(n);
  for (let i = 0; i < n; i++) {
    const g = groupOf[i]!;
    const r = input.rewards[i]!;
    if (zeroSpread[g] === 1) {
      result.baselines[i] = r; // advantage stays exactly 0
      result.zeroStdGeneration[i] = 1;
    } else {
      // (G·mean - r) / (G - 1) written around the group mean, which avoids forming the large sum G·mean.
      const baseline = mean[g]! + (mean[g]! - r) / (count[g]! - 1);
      result.baselines[i] = baseline;
      result.advantages[i] = r - baseline;
    }
  }
  return result;
}

/** RLOO as an estimator (see {@link rlooAdvantages}); it takes no options. */
export function createRlooEstimator(): AdvantageEstimator {
  const name = 'rloo';
  return {
    name,
    compute: (input) => rlooAdvantages(input, name),
    getState: () => null,
    setState: (state) => expectNullState(name, state),
  };
}
