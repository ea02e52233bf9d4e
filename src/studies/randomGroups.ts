/**
 * The P-GRPO paper's ablation: the same P-GRPO statistics, but each prompt's preference group is
 * replaced by a group drawn at random (with the true shares), independently of whom the prompt
 * really comes from. If P-GRPO's benefit comes from grouping users with shared preferences, it
 * should vanish here.
 */
import { createPgrpoEstimator, type AdvantageEstimator, type PgrpoOptions } from '../advantages';
import { Rng, type RngState } from '../random';

/**
 * P-GRPO over randomly reassigned groups: every generation group (prompt) gets one label drawn
 * from `groups` with probabilities `shares`, using its own seeded generator (saved in checkpoints).
 */
export function createRandomGroupPgrpoEstimator(
  groups: readonly string[],
  shares: readonly number[],
  seed: number,
  options: PgrpoOptions = {},
): AdvantageEstimator {
  if (groups.length !== shares.length) throw new Error(`random-group P-GRPO: groups has ${groups.length} entries, shares ${shares.length}`);
  const inner = createPgrpoEstimator({ ...options, groups });
  let rng = new Rng(seed);
  return {
    name: 'pgrpo_random_groups',
    compute(input) {
      const labelOf = new Map<number, string>();
      const labels = Array.from(input.generationGroups, (gen) => {
        let label = labelOf.get(gen);
        if (label === undefined) {
          label = groups[rng.categorical(shares)]!;
          labelOf.set(gen, label);
        }
        return label;
      });
      return inner.compute({ ...input, preferenceGroups: labels });
    },
    getState: () => ({ inner: inner.getState(), rng: rng.getState() }),
    setState(state: unknown) {
      const s = state as { inner: unknown; rng: RngState };
      inner.setState(s.inner);
      rng = Rng.fromState(s.rng);
    },
  };
}
