/**
 * A Polis conversation as a preference table for the recovery protocol: statements are the
 * responses, opinion groups the preference groups (shares = their sizes), and a group's reward for a
 * statement is its agree rate. The selection of groups and statements is {@link polisSelection}'s.
 */
import { polisSelection, type PolisSelectionOptions } from '../data';
import type { PreferenceTable } from './banditRecovery';

/** Options of {@link polisPreferenceTable}: those of {@link polisSelection}. */
export type PolisTableOptions = PolisSelectionOptions;

/** A preference table built from Polis votes, with the statements it kept. */
export interface PolisPreferenceTable extends PreferenceTable {
  conversation: string;
  /** Comment ids of the responses, in table order. */
  statements: string[];
  /** Participants with a group, per group (table order). */
  sizes: number[];
  /** Opinion groups left out by `groups_without_votes: 'skip'` (empty otherwise). */
  skipped_groups: string[];
}

/**
 * Builds the table from {@link polisSelection}: only statements that every kept opinion group voted on
 * at least `min_votes` times (default 5) are eligible, so every reward is an agree rate measured on real
 * votes; of those, the `max_statements` (default 24) with the most votes are kept. Groups are ordered
 * largest first. A group without such votes is an error, or left out with `groups_without_votes: 'skip'`.
 * For training, {@link polisTask} gives the same table as a task and {@link polisPairs} as pairs.
 */
export function polisPreferenceTable(conversation: string, options: PolisTableOptions = {}): PolisPreferenceTable {
  const s = polisSelection(conversation, options);
  const rewardTable: Record<string, number[]> = {};
  for (const g of s.groups) rewardTable[g] = [];
  for (const r of s.rows) rewardTable[r.group]!.push(r.reward);
  return {
    conversation: s.conversation,
    groups: s.groups,
    shares: s.shares,
    sizes: s.sizes,
    rewardTable,
    statements: s.statements,
    skipped_groups: s.skipped_groups,
  };
}
