/**
 * From data to training: scored data becomes a GRPO/P-GRPO {@link Task}, pairwise data becomes the
 * group-robust trainer's pairs, and a Polis conversation becomes either.
 *
 * - {@link taskFromScored}: prompts are the data's own (prompt_id, group) combinations, drawn with the
 *   data's group shares (or given ones); the action set is the data's responses; the reward is looked up
 *   ({@link rewardLookup}). Every drawn prompt must have a reward for every response: a missing
 *   combination is an error naming it, unless `missing: 'skip-prompt'` leaves incomplete prompts out
 *   (listed in `task.skipped`). Rewards are never invented.
 * - {@link pairsFromFrame}: pairwise rows (the {@link loadPairwise} shape) become
 *   {@link PairwiseGroupData}: actions are the distinct responses, states a one-hot of the prompt.
 * - {@link polisSelection}, {@link polisTask}, {@link polisPairs}: a Polis conversation, restricted to
 *   statements that every kept opinion group voted on at least `min_votes` times; a group with no such
 *   votes is an error, or left out with `groups_without_votes: 'skip'` (listed in `skipped_groups`).
 */
import * as tf from '@tensorflow/tfjs';
import type { DataFrame } from 'danfojs-node';
import { CategoricalMLPPolicy, type CategoricalMLPOptions } from '../policy/categorical';
import type { Rng } from '../random';
import type { LogLinearPolicyOptions } from '../robust/policy';
import type { Prompt, RewardFunction, Task } from '../trainer/task';
import type { PairwiseGroupData } from './groupLinearBandit';
import { rowsToTypedFrame } from './frame';
import { loadPolisConversation, type PolisConversation, type PolisOptions } from './polis';
import { rewardLookup, trainerReward, type RewardLookup } from './rewardLookup';
import { SCORED_COLUMNS, type ScoredRow } from './schema';
import { asRows, scoredToPairwise, type FrameOrRows } from './summaries';
import { frameToRecords } from '../frames';

// ---------------------------------------------------------------------------------------------
// Scored data -> Task

/** Options of {@link taskFromScored}. */
export interface ScoredTaskOptions {
  /**
   * Preference groups of the task, in this order (the policy's group order). Default: every group of
   * the data, in order of first appearance. A subset leaves the other groups' rows out.
   */
  groups?: readonly string[];
  /**
   * Share of prompts drawn from each group, by group name (finite, >= 0, not all 0; normalised to sum 1).
   * Default: the data's shares, i.e. each group's number of distinct prompt_ids over the total (all of
   * the group's prompts count, including any that `missing: 'skip-prompt'` leaves out).
   */
  shares?: Readonly<Record<string, number>>;
  /** The action set: response_ids in action order. Default: every response_id of the kept groups, in order of first appearance. */
  responses?: readonly string[];
  /**
   * A (prompt_id, group) of the data without a reward for some response of the action set:
   * `error` (default) throws naming the prompt, group and response; `skip-prompt` leaves that prompt of
   * that group out of sampling and lists it in `task.skipped` (a group left with no prompt is an error).
   */
  missing?: 'error' | 'skip-prompt';
  /**
   * Prompt features the policy sees: `none` (default; the policy sees only the group), `prompt-one-hot`
   * (a one-hot vector over the task's distinct prompt_ids), or a vector per prompt_id (all of one length).
   */
  features?: 'none' | 'prompt-one-hot' | Readonly<Record<string, readonly number[]>>;
  /** Name of the reward function in the trainer's metrics (`rewards/<name>/mean`). Default `scored`. */
  reward_name?: string;
}

/** A response of the action set: its id (the lookup key) and the text of its first row in the data. */
export interface ScoredResponse {
  id: string;
  text: string;
}

/** A (prompt_id, group) combination that prompts are drawn from. */
export interface ScoredPromptUnit {
  prompt_id: string;
  /** Prompt text (of the combination's first row). */
  prompt: string;
  group: string;
}

