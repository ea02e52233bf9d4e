/**
 * The P-GRPO paper's ablation: the same P-GRPO statistics, but each prompt's preference group is
 * replaced by a group drawn at random (with the true shares), independently of whom the prompt
 * really comes from. If P-GRPO's benefit comes from grouping users with shared preferences, it
 * should vanish here. Registered as `pgrpo_random_groups`.
 */
import { Rng, checkRngState } from '../random';
import { createPgrpoEstimator, type PgrpoOptions } from './pgrpo';
import type { AdvantageEstimator } from './types';

/** Options of {@link createRandomGroupPgrpoEstimator}: the groups to draw, their shares, a seed, and P-GRPO's options. */
export interface RandomGroupPgrpoOptions extends Omit<PgrpoOptions, 'groups'> {
  groups: readonly string[];
  shares: readonly number[];
  /** Seed of the draws; default 0. */
  seed?: number;
}

const NAME = 'pgrpo_random_groups';

/**
 * P-GRPO over randomly reassigned groups: every generation group (prompt) gets one label drawn
 * from `groups` with probabilities `shares`, using its own seeded generator (saved in checkpoints).
 */
export function createRandomGroupPgrpoEstimator(options: RandomGroupPgrpoOptions): AdvantageEstimator {
  const { groups, shares, seed = 0, ...pgrpo } = options ?? ({} as RandomGroupPgrpoOptions);
  if (!Array.isArray(groups) || !Array.isArray(shares)) throw new Error(`${NAME}: groups and shares must be arrays (one share per group)`);
  if (groups.length !== shares.length) throw new Error(`${NAME}: groups has ${groups.length} entries, shares ${shares.length}`);
  const inner = createPgrpoEstimator({ ...pgrpo, groups });
  let rng = new Rng(seed, `${NAME} seed`);
  return {
    name: NAME,
    compute(input) {
      const labelOf = new Map<number, string>();
      const labels = Array.from(input.generationGroups, (gen): string => {
        const known = labelOf.get(gen);
        if (known !== undefined) return known;
        const label: string = groups[rng.categorical(shares)]!;
        labelOf.set(gen, label);
        return label;
      });
      return inner.compute({ ...input, preferenceGroups: labels });
    },
    getState: () => ({ inner: inner.getState(), rng: rng.getState() }),
    setState(state: unknown) {
      if (state === null || typeof state !== 'object') throw new Error(`${NAME}: setState expects the object returned by getState()`);
      const s = state as { inner: unknown; rng: unknown };
      checkRngState(s.rng, `${NAME} state.rng`);
      inner.setState(s.inner);
      rng = Rng.fromState(s.rng);
    },
  };
}
