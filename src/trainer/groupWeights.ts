/**
 * Group-robust weighting of the GRPO loss: the GRPO trainer's `group_robust` option (the
 * group-robust idea of arXiv 2405.20304, GR-DPO / GR-IPO, carried over to reward-based GRPO).
 *
 * State: one weight alpha_g per preference group g (K groups), on the simplex, starting at 1/K.
 *
 * Each step, before the policy update:
 * 1. The group's *shortfall* in this batch: s_g = max_h m_h - m_g, where m_g is the mean (weighted,
 *    total) reward of group g's samples in the batch and the max runs over the groups present in the
 *    batch. The best group has shortfall 0; a group absent from the batch gets s_g = 0 (no evidence of
 *    a shortfall), as the group-robust trainer gives an absent group loss estimate 0.
 * 2. Multiplicative weights, the GR-DPO update with the shortfall in place of the group's loss:
 *    alpha_g <- alpha_g exp(eta_alpha s_g), then normalised to sum 1 (`updateGroupWeights` of
 *    src/robust/groupWeights.ts, the one implementation of this step). Because the update is
 *    normalised, adding a constant to every s_g changes nothing: with every group present this is
 *    the same as using -m_g (or 1 - m_g for rewards in [0, 1]) as the loss; the shortfall form only
 *    makes the quantity readable and fixes what an absent group gets. `eta_alpha` is in units of
 *    1 / reward: rewards on another scale need another eta_alpha. eta_alpha = 0 keeps alpha at 1/K.
 * 3. The policy step uses the new alpha (as Algorithm 1 moves alpha first): every sample i of group
 *    g gets weight w_i = K alpha_g, and its advantage A_i is replaced by w_i A_i. Uniform alpha gives
 *    w_i = K (1/K) = 1: plain GRPO (bit for bit whenever K (1/K) rounds to exactly 1 in float64, e.g.
 *    K = 2, 3, 4, 5, 7, 8; not for every K).
 *
 * Why weighting the advantage weights the surrogate: for w > 0, min(r w A, clip(r) w A) =
 * w min(r A, clip(r) A), so each sample's clipped-surrogate term is multiplied by w_i exactly. The KL
 * term (beta times the KL to the reference) does *not* depend on the advantage and is not weighted:
 * every group is held to the reference equally. The logged `advantage_mean` / `advantage_std` stay
 * the estimator's (unweighted) advantages; `alpha` is logged per group every step (the weights this
 * step's loss used), as the group-robust trainer logs it.
 */
import { updateGroupWeights } from '../robust/groupWeights';
import type { MetricRecord } from '../frames';

/** The GRPO trainer's `group_robust` option. */
export interface GroupRobustGRPOOptions {
  /** Step size of the multiplicative-weights update of alpha, in 1 / reward units (>= 0; 0 keeps alpha uniform). */
  eta_alpha: number;
}

/** Checks a `group_robust` option (null = off) and returns it with only its known key; errors name the key. */
export function checkGroupRobustOption(value: unknown): GroupRobustGRPOOptions | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`GRPOConfig.group_robust must be null (off) or an object { eta_alpha }, got ${typeof value}`);
  }
  for (const k of Object.keys(value)) {
    if (k !== 'eta_alpha') throw new Error(`GRPOConfig.group_robust has unknown key '${k}' (known keys: eta_alpha)`);
  }
  const eta = (value as { eta_alpha?: unknown }).eta_alpha;
  if (typeof eta !== 'number' || !Number.isFinite(eta) || eta < 0) {
    throw new Error(`GRPOConfig.group_robust.eta_alpha must be a finite number >= 0, got ${typeof eta === 'number' ? eta : typeof eta}`);
  }
  return { eta_alpha: eta };
}

/**
 * Each group's shortfall in a batch (see module docs): best present group's mean reward minus the
 * group's mean reward; 0 for a group with no sample in the batch.
 */
export function groupShortfalls(rewards: ArrayLike<number>, groupOf: ArrayLike<number>, numGroups: number): number[] {
  const sums = new Array<number>(numGroups).fill(0);
  const counts = new Array<number>(numGroups).fill(0);
  for (let i = 0; i < rewards.length; i++) {
    const g = groupOf[i]!;
    sums[g]! += rewards[i]!;
    counts[g]! += 1;
  }
  const means = sums.map((s, g) => (counts[g]! > 0 ? s / counts[g]! : Number.NaN));
  const best = Math.max(...means.filter((m) => !Number.isNaN(m)));
  return means.map((m) => (Number.isNaN(m) ? 0 : best - m));
}

/** The group weights alpha of one GRPO trainer: updated every step, applied to the advantages, checkpointed. */
export class GroupRobustWeights {
  private alphaValues: number[];

  constructor(
    readonly options: GroupRobustGRPOOptions,
    readonly groups: readonly string[],
  ) {
    if (groups.length === 0) throw new Error('group_robust needs at least one preference group');
    this.alphaValues = new Array<number>(groups.length).fill(1 / groups.length);
  }

  /** The current weights, one per group in `groups` order. */
  get alpha(): number[] {
    return [...this.alphaValues];
  }

  /**
   * Moves alpha on this batch's shortfalls, then returns the advantages weighted by K alpha_g
   * (a new array; the input is not changed).
   */
  weigh(rewards: ArrayLike<number>, groupOf: ArrayLike<number>, advantages: Float64Array): Float64Array {
    const K = this.groups.length;
    if (this.options.eta_alpha > 0) {
      this.alphaValues = updateGroupWeights(this.alphaValues, groupShortfalls(rewards, groupOf, K), this.options.eta_alpha);
    }
    const perGroup = this.alphaValues.map((a) => K * a);
    const out = new Float64Array(advantages.length);
    for (let i = 0; i < advantages.length; i++) out[i] = perGroup[groupOf[i]!]! * advantages[i]!;
    return out;
  }

  /** The `alpha` record of every group at `step`. */
  records(step: number): MetricRecord[] {
    return this.groups.map((group, g) => ({ step, group, metric: 'alpha', value: this.alphaValues[g]! }));
  }

  /** The state to checkpoint: alpha. */
  getState(): number[] {
    return [...this.alphaValues];
  }

  /** Restores alpha, checking one positive finite weight per group summing to 1 (within 1e-9); names `path`. */
  setState(alpha: unknown, path = 'checkpoint.group_weights'): void {
    if (!Array.isArray(alpha) || alpha.length !== this.groups.length) {
      throw new Error(`${path} must hold one weight per preference group (${this.groups.length}: ${this.groups.join(', ')}), got ${Array.isArray(alpha) ? `${alpha.length} values` : typeof alpha}`);
    }
    alpha.forEach((a, g) => {
      if (typeof a !== 'number' || !(a > 0) || !Number.isFinite(a)) throw new Error(`${path}[${g}] (group '${this.groups[g]}') must be a positive finite number, got ${String(a)}`);
    });
    const total = (alpha as number[]).reduce((s, a) => s + a, 0);
    if (Math.abs(total - 1) > 1e-9) throw new Error(`${path} must sum to 1, sums to ${total}`);
    this.alphaValues = [...(alpha as number[])];
  }
}
