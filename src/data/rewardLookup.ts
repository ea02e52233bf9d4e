/**
 * Reward lookup over scored data, and its adapter to the trainer's reward-function signature.
 */
import { asRows, type FrameOrRows } from './summaries';

/** Reward of a response for a prompt and a group; throws on a combination the data does not hold. */
export interface RewardLookup {
  (prompt_id: string, group: string, response_id: string): number;
  /** Whether the data holds a reward for the combination (never throws). */
  has(prompt_id: string, group: string, response_id: string): boolean;
}

/** The prompt the trainer passes to a reward function (the trainer's `Prompt` fits it). */
export interface RewardPrompt {
  id: string | number;
  /** The data's prompt id, when it differs from `id` (a task's prompt id may carry a draw suffix); looked up instead of `id`. */
  prompt_id?: string;
  group: string;
  features?: ArrayLike<number>;
}

/**
 * A response as the trainer passes it: the response index k, or the categorical policy's token list `[k]`.
 */
export type ResponseIndex = number | readonly number[];

/** The trainer's reward function: a response (index into the action set) and the prompt it answered. */
export type TrainerRewardFn = (response: ResponseIndex, prompt: RewardPrompt) => number;

/** The index k of a response given as k or `[k]`, checked against 0..count-1. */
export function responseIndex(response: ResponseIndex, count: number, who: string): number {
  let k: number;
  if (typeof response === 'number') k = response;
  else if (response.length === 1) k = response[0]!;
  else throw new Error(`${who}: expected a response index k or a one-token response [k], got ${response.length} tokens`);
  if (!Number.isInteger(k) || k < 0 || k >= count) throw new Error(`${who}: response index ${k} is outside 0..${count - 1}`);
  return k;
}

/**
 * Builds a lookup (prompt_id, group, response_id) -> reward from scored data. Duplicate keys are an
 * Error; so is a lookup of an unseen combination, whose message names all three values.
 */
export function rewardLookup(data: FrameOrRows<{ prompt_id: string; group: string; response_id: string; reward: number }>): RewardLookup {
  const table = new Map<string, number>();
  for (const r of asRows(data)) {
    const k = key(String(r.prompt_id), String(r.group), String(r.response_id));
    if (table.has(k)) throw new Error(`rewardLookup: duplicate key prompt_id='${r.prompt_id}', group='${r.group}', response_id='${r.response_id}'`);
    if (!Number.isFinite(r.reward)) throw new Error(`rewardLookup: reward for prompt_id='${r.prompt_id}', group='${r.group}', response_id='${r.response_id}' is not finite (${r.reward})`);
    table.set(k, r.reward);
  }
  const lookup = (prompt_id: string, group: string, response_id: string): number => {
    const v = table.get(key(prompt_id, group, response_id));
    if (v === undefined) throw new Error(`rewardLookup: no reward for prompt_id='${prompt_id}', group='${group}', response_id='${response_id}'`);
    return v;
  };
  return Object.assign(lookup, { has: (prompt_id: string, group: string, response_id: string) => table.has(key(prompt_id, group, response_id)) });
}

/**
 * Adapts a lookup to the trainer's `(response, prompt) => reward` signature: response index i (or `[i]`)
 * is `responseIds[i]`, and the prompt_id is `prompt.prompt_id` when the prompt carries one, else
 * `prompt.id` (numbers are turned into their decimal text). {@link taskFromScored} builds its reward on this.
 */
export function trainerReward(lookup: RewardLookup, responseIds: readonly string[]): TrainerRewardFn {
  if (responseIds.length === 0) throw new Error('trainerReward: responseIds must not be empty');
  return (response, prompt) =>
    lookup(prompt.prompt_id ?? String(prompt.id), prompt.group, responseIds[responseIndex(response, responseIds.length, 'trainerReward')]!);
}

function key(p: string, g: string, r: string): string {
  return `${p}\u0000${g}\u0000${r}`;
}

/**
 * Trainer reward function straight from a reward table (a bandit or persona spec): the reward of
 * response index i for a prompt of group g is `rewardTable[g][i]`, whatever the prompt id.
 * An unknown group or an index outside the table is an Error naming it.
 */
export function rewardTableFn(spec: { rewardTable: Record<string, readonly number[]>; responses: readonly string[] }): TrainerRewardFn {
  const K = spec.responses.length;
  for (const [group, row] of Object.entries(spec.rewardTable)) {
    if (row.length !== K) throw new Error(`rewardTableFn: rewardTable['${group}'] has ${row.length} entries, expected one per response (${K})`);
    if (row.some((x) => !Number.isFinite(x))) throw new Error(`rewardTableFn: rewardTable['${group}'] holds a non-finite reward`);
  }
  return (response, prompt) => {
    const row = spec.rewardTable[prompt.group];
    if (!row) throw new Error(`rewardTableFn: unknown group '${prompt.group}' (known: ${Object.keys(spec.rewardTable).join(', ')})`);
    return row[responseIndex(response, K, 'rewardTableFn')]!;
  };
}