/** A (prompt_id, group) that `missing: 'skip-prompt'` left out, with the response_ids it has no reward for. */
export interface SkippedPrompt {
  prompt_id: string;
  group: string;
  missing: string[];
}

/** A prompt drawn by a {@link ScoredTask}: the trainer's prompt plus the data's prompt id and text. */
export interface ScoredPrompt extends Prompt {
  /** prompt_id in the data (the `id` is `<prompt_id>#<index in the batch>`). */
  prompt_id: string;
  /** Prompt text. */
  text: string;
}

/** The task {@link taskFromScored} builds: a trainer {@link Task} plus what it was built from. */
export interface ScoredTask extends Task {
  /** Size of the action set: a categorical policy needs `numResponses` equal to this (see {@link categoricalPolicyFor}). */
  readonly numResponses: number;
  /** The action set: response k of a categorical policy is `responses[k]`. */
  readonly responses: readonly ScoredResponse[];
  /** Normalised share of each group (order of `groups`). */
  readonly shares: readonly number[];
  /** The (prompt_id, group) combinations prompts are drawn from, grouped by group in `groups` order. */
  readonly prompts: readonly ScoredPromptUnit[];
  /** Combinations left out by `missing: 'skip-prompt'` (empty otherwise). */
  readonly skipped: readonly SkippedPrompt[];
  /**
   * Each group's mean reward for each response over the group's prompts: `rewardTable[group][k]`. It is
   * the reward itself when a group has one prompt or its prompts agree (a bandit, a Polis conversation).
   */
  readonly rewardTable: Readonly<Record<string, readonly number[]>>;
  /** The reward lookup the task uses: (prompt_id, group, response_id) -> reward. */
  readonly reward: RewardLookup;
}

const SCORED_TASK_OPTIONS = ['groups', 'shares', 'responses', 'missing', 'features', 'reward_name'];

/**
 * Turns scored data (the {@link loadScored} shape: prompt_id, prompt, group, response_id, response,
 * reward) into a trainer task. Each prompt of a batch is drawn in two steps from the trainer's rng: its
 * group with the task's shares (one categorical draw, as in {@link tableTask}), then, when the group has
 * several prompts, one of them uniformly. So a task whose groups have one prompt each draws the same
 * groups as `tableTask` with the same shares and seed. The reward of response k for a drawn prompt is the
 * data's reward for (prompt_id, group, `responses[k].id`).
 *
 * Errors (naming the value): unknown option, group or response; a share that is negative or
 * non-finite; a duplicate (prompt_id, group, response_id); a non-finite reward; a missing combination
 * (unless `missing: 'skip-prompt'`); fewer than two responses.
 */
