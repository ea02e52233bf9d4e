/**
 * Running reward statistics per preference group, the memory behind P-GRPO.
 *
 * Three forgetting rules:
 * - full history (default): every reward ever absorbed, with unit weight;
 * - `decay` d in (0, 1]: before each batch is absorbed, every past weight is multiplied by d, so a
 *   reward absorbed k batches ago weighs d^k;
 * - `window` N: the last N rewards of the group (in batch order, then sample order), unit weights.
 *
 * Full history and decay keep (count, W, W2, mean, m2) per group and absorb a batch with Chan's
 * parallel merge, which for unit weights is exactly Welford's update applied batch by batch:
 *
 *     decay:  W ← d·W,  W2 ← d²·W2,  m2 ← d·m2            (mean unchanged)
 *     merge a batch B of n_B rewards with mean μ_B and squared deviations m2_B:
 *             δ = μ_B − mean,  W' = W + n_B,  mean' = mean + δ·n_B / W'
 *             m2' = m2 + m2_B + δ²·W·n_B / W',  W2' = W2 + n_B,  count' = count + n_B
 *
 * so `mean = Σ w_i r_i / W` and `m2 = Σ w_i (r_i − mean)²`. The std is the unbiased
 * reliability-weighted one, `sqrt(m2 / (W − W2/W))`, which is `sqrt(m2 / (count − 1))` with unit
 * weights (same convention as GRPO's torch `.std()`). The window keeps its rewards and recomputes
 * mean and m2 in two passes after each batch (no add/remove drift).
 */
import { groupMoments, weightedUnbiasedStd, wholeMoments } from './moments';

/** Statistics of one preference group, as reported by P-GRPO's `stats()`. */
export interface PreferenceGroupStats {
  /** Number of rewards the statistics cover (raw, undecayed; at most `window` with a window). */
  count: number;
  /** Sum of weights W (equals `count` without decay). */
  weight: number;
  mean: number;
  /** Unbiased (reliability-weighted) std; 0 while `count < 2`. */
  std: number;
  /** Weighted sum of squared deviations from the mean. */
  m2: number;
}

/** Forgetting rule of a {@link PreferenceHistory}; at most one of the two. */
export interface ForgettingOptions {
  decay?: number;
  window?: number;
}

/** JSON-safe state of one group. */
export interface PreferenceGroupState {
  group: string;
  count: number;
  weight: number;
  weight_sq: number;
  mean: number;
  m2: number;
  /** Window mode only: the group's rewards, oldest first. */
  window_rewards?: number[];
}

interface GroupMemory {
  count: number;
  weight: number;
  weightSq: number;
  mean: number;
  m2: number;
  /** Window mode: ring buffer of the last N rewards, oldest at `head`. */
  buffer?: Float64Array;
  head: number;
}

/** Per-preference-group running statistics with optional forgetting. */
export class PreferenceHistory {
  private readonly groups = new Map<string, GroupMemory>();

  constructor(private readonly forgetting: ForgettingOptions) {}

  /** The group's memory, created empty on first use. */
  private memory(group: string): GroupMemory {
    let m = this.groups.get(group);
    if (m === undefined) {
      m = { count: 0, weight: 0, weightSq: 0, mean: 0, m2: 0, head: 0 };
      if (this.forgetting.window !== undefined) m.buffer = new Float64Array(this.forgetting.window);
      this.groups.set(group, m);
    }
    return m;
  }

  /** Makes sure a group is listed (with empty statistics) even before it is seen. */
  declare(group: string): void {
    this.memory(group);
  }

  /** Whether the group has been declared or seen. */
  has(group: string): boolean {
    return this.groups.has(group);
  }

  /** Statistics of one group (empty statistics when it has not been seen). */
  snapshot(group: string): PreferenceGroupStats {
    const m = this.groups.get(group);
    if (m === undefined) return { count: 0, weight: 0, mean: 0, std: 0, m2: 0 };
    return { count: m.count, weight: m.weight, mean: m.mean, std: weightedUnbiasedStd(m.m2, m.weight, m.weightSq, m.count), m2: m.m2 };
  }

