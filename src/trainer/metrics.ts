/**
 * Per-step metrics of the GRPO trainer, per preference group and over the whole batch
 * (`group = 'all'`), as long-form {@link MetricRecord}s.
 */
import { ALL_GROUPS, type MetricRecord } from '../frames';

/** Per-sample numbers of one step, all on the JS side (read back once). */
export interface StepSamples {
  /** Preference-group names; `groupOf` indexes into it. */
  groups: readonly string[];
  /** Preference group index of each sample. */
  groupOf: Int32Array;
  /** Weighted total reward of each sample. */
  rewards: Float64Array;
  /** Each reward function's (unweighted) reward per sample. */
  rewardParts: { name: string; values: Float64Array }[];
  advantages: Float64Array;
  zeroStdGeneration: Uint8Array;
  /**
   * Token statistics per sample, averaged over the step's updates, row-major `[N, 5]`:
   * real tokens, KL sum, low-clipped tokens, high-clipped tokens, entropy sum.
   */
  tokenStats: Float32Array;
  /** Whether a KL is computed (beta > 0). */
  hasKL: boolean;
  /** Mean loss and pre-clipping gradient norm over the step's updates. */
  loss: number;
  gradNorm: number;
}

/** Number of per-sample token statistics packed by the trainer (see {@link StepSamples.tokenStats}). */
export const TOKEN_STATS = 5;

/**
 * Metric names (TRL's where they exist): `num_samples`, `reward_mean`, `reward_std` (population
 * std over the group's samples), `rewards/<name>/mean`, `advantage_mean`, `advantage_std`,
 * `frac_reward_zero_std` (share of samples whose prompt's G rewards were all equal),
 * `completion_length`, `kl` (token mean, only when beta > 0), `clip_ratio/low_mean`,
 * `clip_ratio/high_mean`, `clip_ratio/region_mean` (token shares), `entropy` (token mean);
 * `loss` and `grad_norm` for `all` only. Groups without samples in the step get no rows.
 */
export function stepMetrics(step: number, s: StepSamples): MetricRecord[] {
  const G = s.groups.length;
  const slots = G + 1; // one per group, then 'all'
  const parts = s.rewardParts.length;
  const count = new Float64Array(slots);
  const rSum = new Float64Array(slots);
  const rSq = new Float64Array(slots);
  const aSum = new Float64Array(slots);
  const aSq = new Float64Array(slots);
  const zero = new Float64Array(slots);
  const partSum = new Float64Array(slots * parts);
  const tok = new Float64Array(slots * TOKEN_STATS);
  const N = s.rewards.length;
  for (let i = 0; i < N; i++) {
    const g = s.groupOf[i]!;
    const r = s.rewards[i]!;
    const a = s.advantages[i]!;
    for (const slot of [g, G]) {
      count[slot]! += 1;
      rSum[slot]! += r;
      rSq[slot]! += r * r;
      aSum[slot]! += a;
      aSq[slot]! += a * a;
      zero[slot]! += s.zeroStdGeneration[i]!;
      for (let p = 0; p < parts; p++) partSum[slot * parts + p]! += s.rewardParts[p]!.values[i]!;
      for (let k = 0; k < TOKEN_STATS; k++) tok[slot * TOKEN_STATS + k]! += s.tokenStats[i * TOKEN_STATS + k]!;
    }
  }
  const records: MetricRecord[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const n = count[slot]!;
    if (n === 0) continue;
    const group = slot === G ? ALL_GROUPS : s.groups[slot]!;
    const push = (metric: string, value: number) => records.push({ step, group, metric, value });
    const std = (sum: number, sq: number) => Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2));
    const tokens = tok[slot * TOKEN_STATS]!;
    const perToken = (k: number) => (tokens > 0 ? tok[slot * TOKEN_STATS + k]! / tokens : 0);
    push('num_samples', n);
    push('reward_mean', rSum[slot]! / n);
    push('reward_std', std(rSum[slot]!, rSq[slot]!));
    s.rewardParts.forEach((part, p) => push(`rewards/${part.name}/mean`, partSum[slot * parts + p]! / n));
    push('advantage_mean', aSum[slot]! / n);
    push('advantage_std', std(aSum[slot]!, aSq[slot]!));
    push('frac_reward_zero_std', zero[slot]! / n);
    push('completion_length', tokens / n);
    if (s.hasKL) push('kl', perToken(1));
    push('clip_ratio/low_mean', perToken(2));
    push('clip_ratio/high_mean', perToken(3));
    push('clip_ratio/region_mean', perToken(2) + perToken(3));
    push('entropy', perToken(4));
    if (slot === G) {
      push('loss', s.loss);
      push('grad_norm', s.gradNorm);
    }
  }
  return records;
}