export function taskFromScored(data: FrameOrRows<ScoredRow>, options: ScoredTaskOptions = {}): ScoredTask {
  const who = 'taskFromScored';
  for (const k of Object.keys(options)) {
    if (!SCORED_TASK_OPTIONS.includes(k)) throw new Error(`${who}: unknown option '${k}' (known: ${SCORED_TASK_OPTIONS.join(', ')})`);
  }
  const missingMode = options.missing ?? 'error';
  if (missingMode !== 'error' && missingMode !== 'skip-prompt') throw new Error(`${who}: missing must be 'error' or 'skip-prompt', got '${String(missingMode)}'`);
  const allRows = scoredRows(data, who);
  if (allRows.length === 0) throw new Error(`${who}: the data has no rows`);

  const dataGroups = unique(allRows.map((r) => r.group));
  const groups = options.groups === undefined ? dataGroups : [...options.groups];
  if (groups.length === 0) throw new Error(`${who}: groups must list at least one group`);
  checkNames(groups, dataGroups, 'group', who);
  const groupSet = new Set(groups);
  const rows = allRows.filter((r) => groupSet.has(r.group));

  const dataResponses = new Map<string, string>();
  for (const r of rows) if (!dataResponses.has(r.response_id)) dataResponses.set(r.response_id, r.response);
  const responseIds = options.responses === undefined ? [...dataResponses.keys()] : [...options.responses];
  checkNames(responseIds, [...dataResponses.keys()], 'response_id', who);
  if (responseIds.length < 2) throw new Error(`${who}: the action set needs at least 2 responses, got ${responseIds.length} (${responseIds.join(', ')})`);
  const responses = responseIds.map((id) => ({ id, text: dataResponses.get(id)! }));

  const lookup = rewardLookup(rows);

  // The (prompt_id, group) combinations, grouped by group; each is complete or reported.
  const unitsByGroup = new Map<string, ScoredPromptUnit[]>(groups.map((g) => [g, []]));
  const seen = new Set<string>();
  for (const r of rows) {
    const k = `${r.prompt_id}\u0000${r.group}`;
    if (seen.has(k)) continue;
    seen.add(k);
    unitsByGroup.get(r.group)!.push({ prompt_id: r.prompt_id, prompt: r.prompt, group: r.group });
  }
  const skipped: SkippedPrompt[] = [];
  for (const g of groups) {
    const complete: ScoredPromptUnit[] = [];
    for (const u of unitsByGroup.get(g)!) {
      const missing = responseIds.filter((id) => !lookup.has(u.prompt_id, g, id));
      if (missing.length === 0) { complete.push(u); continue; }
      if (missingMode === 'error') {
        const total = countMissing(unitsByGroup, groups, responseIds, lookup);
        throw new Error(
          `${who}: no reward for prompt_id='${u.prompt_id}', group='${g}', response_id='${missing[0]}'` +
            (total > 1 ? ` (${total} missing combinations in all)` : '') +
            `; every (prompt_id, group) of the data needs a reward for every response (${responseIds.join(', ')}). ` +
            `Add the rows, narrow 'responses' or 'groups', or pass missing: 'skip-prompt' to leave incomplete prompts out`,
        );
      }
      skipped.push({ prompt_id: u.prompt_id, group: g, missing });
    }
    if (complete.length === 0) {
      throw new Error(`${who}: group '${g}' has no prompt with a reward for every response (${responseIds.join(', ')}); it cannot be trained on`);
    }
    unitsByGroup.set(g, complete);
  }
  const dataCounts = groups.map((g) => new Set(rows.filter((r) => r.group === g).map((r) => r.prompt_id)).size);
  const shares = normalisedShares(groups, options.shares, dataCounts, who);

  const units = groups.map((g) => unitsByGroup.get(g)!);
  const prompts = units.flat();
  const features = promptFeatures(options.features ?? 'none', prompts, who);
  const featureDim = features.dim;

  const rewardTable: Record<string, number[]> = {};
  groups.forEach((g, i) => {
    const list = units[i]!;
    rewardTable[g] = responseIds.map((id) => list.reduce((s, u) => s + lookup(u.prompt_id, g, id), 0) / list.length);
  });

  const reward = trainerReward(lookup, responseIds);
  const rewardFunction: RewardFunction = { name: options.reward_name ?? 'scored', weight: 1, fn: (response, prompt) => reward(response, prompt) };
  const samplePrompts = (count: number, rng: Rng): ScoredPrompt[] => {
    const out: ScoredPrompt[] = [];
    for (let i = 0; i < count; i++) {
      const g = rng.categorical(shares);
      const list = units[g]!;
      const u = list.length === 1 ? list[0]! : list[rng.int(list.length)]!;
      out.push({ id: `${u.prompt_id}#${i}`, prompt_id: u.prompt_id, text: u.prompt, group: u.group, features: features.of(u.prompt_id) });
    }
    return out;
  };
  return {
    groups,
    featureDim,
    rewardFunctions: [rewardFunction],
    samplePrompts,
    numResponses: responseIds.length,
    responses,
    shares,
    prompts,
    skipped,
    rewardTable,
    reward: lookup,
  };
}

