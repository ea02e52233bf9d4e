/**
 * A Polis conversation as a preference table for the recovery protocol: statements are the
 * responses, opinion groups the preference groups (shares = their sizes), and a group's reward for a
 * statement is its agree rate.
 */
import { frameToRecords } from '../frames';
import { loadPolisConversation, type PolisOptions } from '../data';
import type { PreferenceTable } from './banditRecovery';

/** Options of {@link polisPreferenceTable}. */
export interface PolisTableOptions extends PolisOptions {
  /** Keep the statements with the most votes, at most this many (default 24). */
  max_statements?: number;
}

/** A preference table built from Polis votes, with the statements it kept. */
export interface PolisPreferenceTable extends PreferenceTable {
  conversation: string;
  /** Comment ids of the responses, in table order. */
  statements: string[];
  /** Participants with a group, per group (table order). */
  sizes: number[];
}

/**
 * Builds the table: only statements that every opinion group voted on at least `min_votes` times
 * (default 5) are eligible, so every reward is an agree rate measured on real votes; of those, the
 * `max_statements` with the most votes are kept. Groups are ordered largest first.
 */
export function polisPreferenceTable(conversation: string, options: PolisTableOptions = {}): PolisPreferenceTable {
  const { max_statements = 24, ...polisOptions } = options;
  const conv = loadPolisConversation(conversation, { min_votes: 5, ...polisOptions });
  const sizes = frameToRecords<{ group: string; size: number }>(conv.group_sizes).sort((a, b) => b.size - a.size);
  const groups = sizes.map((s) => String(s.group));
  const votes = frameToRecords<{ group: string; comment_id: string; votes: number; agree_rate: number }>(conv.votes);
  const byStatement = new Map<string, { total: number; rate: Map<string, number> }>();
  for (const v of votes) {
    if (!Number.isFinite(v.agree_rate)) continue; // no votes from this group: not eligible below
    const entry = byStatement.get(String(v.comment_id)) ?? { total: 0, rate: new Map<string, number>() };
    entry.total += v.votes;
    entry.rate.set(String(v.group), v.agree_rate);
    byStatement.set(String(v.comment_id), entry);
  }
  const eligible = [...byStatement.entries()]
    .filter(([, e]) => groups.every((g) => e.rate.has(g)))
    .sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]))
    .slice(0, max_statements);
  if (eligible.length < 2) {
    throw new Error(`Polis conversation '${conversation}': only ${eligible.length} statement(s) have votes from every group; need at least 2`);
  }
  const total = sizes.reduce((s, x) => s + x.size, 0);
  const rewardTable: Record<string, number[]> = {};
  for (const g of groups) rewardTable[g] = eligible.map(([, e]) => e.rate.get(g)!);
  return {
    conversation,
    groups,
    shares: sizes.map((s) => s.size / total),
    sizes: sizes.map((s) => s.size),
    rewardTable,
    statements: eligible.map(([id]) => id),
  };
}
