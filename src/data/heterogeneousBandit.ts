/**
 * Heterogeneous-preference bandit: K responses, P preference groups with given shares, and a
 * reward table per group. The smallest setting where a single policy trained on pooled rewards
 * drifts to the majority's favourite and the minority's reward collapses.
 */
import type { DataFrame } from 'danfojs-node';
import { Rng } from '../random';
import { rowsToTypedFrame } from './frame';
import { SCORED_COLUMNS, type ScoredRow } from './schema';

/** How prompts tell groups apart. */
export type BanditFeatures = 'none' | 'group-onehot' | 'constant';

/** Generator settings. */
export interface BanditOptions {
  name: string;
  /** Group names, largest first by convention (the first is treated as the majority). */
  groups: string[];
  /** Group shares: positive, summing to 1 (within 1e-9). */
  shares: number[];
  /** K, the number of responses. */
  num_responses: number;
  /** Responses each group rates top (reward 1). Default 1. */
  top_k?: number;
  /** How many top responses all groups share (0 = fully conflicting tastes, top_k = identical tops). Default 0. */
  overlap?: number;
  /**
   * `binary`: reward 1 on a group's top responses, 0 elsewhere.
   * `graded`: a group's own top responses get 1, the shared ones `shared_reward` (a compromise that is
   * good for everyone and best for no one when < 1), the rest uniform in [0, `low_max`] rounded to 0.01.
   */
  reward_type: 'binary' | 'graded';
  /** Graded only: reward every group gives a shared top response. Default 0.6. */
  shared_reward?: number;
  /** Graded only: upper end of the other responses' rewards. Default 0.3. */
  low_max?: number;
  /** Prompt features per group: `group-onehot` (a conditioned policy can tell groups apart), `constant` (it cannot), `none`. Default `none`. */
  features?: BanditFeatures;
  /** Prompt instances (users) in the scored frame, split among groups by share. */
  num_prompts: number;
  seed: number;
}

/** The majority examples a supervised warm start should imitate (a majority-biased starting policy). */
export interface BanditWarmStart {
  group: string;
  /** Response ids to imitate: the majority group's top responses. */
  responses: string[];
  description: string;
}

/** A plain, JSON-serialisable bandit description. */
export interface BanditSpec {
  name: string;
  description: string;
  groups: string[];
  shares: number[];
  responses: string[];
  /** rewardTable[group][k] is the reward group `group` gives response k. */
  rewardTable: Record<string, number[]>;
  /** features[g] is the feature vector of every prompt from groups[g] (absent when `features: 'none'`). */
  features?: number[][];
  warmStart?: BanditWarmStart;
}

/** A generated bandit: the spec and its scored rows and frame. */
export interface GeneratedBandit {
  spec: BanditSpec;
  rows: ScoredRow[];
  scored: DataFrame;
}

/** The prompt text every bandit prompt carries (the task has one state; groups differ in taste). */
const BANDIT_PROMPT = 'Pick one of the responses.';

/**
 * Generates a bandit, deterministically from `seed`. Randomness decides which response indices are
 * each group's tops (so the best response is not always index 0) and, in graded mode, the low rewards.
 */