/**
 * A categorical MLP policy that fits a {@link ScoredTask} (one response per action: `task.numResponses`,
 * the task's groups and feature length) or {@link FramePairs} (`num_responses` responses, `group_names`,
 * the state length as features). Other options (seed, hidden sizes, ...) pass through.
 */
export function categoricalPolicyFor(
  source: Pick<ScoredTask, 'numResponses' | 'groups' | 'featureDim'> | Pick<FramePairs, 'num_responses' | 'group_names' | 'prompts'>,
  options: Omit<CategoricalMLPOptions, 'numResponses' | 'groups' | 'featureDim'> = {},
): CategoricalMLPPolicy {
  const shape =
    'num_responses' in source
      ? { numResponses: source.num_responses, groups: source.group_names, featureDim: source.prompts.length }
      : { numResponses: source.numResponses, groups: source.groups, featureDim: source.featureDim };
  return new CategoricalMLPPolicy({ ...options, ...shape });
}

/** Scored rows of a frame or row list, with the key columns as text and a clear error for a missing column or empty key. */
function scoredRows(data: FrameOrRows<ScoredRow>, who: string): ScoredRow[] {
  const rows = asRows(data);
  const required = ['prompt_id', 'prompt', 'group', 'response_id', 'response', 'reward'];
  return rows.map((r, i) => {
    for (const c of required) {
      if (!(c in r)) throw new Error(`${who}: row ${i + 1} has no '${c}' (scored data needs ${required.join(', ')}; see loadScored)`);
    }
    const out = { ...r, prompt_id: String(r.prompt_id), prompt: String(r.prompt), group: String(r.group), response_id: String(r.response_id), response: String(r.response), reward: r.reward };
    for (const c of ['prompt_id', 'group', 'response_id'] as const) {
      if (out[c].trim() === '') throw new Error(`${who}: row ${i + 1} has an empty '${c}'`);
    }
    if (typeof out.reward !== 'number' || !Number.isFinite(out.reward)) {
      throw new Error(`${who}: row ${i + 1} (prompt_id='${out.prompt_id}', group='${out.group}', response_id='${out.response_id}') has reward ${String(out.reward)}; rewards must be finite numbers`);
    }
    return out;
  });
}

function countMissing(units: Map<string, ScoredPromptUnit[]>, groups: readonly string[], ids: readonly string[], lookup: RewardLookup): number {
  let n = 0;
  for (const g of groups) for (const u of units.get(g)!) for (const id of ids) if (!lookup.has(u.prompt_id, g, id)) n++;
  return n;
}

function normalisedShares(groups: readonly string[], given: Readonly<Record<string, number>> | undefined, dataCounts: readonly number[], who: string): number[] {
  let raw: number[];
  if (given === undefined) raw = [...dataCounts];
  else {
    for (const k of Object.keys(given)) if (!groups.includes(k)) throw new Error(`${who}: shares names unknown group '${k}' (task groups: ${groups.join(', ')})`);
    raw = groups.map((g) => {
      const s = given[g];
      if (s === undefined) throw new Error(`${who}: shares has no entry for group '${g}'`);
      if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) throw new Error(`${who}: shares['${g}'] must be a finite number >= 0, got ${String(s)}`);
      return s;
    });
  }
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error(`${who}: shares must not all be zero`);
  return raw.map((s) => s / total);
}

