/**
 * The named preference-optimisation methods of the group-robust paper: each is a loss and a group
 * weighting of {@link GroupRobustTrainer}'s config.
 */
import type { GroupWeighting } from './groupWeights';
import type { PreferenceLossType } from './losses';

/** The methods of the comparison. */
export type RobustMethod = 'dpo' | 'is_dpo' | 'gr_dpo' | 'ipo' | 'is_ipo' | 'gr_ipo';

/** Loss and weighting of each method (spread into a `GroupRobustConfig`). */
export const ROBUST_METHODS: Record<RobustMethod, { loss_type: PreferenceLossType; weighting: GroupWeighting }> = {
  dpo: { loss_type: 'sigmoid', weighting: 'uniform' },
  is_dpo: { loss_type: 'sigmoid', weighting: 'importance' },
  gr_dpo: { loss_type: 'sigmoid', weighting: 'robust' },
  ipo: { loss_type: 'ipo', weighting: 'uniform' },
  is_ipo: { loss_type: 'ipo', weighting: 'importance' },
  gr_ipo: { loss_type: 'ipo', weighting: 'robust' },
};

/** Throws naming the method when `method` is not one of {@link ROBUST_METHODS}. */
export function checkRobustMethod(method: string, allowed: readonly string[] = Object.keys(ROBUST_METHODS)): void {
  if (!allowed.includes(method)) throw new Error(`unknown method '${method}'; use one of ${allowed.join(', ')}`);
}