export function generateBandit(options: BanditOptions, description = ''): GeneratedBandit {
  const o = validate(options);
  const rng = new Rng(o.seed);
  const K = o.num_responses;
  const order = rng.shuffle(Array.from({ length: K }, (_, k) => k));
  // order[0..overlap) are shared tops; each group then takes its own (top_k - overlap) responses in turn.
  const shared = order.slice(0, o.overlap);
  const own = o.groups.map((_, g) => order.slice(o.overlap + g * (o.top_k - o.overlap), o.overlap + (g + 1) * (o.top_k - o.overlap)));
  const responses = Array.from({ length: K }, (_, k) => `r${k}`);
  const rewardTable: Record<string, number[]> = {};
  o.groups.forEach((group, g) => {
    rewardTable[group] = Array.from({ length: K }, (_, k) => {
      if (own[g]!.includes(k)) return 1;
      if (shared.includes(k)) return o.reward_type === 'binary' ? 1 : o.shared_reward;
      return o.reward_type === 'binary' ? 0 : Math.round(rng.uniform() * o.low_max * 100) / 100;
    });
  });
  const spec: BanditSpec = { name: o.name, description, groups: [...o.groups], shares: [...o.shares], responses, rewardTable };
  if (o.features === 'group-onehot') spec.features = o.groups.map((_, g) => o.groups.map((__, j) => (j === g ? 1 : 0)));
  if (o.features === 'constant') spec.features = o.groups.map(() => [1]);
  const majority = o.groups[0]!;
  spec.warmStart = {
    group: majority,
    responses: responses.filter((_, k) => rewardTable[majority]![k] === Math.max(...rewardTable[majority]!)),
    description: `imitate the majority group '${majority}' best responses, giving a majority-biased starting policy`,
  };
  const rows = banditScoredRows(spec, o.num_prompts);
  return { spec, rows, scored: rowsToTypedFrame(rows, SCORED_COLUMNS) };
}

/**
 * Prompt counts per group by largest remainder (shares x numPrompts, rounded so they sum to numPrompts;
 * ties go to the earlier group). Every group with a positive share gets at least one prompt.
 */
export function allocateByShare(shares: readonly number[], numPrompts: number): number[] {
  if (!Number.isInteger(numPrompts) || numPrompts < shares.length) throw new Error(`num_prompts must be an integer >= the number of groups (${shares.length}), got ${numPrompts}`);
  const exact = shares.map((s) => s * numPrompts);
  const counts = exact.map((x) => Math.max(1, Math.floor(x)));
  let left = numPrompts - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, g) => ({ g, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.g - b.g);
  for (let i = 0; left > 0; i = (i + 1) % byRemainder.length, left--) counts[byRemainder[i]!.g]!++;
  for (let g = counts.length - 1; left < 0; g = (g - 1 + counts.length) % counts.length) {
    if (counts[g]! > 1) { counts[g]!--; left++; }
  }
  return counts;
}

/**
 * Scored rows of a bandit: `numPrompts` prompt instances (ids `p000`, ...) split among groups by
 * {@link allocateByShare}, groups in spec order, each with all K responses and its group's rewards.
 */
export function banditScoredRows(spec: BanditSpec, numPrompts: number): ScoredRow[] {
  const counts = allocateByShare(spec.shares, numPrompts);
  const width = Math.max(3, String(numPrompts - 1).length);
  const rows: ScoredRow[] = [];
  let p = 0;
  spec.groups.forEach((group, g) => {
    for (let i = 0; i < counts[g]!; i++, p++) {
      const prompt_id = `p${String(p).padStart(width, '0')}`;
      spec.responses.forEach((response_id, k) => {
        rows.push({ prompt_id, prompt: BANDIT_PROMPT, group, response_id, response: response_id, reward: spec.rewardTable[group]![k]! });
      });
    }
  });
  return rows;
}