  /** Statistics of every group, in order of first appearance. */
  all(): Record<string, PreferenceGroupStats> {
    const out: Record<string, PreferenceGroupStats> = {};
    for (const group of this.groups.keys()) {
      Object.defineProperty(out, group, { value: this.snapshot(group), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  /**
   * Absorbs one batch: `rewards[i]` belongs to group `names[groupOf[i]]`. With decay, every known
   * group's past weights decay once per batch, whether or not the group appears in it (a uniform
   * decay leaves a group's own mean and std unchanged; it only lowers its weight against later batches).
   */
  absorb(rewards: Float64Array, groupOf: Int32Array, names: readonly string[]): void {
    const memories = names.map((name) => this.memory(name));
    if (this.forgetting.window !== undefined) {
      this.absorbWindow(rewards, groupOf, memories);
      return;
    }
    const d = this.forgetting.decay;
    if (d !== undefined && d !== 1) {
      for (const m of this.groups.values()) {
        m.weight *= d;
        m.weightSq *= d * d;
        m.m2 *= d;
      }
    }
    const batch = groupMoments(rewards, groupOf, names.length);
    for (let g = 0; g < memories.length; g++) {
      const m = memories[g]!;
      const nB = batch.count[g]!;
      const delta = batch.mean[g]! - m.mean;
      const weight = m.weight + nB;
      // δ·(n_B/W') rather than δ·n_B/W': on a group's first batch n_B/W' is exactly 1, so the
      // history mean equals the batch mean bit for bit.
      m.mean += delta * (nB / weight);
      m.m2 += batch.m2[g]! + (delta * delta * m.weight * nB) / weight;
      m.weight = weight;
      m.weightSq += nB;
      m.count += nB;
    }
  }

  private absorbWindow(rewards: Float64Array, groupOf: Int32Array, memories: GroupMemory[]): void {
    for (let i = 0; i < rewards.length; i++) pushWindow(memories[groupOf[i]!]!, rewards[i]!);
    for (const m of memories) recomputeWindow(m);
  }

  /** JSON-safe copy of every group's memory. */
  getState(): PreferenceGroupState[] {
    const out: PreferenceGroupState[] = [];
    for (const [group, m] of this.groups) {
      const entry: PreferenceGroupState = { group, count: m.count, weight: m.weight, weight_sq: m.weightSq, mean: m.mean, m2: m.m2 };
      if (m.buffer !== undefined) entry.window_rewards = windowValues(m);
      out.push(entry);
    }
    return out;
  }

  /** Replaces every group's memory with `state` (validated by the caller's {@link checkGroupState}). */
  setState(state: readonly PreferenceGroupState[]): void {
    this.groups.clear();
    for (const entry of state) {
      const m = this.memory(entry.group);
      if (m.buffer !== undefined) {
        for (const r of entry.window_rewards ?? []) pushWindow(m, r);
        recomputeWindow(m);
      } else {
        m.count = entry.count;
        m.weight = entry.weight;
        m.weightSq = entry.weight_sq;
        m.mean = entry.mean;
        m.m2 = entry.m2;
      }
    }
  }
}

/** Throws unless `entry` is a well-formed group state for the given forgetting rule; `where` names it in messages. */
export function checkGroupState(entry: unknown, where: string, forgetting: ForgettingOptions): asserts entry is PreferenceGroupState {
  if (entry === null || typeof entry !== 'object') throw new Error(`${where} must be an object`);
  const e = entry as Record<string, unknown>;
  if (typeof e.group !== 'string' || e.group.length === 0) throw new Error(`${where}.group must be a non-empty string`);
  for (const key of ['count', 'weight', 'weight_sq', 'mean', 'm2']) {
    if (typeof e[key] !== 'number' || !Number.isFinite(e[key])) throw new Error(`${where}.${key} must be a finite number, got ${String(e[key])}`);
  }
  if (!Number.isInteger(e.count) || (e.count as number) < 0) throw new Error(`${where}.count must be a non-negative integer, got ${e.count}`);
  if ((e.weight as number) < 0 || (e.weight_sq as number) < 0 || (e.m2 as number) < 0) {
    throw new Error(`${where}: weight, weight_sq and m2 must be >= 0`);
  }
  if (forgetting.window !== undefined) {
    const values = e.window_rewards;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new Error(`${where}.window_rewards must be an array of finite numbers (window mode)`);
    }
    if (values.length !== e.count || values.length > forgetting.window) {
      throw new Error(`${where}.window_rewards has ${values.length} rewards; expected count (${e.count}) and at most window (${forgetting.window})`);
    }
  } else if (e.window_rewards !== undefined) {
    throw new Error(`${where}.window_rewards is only allowed in window mode`);
  }
}

function pushWindow(m: GroupMemory, r: number): void {
  const buffer = m.buffer!;
  const capacity = buffer.length;
  if (m.count < capacity) {
    buffer[(m.head + m.count) % capacity] = r;
    m.count++;
  } else {
    buffer[m.head] = r;
    m.head = (m.head + 1) % capacity;
  }
}

/** Two-pass mean and m2 over the window, oldest first, so a restored window gives identical numbers. */
function recomputeWindow(m: GroupMemory): void {
  const { count, mean, m2 } = wholeMoments(windowValues(m));
  m.weight = count;
  m.weightSq = count;
  m.mean = mean;
  m.m2 = m2;
}

function windowValues(m: GroupMemory): number[] {
  const buffer = m.buffer!;
  const out = new Array<number>(m.count);
  for (let k = 0; k < m.count; k++) out[k] = buffer[(m.head + k) % buffer.length]!;
  return out;
}
