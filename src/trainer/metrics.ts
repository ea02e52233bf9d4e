/**
 * Per-step metrics of the GRPO trainer, per preference group and over the whole batch
 * (`group = 'all'`), as long-form {@link MetricRecord}s.
 */
import * as tf from '@tensorflow/tfjs';
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
   * Token statistics per sample, averaged over the step's updates, row-major `[N, TOKEN_STATS]`;
   * statistic `k` of sample `i` is at `i * TOKEN_STATS + k`, with `k` from {@link TOKEN_STAT}.
   */
  tokenStats: Float32Array;
  /** Whether a KL is computed (beta > 0). */
  hasKL: boolean;
  /** Mean loss and pre-clipping gradient norm over the step's updates. */
  loss: number;
  gradNorm: number;
}

/**
 * The per-sample token statistics the trainer packs, each a sum over the sample's tokens, in
 * packing order: real tokens, KL, low-clipped tokens, high-clipped tokens, entropy. The one place
 * that order is defined: the trainer stacks its tensors by these names, and {@link TOKEN_STAT}
 * reads them back by name.
 */
export const TOKEN_STAT_NAMES = ['tokens', 'kl', 'low_clipped', 'high_clipped', 'entropy'] as const;

/** Name of one packed token statistic. */
export type TokenStatName = (typeof TOKEN_STAT_NAMES)[number];

/** Position of each named token statistic in the pack (see {@link TOKEN_STAT_NAMES}). */
export const TOKEN_STAT = Object.fromEntries(TOKEN_STAT_NAMES.map((name, k) => [name, k])) as Readonly<Record<TokenStatName, number>>;

/** Number of per-sample token statistics packed by the trainer (see {@link StepSamples.tokenStats}). */
export const TOKEN_STATS = TOKEN_STAT_NAMES.length;

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
    const tokens = tok[slot * TOKEN_STATS + TOKEN_STAT.tokens]!;
    const perToken = (name: TokenStatName) => (tokens > 0 ? tok[slot * TOKEN_STATS + TOKEN_STAT[name]]! / tokens : 0);
    push('num_samples', n);
    push('reward_mean', rSum[slot]! / n);
    push('reward_std', std(rSum[slot]!, rSq[slot]!));
    s.rewardParts.forEach((part, p) => push(`rewards/${part.name}/mean`, partSum[slot * parts + p]! / n));
    push('advantage_mean', aSum[slot]! / n);
    push('advantage_std', std(aSum[slot]!, aSq[slot]!));
    push('frac_reward_zero_std', zero[slot]! / n);
    push('completion_length', tokens / n);
    if (s.hasKL) push('kl', perToken('kl'));
    push('clip_ratio/low_mean', perToken('low_clipped'));
    push('clip_ratio/high_mean', perToken('high_clipped'));
    push('clip_ratio/region_mean', perToken('low_clipped') + perToken('high_clipped'));
    push('entropy', perToken('entropy'));
    if (slot === G) {
      push('loss', s.loss);
      push('grad_norm', s.gradNorm);
    }
  }
  return records;
}

/**
 * Per-sample sums over tokens of every token statistic, stacked in {@link TOKEN_STAT_NAMES} order:
 * `[TOKEN_STATS, N]` from `[N, T]` tensors (one run), `[R, TOKEN_STATS, N]` from `[R, N, T]` (a
 * population). Stacking on a new axis before the samples is a few block copies, while stacking
 * per-sample sums after them copies one number at a time on wasm (0.5 ms per step at N = 512); one sum
 * over tokens then serves all five statistics. Call inside a tidy.
 */
export function tokenStatSums(perToken: Record<Exclude<TokenStatName, 'tokens'>, tf.Tensor>, mask: tf.Tensor): tf.Tensor {
  const byName: Record<TokenStatName, tf.Tensor> = { ...perToken, tokens: mask, entropy: tf.mul(perToken.entropy, mask) };
  const axis = mask.rank - 2; // the samples' axis
  return tf.sum(tf.stack(TOKEN_STAT_NAMES.map((name) => byName[name]), axis), axis + 2);
}

/**
 * Reorders a step's packed read-back from statistic-major (`[TOKEN_STATS, N]`, then the tail of
 * losses and norms) to the sample-major `[N, TOKEN_STATS]` layout of {@link StepSamples.tokenStats}.
 */
export function sampleMajorStats(packed: Float32Array, N: number): Float32Array {
  const out = new Float32Array(packed.length);
  for (let k = 0; k < TOKEN_STATS; k++) {
    for (let i = 0; i < N; i++) out[i * TOKEN_STATS + k] = packed[k * N + i]!;
  }
  out.set(packed.subarray(N * TOKEN_STATS), N * TOKEN_STATS);
  return out;
}