function promptFeatures(
  spec: NonNullable<ScoredTaskOptions['features']>,
  prompts: readonly ScoredPromptUnit[],
  who: string,
): { dim: number; of: (prompt_id: string) => Float32Array } {
  const ids = unique(prompts.map((p) => p.prompt_id));
  if (spec === 'none') {
    const empty = new Float32Array(0);
    return { dim: 0, of: () => empty };
  }
  const vectors = new Map<string, Float32Array>();
  let dim: number;
  if (spec === 'prompt-one-hot') {
    dim = ids.length;
    ids.forEach((id, i) => {
      const v = new Float32Array(dim);
      v[i] = 1;
      vectors.set(id, v);
    });
  } else if (typeof spec === 'object' && spec !== null) {
    dim = -1;
    for (const id of ids) {
      const v = spec[id];
      if (v === undefined) throw new Error(`${who}: features has no vector for prompt_id '${id}'`);
      if (dim === -1) dim = v.length;
      if (v.length !== dim) throw new Error(`${who}: features['${id}'] has ${v.length} values, expected ${dim}`);
      if (Array.from(v).some((x) => !Number.isFinite(x))) throw new Error(`${who}: features['${id}'] holds a non-finite value`);
      vectors.set(id, Float32Array.from(v));
    }
  } else {
    throw new Error(`${who}: features must be 'none', 'prompt-one-hot' or a vector per prompt_id, got ${JSON.stringify(spec)}`);
  }
  return { dim, of: (id) => vectors.get(id)! };
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function checkNames(names: readonly string[], known: readonly string[], what: string, who: string): void {
  const set = new Set(known);
  const seen = new Set<string>();
  for (const n of names) {
    if (!set.has(n)) throw new Error(`${who}: ${what} '${n}' is not in the data (data: ${known.join(', ')})`);
    if (seen.has(n)) throw new Error(`${who}: ${what} '${n}' is listed twice`);
    seen.add(n);
  }
}

// ---------------------------------------------------------------------------------------------
// Pairwise data -> group-robust pairs

/** Options of {@link pairsFromFrame}. */
export interface PairsFromFrameOptions {
  /** Group order (the index of `groups[i]` is i). Default: order of first appearance. A subset leaves the other groups' pairs out. */
  groups?: readonly string[];
  /**
   * What identifies a response (an action): its text (`text`, default: the `chosen` / `rejected` columns)
   * or its id (`id`: the `chosen_id` / `rejected_id` columns that {@link scoredToPairwise} writes).
   */
  response_key?: 'text' | 'id';
  /** The actions in order (texts or ids, per `response_key`). Default: order of first appearance. */
  responses?: readonly string[];
  /**
   * The group-robust trainer counts every pair once. A `weight` other than 1 is therefore an error
   * unless this is true, which trains on every pair with weight 1 (weights ignored).
   */
  ignore_weights?: boolean;
}

/** Pairs for the group-robust trainer, with what their indices mean. */
export interface FramePairs extends PairwiseGroupData {
  /** prompt_id of each state dimension: state i is the one-hot vector of `prompts[i]`'s position. */
  prompts: string[];
  /** Action k is `responses[k]` (a text or an id, per `response_key`). */
  responses: string[];
  /** The data's prompt_id of each pair. */
  pair_prompts: string[];
}

const PAIR_OPTIONS = ['groups', 'response_key', 'responses', 'ignore_weights'];

/**
 * Turns pairwise data (the {@link loadPairwise} shape: prompt_id, prompt, group, chosen, rejected,
 * weight) into {@link PairwiseGroupData} for the group-robust trainer: action indices index the distinct
 * responses, group indices index `group_names`, and each state is the one-hot vector of the pair's
 * prompt (length = number of distinct prompts, so a policy can prefer different responses per prompt;
 * see {@link tabularLogLinearOptions}). Nothing is dropped: an unknown group or response in the options,
 * a pair with chosen = rejected, or a weight other than 1 (unless `ignore_weights`) is an error naming the row.
 */
export function pairsFromFrame(data: FrameOrRows<Record<string, unknown>>, options: PairsFromFrameOptions = {}): FramePairs {
  const who = 'pairsFromFrame';
  for (const k of Object.keys(options)) {
    if (!PAIR_OPTIONS.includes(k)) throw new Error(`${who}: unknown option '${k}' (known: ${PAIR_OPTIONS.join(', ')})`);
  }
  const keyMode = options.response_key ?? 'text';
  if (keyMode !== 'text' && keyMode !== 'id') throw new Error(`${who}: response_key must be 'text' or 'id', got '${String(keyMode)}'`);
  const [chosenCol, rejectedCol] = keyMode === 'text' ? ['chosen', 'rejected'] : ['chosen_id', 'rejected_id'];
  const all = asRows(data).map((r, i) => {
    for (const c of ['prompt_id', 'group', chosenCol, rejectedCol]) {
      if (!(c in r)) throw new Error(`${who}: row ${i + 1} has no '${c}'${keyMode === 'id' ? " (response_key 'id' needs chosen_id and rejected_id, as scoredToPairwise writes)" : ' (see loadPairwise)'}`);
    }
    const weight = r.weight === undefined ? 1 : r.weight;
    const row = { row: i + 1, prompt_id: String(r.prompt_id), group: String(r.group), chosen: String(r[chosenCol]), rejected: String(r[rejectedCol]), weight };
    if (row.chosen === row.rejected) throw new Error(`${who}: row ${row.row} has the same response as chosen and rejected ('${row.chosen}')`);
    if (weight !== 1 && !options.ignore_weights) {
      throw new Error(`${who}: row ${row.row} has weight ${String(weight)}; the group-robust trainer counts every pair once. Pass ignore_weights: true to train on the pairs unweighted`);
    }
    return row;
  });
  if (all.length === 0) throw new Error(`${who}: the data has no pairs`);
  const dataGroups = unique(all.map((r) => r.group));
  const groups = options.groups === undefined ? dataGroups : [...options.groups];
  if (groups.length === 0) throw new Error(`${who}: groups must list at least one group`);
  checkNames(groups, dataGroups, 'group', who);
  const groupIndex = new Map(groups.map((g, i) => [g, i]));
  const rows = all.filter((r) => groupIndex.has(r.group));
  const dataResponses = unique(rows.flatMap((r) => [r.chosen, r.rejected]));
  const responses = options.responses === undefined ? dataResponses : [...options.responses];
  const responseIndex = new Map(responses.map((x, i) => [x, i]));
  if (responseIndex.size !== responses.length) throw new Error(`${who}: responses lists a response twice`);
  const prompts = unique(rows.map((r) => r.prompt_id));
  const promptIndex = new Map(prompts.map((p, i) => [p, i]));
  const out: FramePairs = {
    states: [], chosen: [], rejected: [], group_index: [], group_names: groups, num_responses: responses.length,
    prompts, responses, pair_prompts: [],
  };
  for (const r of rows) {
    const c = responseIndex.get(r.chosen);
    const j = responseIndex.get(r.rejected);
    if (c === undefined || j === undefined) throw new Error(`${who}: row ${r.row}: response '${c === undefined ? r.chosen : r.rejected}' is not in the given responses`);
    const state = new Array<number>(prompts.length).fill(0);
    state[promptIndex.get(r.prompt_id)!] = 1;
    out.states.push(state);
    out.chosen.push(c);
    out.rejected.push(j);
    out.group_index.push(groupIndex.get(r.group)!);
    out.pair_prompts.push(r.prompt_id);
  }
  return out;
}

/**
 * Options for a `LogLinearPolicy` over {@link pairsFromFrame}'s pairs: tabular features
 * phi(s, a) = s ⊗ e_a (the prompt's one-hot times the action's one-hot, length prompts × actions), so
 * each prompt has its own softmax over the responses, shared by all groups (the group-robust paper's
 * setting: one policy for every group). Pass to `new LogLinearPolicy(...)`. The feature tensor holds
 * n × actions × prompts × actions numbers for n states.
 */
export function tabularLogLinearOptions(pairs: Pick<FramePairs, 'prompts' | 'num_responses'>): LogLinearPolicyOptions {
  const P = pairs.prompts.length;
  const A = pairs.num_responses;
  return {
    num_responses: A,
    feature_dim: P * A,
    state_dim: P,
    features: (states) =>
      tf.tidy(() => {
        const n = states.shape[0];
        if (states.shape[1] !== P) throw new Error(`tabular features: states have ${states.shape[1]} columns, expected one per prompt (${P})`);
        return tf.mul(states.reshape([n, 1, P, 1]), tf.eye(A).reshape([1, A, 1, A])).reshape([n, A, P * A]) as tf.Tensor3D;
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Polis conversations

/** Options of {@link polisSelection} (and of {@link polisTask}, {@link polisPairs}). */
export interface PolisSelectionOptions extends PolisOptions {
  /** Keep the statements with the most votes, at most this many (default 24). */
  max_statements?: number;
  /**
   * An opinion group with participants but no statement with at least `min_votes` of its votes:
   * `error` (default) throws naming it; `skip` leaves it out (listed in `skipped_groups`; the shares are
   * those of the remaining groups).
   */
  groups_without_votes?: 'error' | 'skip';
}

/** A Polis conversation restricted to statements with rewards for every kept group. */
export interface PolisSelection {
  conversation: string;
  /** Scored rows (the {@link loadScored} shape plus vote counts) of the kept groups and statements. */
  frame: DataFrame;
  rows: ScoredRow[];
  /** Kept groups, largest first. */
  groups: string[];
  /** Participants per kept group, and their shares among the kept groups. */
  sizes: number[];
  shares: number[];
  /** Comment ids of the kept statements, most votes first (ties by id). */
  statements: string[];
  /** Groups left out by `groups_without_votes: 'skip'`. */
  skipped_groups: string[];
}

/**
 * Selects what a Polis conversation can train on. Eligible statements are those that every kept opinion
 * group voted on at least `min_votes` times (default 5; the votes counted are those of the reward's
 * denominator); of those, the `max_statements` with the most votes (all kept groups together) are kept.
 * Each reward is then a group's agree rate measured on real votes (never NaN). Errors: a group without any
 * such statement (unless skipped), fewer than 2 eligible statements, fewer than 1 kept group.
 */
export function polisSelection(conversation: string | PolisConversation, options: PolisSelectionOptions = {}): PolisSelection {
  const { max_statements = 24, groups_without_votes = 'error', ...polisOptions } = options;
  if (!Number.isInteger(max_statements) || max_statements < 2) throw new Error(`polisSelection: max_statements must be an integer >= 2, got ${max_statements}`);
  if (groups_without_votes !== 'error' && groups_without_votes !== 'skip') {
    throw new Error(`polisSelection: groups_without_votes must be 'error' or 'skip', got '${String(groups_without_votes)}'`);
  }
  const loaderKeys = Object.keys(polisOptions);
  if (typeof conversation !== 'string' && loaderKeys.length > 0) {
    throw new Error(`polisSelection: ${loaderKeys.join(', ')} apply when loading; pass the conversation's name, or load it with these options first`);
  }
  const conv = typeof conversation === 'string' ? loadPolisConversation(conversation, { min_votes: 5, ...polisOptions }) : conversation;
  const name = conv.name;
  const minVotes = typeof conversation === 'string' ? `min_votes = ${polisOptions.min_votes ?? 5}` : 'the min_votes it was loaded with';
  const sizes = frameToRecords<{ group: string; size: number }>(conv.group_sizes)
    .map((s) => ({ group: String(s.group), size: s.size }))
    .sort((a, b) => b.size - a.size);
  const voted = new Set(conv.scored_rows.map((r) => r.group));
  const skipped = sizes.filter((s) => !voted.has(s.group)).map((s) => s.group);
  if (skipped.length > 0 && groups_without_votes === 'error') {
    const s = sizes.find((x) => x.group === skipped[0])!;
    throw new Error(
      `Polis conversation '${name}': opinion group '${s.group}' (${s.size} participants) has no statement with enough votes ` +
        `(${minVotes}), so it has no reward; pass groups_without_votes: 'skip' to leave it out`,
    );
  }
  const kept = sizes.filter((s) => voted.has(s.group));
  if (kept.length === 0) throw new Error(`Polis conversation '${name}': no opinion group has votes`);
  const groups = kept.map((s) => s.group);
  const byStatement = new Map<string, { total: number; rows: Map<string, ScoredRow> }>();
  for (const r of conv.scored_rows) {
    if (!groups.includes(r.group)) continue;
    const e = byStatement.get(r.response_id) ?? { total: 0, rows: new Map<string, ScoredRow>() };
    e.total += Number(r.votes);
    e.rows.set(r.group, r);
    byStatement.set(r.response_id, e);
  }
  const eligible = [...byStatement.entries()]
    .filter(([, e]) => groups.every((g) => e.rows.has(g)))
    .sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]))
    .slice(0, max_statements);
  if (eligible.length < 2) {
    throw new Error(`Polis conversation '${name}': only ${eligible.length} statement(s) have votes from every kept group (${groups.join(', ')}); need at least 2`);
  }
  const rows: ScoredRow[] = [];
  for (const g of groups) for (const [, e] of eligible) rows.push(e.rows.get(g)!);
  const total = kept.reduce((s, x) => s + x.size, 0);
  const num = (n: string) => ({ name: n, type: 'number' as const });
  return {
    conversation: name,
    frame: rowsToTypedFrame(rows, [...SCORED_COLUMNS, num('agree'), num('disagree'), num('pass'), num('votes')]),
    rows,
    groups,
    sizes: kept.map((s) => s.size),
    shares: kept.map((s) => s.size / total),
    statements: eligible.map(([id]) => id),
    skipped_groups: skipped,
  };
}

/**
 * A GRPO/P-GRPO task on a Polis conversation ({@link polisSelection}): the kept statements are the
 * responses (ids = comment ids, in `statements` order), the kept opinion groups the preference groups,
 * drawn with their participant shares, and the reward is the group's agree rate.
 */
export function polisTask(conversation: string | PolisConversation, options: PolisSelectionOptions = {}): ScoredTask & { selection: PolisSelection } {
  const selection = polisSelection(conversation, options);
  const task = taskFromScored(selection.rows, {
    groups: selection.groups,
    shares: Object.fromEntries(selection.groups.map((g, i) => [g, selection.shares[i]!])),
    responses: selection.statements,
  });
  return { ...task, selection };
}

/**
 * Group-robust pairs on a Polis conversation ({@link polisSelection}): within each kept group, every
 * two statements whose agree rates differ by at least `margin` (default 0.1; ties never pair) give a pair,
 * the higher-rated chosen ({@link scoredToPairwise}). Actions are the kept statements by comment id
 * (`responses` = `statements`). Every group gets all its pairs, whatever its size.
 */
export function polisPairs(
  conversation: string | PolisConversation,
  options: PolisSelectionOptions & { margin?: number } = {},
): FramePairs & { selection: PolisSelection } {
  const { margin = 0.1, ...selectionOptions } = options;
  const selection = polisSelection(conversation, selectionOptions);
  const pairwise = scoredToPairwise(selection.rows, { margin });
  const present = new Set(frameToRecords<{ group: string }>(pairwise).map((r) => String(r.group)));
  const lacking = selection.groups.find((g) => !present.has(g));
  if (lacking !== undefined) throw new Error(`Polis conversation '${selection.conversation}': group '${lacking}' has no statement pair with agree rates at least ${margin} apart`);
  return { ...pairsFromFrame(pairwise, { groups: selection.groups, response_key: 'id', responses: selection.statements }), selection };
}
