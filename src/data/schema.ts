/**
 * Column schemas of the two preference-data shapes the kit reads and writes.
 *
 * - **scored**: one row per (prompt, preference group, response) with a scalar reward.
 * - **pairwise**: one row per (prompt, preference group, chosen, rejected) preference, TRL-style.
 *
 * Column names follow TRL's dataset vocabulary (`prompt`, `chosen`, `rejected`) plus `group`,
 * the preference group (user type) whose judgement the row records.
 */

/** Value type of a column: text, or a finite JavaScript number. */
export type ColumnType = 'string' | 'number';

/** One column of a schema. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** Required columns must be present in the file; optional ones get `default` when absent. */
  required: boolean;
  /** Ids and group names may not be empty strings. */
  nonEmpty?: boolean;
  /**
   * An id or group name: two values in this column that differ only by leading/trailing whitespace
   * (`'a'` and `'a '`) are an error, since they would otherwise become two different groups or ids.
   */
  identifier?: boolean;
  /** Value used for an optional column the file lacks. */
  default?: string | number;
  description: string;
}

/**
 * Scored shape. Key: (prompt_id, group, response_id) is unique.
 * `reward` must be a finite number; `prompt_id`, `group` and `response_id` may not be empty, and
 * two values of one of them that differ only by surrounding whitespace are an error.
 */
export const SCORED_COLUMNS: readonly ColumnSpec[] = [
  { name: 'prompt_id', type: 'string', required: true, nonEmpty: true, identifier: true, description: 'prompt (or user/prompt instance) identifier' },
  { name: 'prompt', type: 'string', required: true, description: 'prompt text' },
  { name: 'group', type: 'string', required: true, nonEmpty: true, identifier: true, description: 'preference group whose reward this is' },
  { name: 'response_id', type: 'string', required: true, nonEmpty: true, identifier: true, description: 'response identifier, unique within a prompt' },
  { name: 'response', type: 'string', required: true, description: 'response text' },
  { name: 'reward', type: 'number', required: true, description: 'reward the group gives the response (finite)' },
];

/** Key columns of the scored shape. */
export const SCORED_KEY: readonly string[] = ['prompt_id', 'group', 'response_id'];

/**
 * Pairwise shape. Key: (prompt_id, group, chosen, rejected) is unique; `chosen` must differ from
 * `rejected`. `weight` is optional (default 1) and must be finite and >= 0. Two `prompt_id` or
 * `group` values that differ only by surrounding whitespace are an error.
 */
export const PAIRWISE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'prompt_id', type: 'string', required: true, nonEmpty: true, identifier: true, description: 'prompt identifier' },
  { name: 'prompt', type: 'string', required: true, description: 'prompt text' },
  { name: 'group', type: 'string', required: true, nonEmpty: true, identifier: true, description: 'preference group that prefers chosen over rejected' },
  { name: 'chosen', type: 'string', required: true, nonEmpty: true, description: 'preferred response text' },
  { name: 'rejected', type: 'string', required: true, nonEmpty: true, description: 'dispreferred response text' },
  { name: 'weight', type: 'number', required: false, default: 1, description: 'weight of the pair (finite, >= 0; default 1)' },
];

/** Key columns of the pairwise shape. */
export const PAIRWISE_KEY: readonly string[] = ['prompt_id', 'group', 'chosen', 'rejected'];

/** A scored row as a plain object. */
export interface ScoredRow {
  prompt_id: string;
  prompt: string;
  group: string;
  response_id: string;
  response: string;
  reward: number;
  [extra: string]: string | number;
}

/** A pairwise row as a plain object. */
export interface PairwiseRow {
  prompt_id: string;
  prompt: string;
  group: string;
  chosen: string;
  rejected: string;
  weight: number;
  [extra: string]: string | number;
}
