/**
 * Summaries of multi-group preference data as DataFrames: group sizes and shares, minority
 * groups, per-group reward statistics, and the scored -> pairwise conversion.
 */
import type { DataFrame } from 'danfojs-node';
import { frameToRecords } from '../frames';
import { rowsToTypedFrame } from './frame';
import { PAIRWISE_COLUMNS, type PairwiseRow, type ScoredRow } from './schema';

/** A frame or its rows as plain objects. */
export type FrameOrRows<R> = DataFrame | readonly R[];

/** Rows of a frame (or the rows themselves). */
export function asRows<R>(data: FrameOrRows<R>): R[] {
  return Array.isArray(data) ? [...(data as R[])] : frameToRecords<R>(data as DataFrame);
}

/** Options of {@link groupSizes}. */
export interface GroupSizeOptions {
  /** Count rows (`rows`, default) or distinct `prompt_id`s (`prompts`: one prompt instance = one user). */
  by?: 'rows' | 'prompts';
  /** Share below which a group is a minority; default 1/P (below an equal split among the P groups). */
  minority_threshold?: number;
}

/**
 * Size and share of each group, largest first (ties by name): columns
 * `group` (string), `size` (number), `share` (number, sums to 1), `is_minority` (boolean).
 * Minority rule: share < `minority_threshold`, default 1/P — a group smaller than it would be if all
 * P groups were equal. With two groups this is every group smaller than the other; with 60/30/10
 * it is the 30% and 10% groups.
 */