function validate(o: BanditOptions): Required<BanditOptions> {
  const P = o.groups.length;
  if (P < 2) throw new Error(`groups must name at least 2 groups, got ${P}`);
  if (new Set(o.groups).size !== P || o.groups.some((g) => g === '')) throw new Error('groups must be distinct non-empty names');
  if (o.shares.length !== P) throw new Error(`shares must have one entry per group (${P}), got ${o.shares.length}`);
  if (o.shares.some((s) => !(s > 0)) || Math.abs(o.shares.reduce((a, b) => a + b, 0) - 1) > 1e-9) throw new Error(`shares must be positive and sum to 1, got ${o.shares.join(', ')}`);
  const top_k = o.top_k ?? 1;
  const overlap = o.overlap ?? 0;
  if (!Number.isInteger(top_k) || top_k < 1) throw new Error(`top_k must be a positive integer, got ${top_k}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap > top_k) throw new Error(`overlap must be an integer in 0..top_k (${top_k}), got ${overlap}`);
  const needed = overlap + P * (top_k - overlap);
  if (!Number.isInteger(o.num_responses) || o.num_responses < needed + 1) {
    throw new Error(`num_responses must be an integer >= ${needed + 1} (tops of all groups plus at least one non-top response), got ${o.num_responses}`);
  }
  if (o.reward_type !== 'binary' && o.reward_type !== 'graded') throw new Error(`reward_type must be 'binary' or 'graded', got '${String(o.reward_type)}'`);
  const shared_reward = o.shared_reward ?? 0.6;
  const low_max = o.low_max ?? 0.3;
  if (!(shared_reward >= 0 && shared_reward <= 1)) throw new Error(`shared_reward must be in [0, 1], got ${shared_reward}`);
  if (!(low_max >= 0 && low_max < shared_reward)) throw new Error(`low_max must be in [0, shared_reward), got ${low_max}`);
  const features = o.features ?? 'none';
  if (!['none', 'group-onehot', 'constant'].includes(features)) throw new Error(`features must be 'none', 'group-onehot' or 'constant', got '${features}'`);
  if (!Number.isFinite(o.seed)) throw new Error(`seed must be a finite number, got ${o.seed}`);
  allocateByShare(o.shares, o.num_prompts);
  return { ...o, top_k, overlap, shared_reward, low_max, features };
}

/** A named preset: its options and why it exists. */
export interface BanditPreset {
  options: BanditOptions;
  /** What the preset tests. */
  why: string;
}

/**
 * Shipped presets. Two-group splits share one design: 8 responses, binary rewards, one top response
 * per group, no overlap, one-hot group features, 20 prompt instances. Under pooled rewards the
 * majority's best response scores its share s and the minority's best 1 - s, so a non-personalised
 * policy trained on the pool should converge to the majority's favourite; the three splits move s.
 */
export const BANDIT_PRESETS: Record<string, BanditPreset> = {
  'bandit-80-20': {
    options: { name: 'bandit-80-20', groups: ['majority', 'minority'], shares: [0.8, 0.2], num_responses: 8, reward_type: 'binary', features: 'group-onehot', num_prompts: 20, seed: 8020 },
    why: 'Moderate imbalance: the minority is 1 in 5 samples, so pooled GRPO still sees it every batch but its advantage is diluted; the baseline case for minority recovery.',
  },
  'bandit-90-10': {
    options: { name: 'bandit-90-10', groups: ['majority', 'minority'], shares: [0.9, 0.1], num_responses: 8, reward_type: 'binary', features: 'group-onehot', num_prompts: 20, seed: 9010 },
    why: 'Strong imbalance: pooled statistics are dominated by the majority; per-group normalisation (P-GRPO) should matter more than at 80/20.',
  },
  'bandit-95-5': {
    options: { name: 'bandit-95-5', groups: ['majority', 'minority'], shares: [0.95, 0.05], num_responses: 8, reward_type: 'binary', features: 'group-onehot', num_prompts: 20, seed: 9505 },
    why: 'Extreme imbalance: small batches often hold no minority sample at all, which stresses per-group statistics warm-up and fallbacks, and worst-group weighting (GR-DPO) most.',
  },
  'bandit-3-groups': {
    options: {
      name: 'bandit-3-groups', groups: ['a', 'b', 'c'], shares: [0.6, 0.3, 0.1], num_responses: 10, top_k: 2, overlap: 1,
      reward_type: 'graded', shared_reward: 0.6, low_max: 0.3, features: 'group-onehot', num_prompts: 10, seed: 603010,
    },
    why:
      'Average versus worst group: each group has one own best response (reward 1) and all share one compromise response (0.6 for everyone). ' +
      "For a policy that ignores the group, the majority's favourite maximises average reward while the compromise maximises the worst group's reward, " +
      'so robust objectives (GR-DPO/GR-IPO) and average objectives should pick different responses; with group features a personalised policy gets 1 for all.',
  },
};

/** Generates a shipped preset by name. */
export function banditPreset(name: string): GeneratedBandit {
  const preset = BANDIT_PRESETS[name];
  if (!preset) throw new Error(`unknown bandit preset '${name}' (known: ${Object.keys(BANDIT_PRESETS).join(', ')})`);
  return generateBandit(preset.options, preset.why);
}