export function groupSizes(data: FrameOrRows<{ group: string; prompt_id?: string }>, options: GroupSizeOptions = {}): DataFrame {
  const rows = asRows(data);
  const by = options.by ?? 'rows';
  if (by !== 'rows' && by !== 'prompts') throw new Error(`groupSizes: by must be 'rows' or 'prompts', got '${String(by)}'`);
  const members = new Map<string, Set<string> | number>();
  for (const r of rows) {
    if (by === 'rows') members.set(r.group, ((members.get(r.group) as number | undefined) ?? 0) + 1);
    else {
      if (r.prompt_id === undefined) throw new Error("groupSizes: by 'prompts' needs a prompt_id column");
      const set = (members.get(r.group) as Set<string> | undefined) ?? new Set<string>();
      set.add(String(r.prompt_id));
      members.set(r.group, set);
    }
  }
  const sizes = [...members].map(([group, m]) => ({ group, size: typeof m === 'number' ? m : m.size }));
  sizes.sort((a, b) => b.size - a.size || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  const total = sizes.reduce((s, g) => s + g.size, 0);
  const threshold = options.minority_threshold ?? (sizes.length > 0 ? 1 / sizes.length : 0);
  if (!(threshold >= 0 && threshold <= 1)) throw new Error(`groupSizes: minority_threshold must be in [0, 1], got ${threshold}`);
  const out = sizes.map((g) => ({ ...g, share: g.size / total, is_minority: g.size / total < threshold }));
  return rowsToTypedFrame(out, [
    { name: 'group', type: 'string' },
    { name: 'size', type: 'number' },
    { name: 'share', type: 'number' },
    { name: 'is_minority', type: 'boolean' },
  ]);
}

/** Names of the minority groups (see {@link groupSizes} for the rule), smallest share first. */
export function minorityGroups(data: FrameOrRows<{ group: string; prompt_id?: string }>, options: GroupSizeOptions = {}): string[] {
  const sizes = frameToRecords<{ group: string; share: number; is_minority: boolean }>(groupSizes(data, options));
  return sizes.filter((g) => g.is_minority).reverse().map((g) => g.group);
}

/**
 * Reward statistics per group, groups in order of first appearance: columns `group`, `count`,
 * `mean`, `std` (sample standard deviation, n - 1 in the denominator as in pandas; NaN when count is 1),
 * `min`, `max`.
 */
export function rewardStatsByGroup(data: FrameOrRows<{ group: string; reward: number }>): DataFrame {
  const byGroup = new Map<string, number[]>();
  for (const r of asRows(data)) {
    const list = byGroup.get(r.group) ?? [];
    list.push(r.reward);
    byGroup.set(r.group, list);
  }
  const out = [...byGroup].map(([group, xs]) => {
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const ss = xs.reduce((s, x) => s + (x - mean) ** 2, 0);
    return { group, count: xs.length, mean, std: xs.length > 1 ? Math.sqrt(ss / (xs.length - 1)) : NaN, min: Math.min(...xs), max: Math.max(...xs) };
  });
  return rowsToTypedFrame(out, [
    { name: 'group', type: 'string' },
    ...(['count', 'mean', 'std', 'min', 'max'] as const).map((name) => ({ name, type: 'number' as const })),
  ]);
}

/** Options of {@link scoredToPairwise}. */
export interface PairwiseOptions {
  /** Minimum reward difference for a pair (>= 0). Ties never make a pair, so 0 means "strictly better". */
  margin: number;
  /** Extra scored columns to carry into the pair as `chosen_<col>` and `rejected_<col>` (e.g. vote counts). */
  carry?: readonly string[];
}

/**
 * Converts scored rows to pairs: within each (prompt_id, group), every ordered pair of responses
 * (a, b) with reward(a) - reward(b) >= margin and > 0 gives a row with chosen = a's text and
 * rejected = b's text. Columns: those of {@link PAIRWISE_COLUMNS} (weight 1), then `chosen_id`,
 * `rejected_id`, `chosen_reward`, `rejected_reward`, `reward_gap` and the carried columns.
 * Order: prompts and groups as first seen, then responses in input order.
 */
export function scoredToPairwise(data: FrameOrRows<ScoredRow>, options: PairwiseOptions): DataFrame {
  const { margin } = options;
  if (!Number.isFinite(margin) || margin < 0) throw new Error(`scoredToPairwise: margin must be a finite number >= 0, got ${margin}`);
  const carry = options.carry ?? [];
  const blocks = new Map<string, ScoredRow[]>();
  const rows = asRows(data);
  for (const c of carry) {
    if (rows.length > 0 && !(c in rows[0]!)) throw new Error(`scoredToPairwise: carry column '${c}' is not in the scored data`);
  }
  for (const r of rows) {
    const k = `${r.prompt_id}\u0000${r.group}`;
    const list = blocks.get(k) ?? [];
    list.push(r);
    blocks.set(k, list);
  }
  const pairs: PairwiseRow[] = [];
  for (const list of blocks.values()) {
    for (const a of list) {
      for (const b of list) {
        const gap = a.reward - b.reward;
        if (!(gap > 0 && gap >= margin)) continue;
        const pair: PairwiseRow = {
          prompt_id: a.prompt_id, prompt: a.prompt, group: a.group, chosen: a.response, rejected: b.response, weight: 1,
          chosen_id: a.response_id, rejected_id: b.response_id, chosen_reward: a.reward, rejected_reward: b.reward, reward_gap: gap,
        };
        for (const c of carry) { pair[`chosen_${c}`] = a[c]!; pair[`rejected_${c}`] = b[c]!; }
        pairs.push(pair);
      }
    }
  }
  const first = rows[0];
  return rowsToTypedFrame(pairs, [
    ...PAIRWISE_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
    { name: 'chosen_id', type: 'string' }, { name: 'rejected_id', type: 'string' },
    { name: 'chosen_reward', type: 'number' }, { name: 'rejected_reward', type: 'number' }, { name: 'reward_gap', type: 'number' },
    ...carry.flatMap((c) => {
      const type = typeof first?.[c] === 'number' ? ('number' as const) : ('string' as const);
      return [{ name: `chosen_${c}`, type }, { name: `rejected_${c}`, type }];
    }),
  ]);
}
