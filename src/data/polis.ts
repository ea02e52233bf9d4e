/**
 * Polis open data (compdemocracy/openData, CC BY 4.0): statements as responses, Polis opinion
 * groups as preference groups, and per-group agree rates as rewards.
 *
 * Files per conversation folder: `summary.csv` (key,value rows), `comments.csv` (one row per
 * statement: `comment-id`, `moderated`, `comment-body`, ...), `participants-votes.csv` (one row per
 * participant: `participant`, optional `xid`, `group-id` (blank = unassigned), `n-comments`,
 * `n-votes`, `n-agree`, `n-disagree`, then one column per comment id with 1 agree / -1 disagree /
 * 0 pass / blank no vote).
 *
 * Reward (default `all-votes`): agree / (agree + disagree + pass) within the group, i.e. the share
 * of the group's voters on the statement who agreed; a pass counts as "not won over". Option
 * `agree-disagree`: agree / (agree + disagree), ignoring passes (undefined when a group only passed).
 * Unassigned participants' votes count in the conversation's vote total but in no group.
 * The data is read in place and never copied into the repository.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DataFrame } from 'danfojs-node';
import { parseCsv, type CsvRecord } from './csv';
import { DataError } from './errors';
import { rowsToTypedFrame } from './frame';
import { SCORED_COLUMNS, type ScoredRow } from './schema';
import { groupSizes, scoredToPairwise } from './summaries';
import { readUtf8File } from './textFile';
import { isCompletePolisDownload, polisCacheDir } from './polisFetch';
import { POLIS_DIR_ENV, polisDirSetting } from '../runtime';

export { POLIS_DIR_ENV } from '../runtime';

/**
 * The Polis folder: the argument, else `HPA_POLIS_DIR`, else `../shared/data/polis_opendata` beside
 * the repository when it exists, else the complete download of `npm run data -- polis`
 * ({@link polisCacheDir}); when none exists, the `../shared` path (so errors name where data was looked for).
 */
export function polisDataDir(dir?: string): string {
  if (dir !== undefined) return resolve(dir);
  const fromEnv = polisDirSetting();
  if (fromEnv) return resolve(fromEnv);
  const beside = resolve(__dirname, '..', '..', '..', 'shared', 'data', 'polis_opendata');
  if (existsSync(beside)) return beside;
  const downloaded = polisCacheDir();
  return isCompletePolisDownload(downloaded) ? downloaded : beside;
}

/** Conversation folder names (those holding a `participants-votes.csv`), sorted. */
export function listPolisConversations(dir?: string): string[] {
  const base = polisDataDir(dir);
  if (!existsSync(base)) throw new Error(`Polis folder ${base} does not exist (set ${POLIS_DIR_ENV} or pass the folder)`);
  return readdirSync(base)
    .filter((d) => statSync(join(base, d)).isDirectory() && existsSync(join(base, d, 'participants-votes.csv')))
    .sort();
}

/** Options of {@link loadPolisConversation}. */
export interface PolisOptions {
  /** Polis folder (see {@link polisDataDir}). */
  dir?: string;
  /** Reward definition (see the module comment). Default `all-votes`. */
  agree_rate?: 'all-votes' | 'agree-disagree';
  /**
   * Which statements become responses, by `moderated` (-1 rejected, 0 unmoderated, 1 accepted):
   * `not-rejected` (default, moderated >= 0), `accepted` (moderated = 1) or `all`. Excluded statements are counted in the report.
   */
  moderation?: 'not-rejected' | 'accepted' | 'all';
  /** A (group, statement) needs at least this many votes (in the rate's denominator) to get a reward. Default 1. */
  min_votes?: number;
}

/** Per-conversation counts. */
export interface PolisReport {
  conversation: string;
  topic: string;
  /** Opinion groups present among participants. */
  groups: number;
  /** Rows of participants-votes.csv. */
  participants: number;
  /** Participants with a group-id. */
  participants_with_group: number;
  /** Rows of comments.csv. */
  statements: number;
  /** Statements kept by the moderation option. */
  statements_kept: number;
  /** Statements left out by the moderation option. */
  statements_excluded_by_moderation: number;
  /** Statements in comments.csv with no column in participants-votes.csv (no votes recorded). */
  statements_without_votes_column: number;
  /** Non-blank vote cells, all participants. */
  votes: number;
  /** Non-blank vote cells of participants with a group. */
  votes_in_groups: number;
  /** Kept (group, statement) combinations left out of `scored` for having fewer than `min_votes` votes. */
  group_statements_below_min_votes: number;
  /** Kept (group, statement) combinations with a reward (rows of `scored`). */
  scored_rows: number;
}

/** A loaded conversation. */
export interface PolisConversation {
  name: string;
  summary: Record<string, string>;
  /** Group ids, sorted numerically. */
  groups: string[];
  /** Participants with a group: `group`, `size`, `share`, `is_minority` (see {@link groupSizes}). */
  group_sizes: DataFrame;
  /** One row per statement: `comment_id`, `text`, `moderated`, `kept`. */
  statements: DataFrame;
  /** One row per (group, kept statement): `group`, `comment_id`, `agree`, `disagree`, `pass`, `votes`, `agree_rate` (NaN when undefined). */
  votes: DataFrame;
  /** Scored shape: prompt_id = conversation, prompt = topic, group, response_id = comment id, response = text, reward = agree rate, plus `agree`, `disagree`, `pass`, `votes`. */
  scored: DataFrame;
  scored_rows: ScoredRow[];
  report: PolisReport;
}

const FIXED_PV_COLUMNS = ['participant', 'xid', 'group-id', 'n-comments', 'n-votes', 'n-agree', 'n-disagree'];

/** Loads one conversation by folder name (or absolute folder path). */
export function loadPolisConversation(name: string, options: PolisOptions = {}): PolisConversation {
  const agreeRate = options.agree_rate ?? 'all-votes';
  if (agreeRate !== 'all-votes' && agreeRate !== 'agree-disagree') throw new Error(`agree_rate must be 'all-votes' or 'agree-disagree', got '${String(agreeRate)}'`);
  const moderation = options.moderation ?? 'not-rejected';
  if (!['not-rejected', 'accepted', 'all'].includes(moderation)) throw new Error(`moderation must be 'not-rejected', 'accepted' or 'all', got '${moderation}'`);
  const minVotes = options.min_votes ?? 1;
  if (!Number.isInteger(minVotes) || minVotes < 1) throw new Error(`min_votes must be an integer >= 1, got ${minVotes}`);
  const folder = name.includes('/') ? resolve(name) : join(polisDataDir(options.dir), name);
  const conversation = name.split('/').filter(Boolean).pop()!;
  requireConversationFolder(folder);

  const summary = readSummary(join(folder, 'summary.csv'));
  const comments = readComments(join(folder, 'comments.csv'));
  const pv = readParticipantVotes(join(folder, 'participants-votes.csv'), new Set(comments.map((c) => c.id)));

  const keep = (m: number) => moderation === 'all' || (moderation === 'accepted' ? m === 1 : m >= 0);
  const kept = comments.filter((c) => keep(c.moderated));
  const groups = [...new Set(pv.participants.map((p) => p.group).filter((g) => g !== ''))].sort(byNumber);
  // counts[group][comment] = [agree, disagree, pass]
  const counts = new Map<string, Map<string, [number, number, number]>>();
  for (const g of groups) counts.set(g, new Map(kept.map((c) => [c.id, [0, 0, 0] as [number, number, number]])));
  for (const p of pv.participants) {
    if (p.group === '') continue;
    const table = counts.get(p.group)!;
    for (const [id, v] of p.votes) {
      const cell = table.get(id);
      if (cell) cell[v === 1 ? 0 : v === -1 ? 1 : 2]++;
    }
  }
  const voteRows: Record<string, string | number>[] = [];
  const scored: ScoredRow[] = [];
  let belowMin = 0;
  const topic = summary.topic ?? conversation;
  for (const g of groups) {
    for (const c of kept) {
      const [agree, disagree, pass] = counts.get(g)!.get(c.id)!;
      const denominator = agreeRate === 'all-votes' ? agree + disagree + pass : agree + disagree;
      const rate = denominator > 0 ? agree / denominator : NaN;
      voteRows.push({ group: g, comment_id: c.id, agree, disagree, pass, votes: agree + disagree + pass, agree_rate: rate });
      if (denominator < minVotes) { belowMin++; continue; }
      scored.push({ prompt_id: conversation, prompt: topic, group: g, response_id: c.id, response: c.text, reward: rate, agree, disagree, pass, votes: agree + disagree + pass });
    }
  }
  const withGroup = pv.participants.filter((p) => p.group !== '');
  const report: PolisReport = {
    conversation,
    topic,
    groups: groups.length,
    participants: pv.participants.length,
    participants_with_group: withGroup.length,
    statements: comments.length,
    statements_kept: kept.length,
    statements_excluded_by_moderation: comments.length - kept.length,
    statements_without_votes_column: comments.filter((c) => !pv.voteColumns.includes(c.id)).length,
    votes: pv.participants.reduce((s, p) => s + p.votes.length, 0),
    votes_in_groups: withGroup.reduce((s, p) => s + p.votes.length, 0),
    group_statements_below_min_votes: belowMin,
    scored_rows: scored.length,
  };
  const num = (name: string) => ({ name, type: 'number' as const });
  return {
    name: conversation,
    summary,
    groups,
    group_sizes: groupSizes(withGroup.map((p) => ({ group: p.group }))),
    statements: rowsToTypedFrame(
      comments.map((c) => ({ comment_id: c.id, text: c.text, moderated: c.moderated, kept: keep(c.moderated) })),
      [{ name: 'comment_id', type: 'string' }, { name: 'text', type: 'string' }, num('moderated'), { name: 'kept', type: 'boolean' }],
    ),
    votes: rowsToTypedFrame(voteRows, [{ name: 'group', type: 'string' }, { name: 'comment_id', type: 'string' }, num('agree'), num('disagree'), num('pass'), num('votes'), num('agree_rate')]),
    scored: rowsToTypedFrame(scored, [...SCORED_COLUMNS, num('agree'), num('disagree'), num('pass'), num('votes')]),
    scored_rows: scored,
    report,
  };
}

/**
 * Pairwise shape of a conversation: within each group, statement A is chosen over B when the group's
 * agree rate on A exceeds B's by at least `margin` (ties never pair). Vote counts travel along as
 * `chosen_agree`, `rejected_agree`, `chosen_votes`, ... Statements need `min_votes` (set when loading).
 * Size: up to S(S-1)/2 pairs per group for S statements (about 400,000 per group for the largest
 * conversations), so raise `margin` or `min_votes` for those.
 */
export function polisPairwise(conversation: PolisConversation, margin = 0): DataFrame {
  return scoredToPairwise(conversation.scored_rows, { margin, carry: ['agree', 'disagree', 'pass', 'votes'] });
}

/** One report row per conversation in the folder, as a DataFrame (columns of {@link PolisReport}). */
export function polisReport(options: PolisOptions = {}): DataFrame {
  const reports = listPolisConversations(options.dir).map((c) => loadPolisConversation(c, options).report);
  const first = reports[0];
  if (!first) throw new Error(`no Polis conversations in ${polisDataDir(options.dir)}`);
  return rowsToTypedFrame(reports as unknown as Record<string, string | number>[], Object.keys(first).map((name) => ({ name, type: typeof first[name as keyof PolisReport] === 'number' ? 'number' : 'string' })));
}

function byNumber(a: string, b: string): number {
  return Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** An Error when a conversation folder is missing (or is a file), listing the conversations beside it. */
function requireConversationFolder(folder: string): void {
  if (existsSync(folder) && statSync(folder).isDirectory()) return;
  const parent = resolve(folder, '..');
  const what = existsSync(folder) ? `Polis conversation ${folder} is a file, not a conversation folder` : `Polis conversation folder ${folder} does not exist`;
  let beside: string;
  if (!existsSync(parent)) {
    beside = `the folder ${parent} does not exist either (download the data with \`npm run data -- polis\`, set ${POLIS_DIR_ENV} or pass dir)`;
  } else {
    const available = listPolisConversations(parent);
    beside = available.length > 0
      ? `conversations in ${parent}: ${available.join(', ')}`
      : `${parent} holds no conversation folders (folders with a participants-votes.csv)`;
  }
  throw new Error(`${what}; ${beside}`);
}

/** A conversation's CSV file: strict UTF-8 (invalid bytes name the line), LF/CRLF/CR line ends. */
function readCsvFile(file: string): CsvRecord[] {
  return parseCsv(readUtf8File(file, 'the conversation folder lacks this file'), `file ${file}`);
}

function header(records: CsvRecord[], file: string, required: readonly string[]): Map<string, number> {
  if (records.length === 0) throw new DataError({ file }, 'empty file', 'no header line');
  const index = new Map(records[0]!.fields.map((c, i) => [c, i]));
  for (const c of required) if (!index.has(c)) throw new DataError({ file, line: 1, column: c }, 'missing column', `the header lacks '${c}'`);
  return index;
}

function dataRows(records: CsvRecord[], file: string): CsvRecord[] {
  const width = records[0]!.fields.length;
  records.slice(1).forEach((r, k) => {
    if (r.fields.length !== width) throw new DataError({ file, row: k + 1, line: r.line }, 'malformed row', `expected ${width} fields (as in the header), got ${r.fields.length}`);
  });
  return records.slice(1);
}

function readSummary(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  // summary.csv has no header: its data rows count from the first line.
  readCsvFile(file).forEach((r, k) => {
    if (r.fields.length !== 2) throw new DataError({ file, row: k + 1, line: r.line }, 'malformed row', `summary rows are key,value; got ${r.fields.length} fields`);
    out[r.fields[0]!] = r.fields[1]!;
  });
  return out;
}

interface Comment { id: string; text: string; moderated: number }

function readComments(file: string): Comment[] {
  const records = readCsvFile(file);
  const col = header(records, file, ['comment-id', 'moderated', 'comment-body']);
  const seen = new Set<string>();
  return dataRows(records, file).map((r, k) => {
    const at = (column: string) => ({ file, row: k + 1, line: r.line, column });
    const id = r.fields[col.get('comment-id')!]!;
    if (!/^\d+$/.test(id)) throw new DataError(at('comment-id'), 'wrong type', `expected a non-negative integer id, got '${id}'`);
    if (seen.has(id)) throw new DataError(at('comment-id'), 'duplicate key', `comment id ${id} appears twice`);
    seen.add(id);
    const m = r.fields[col.get('moderated')!]!;
    if (m !== '-1' && m !== '0' && m !== '1') throw new DataError(at('moderated'), 'wrong type', `expected -1, 0 or 1, got '${m}'`);
    return { id, text: r.fields[col.get('comment-body')!]!, moderated: Number(m) };
  });
}

interface Participant { id: string; group: string; votes: [string, number][] }

function readParticipantVotes(file: string, commentIds: Set<string>): { participants: Participant[]; voteColumns: string[] } {
  const records = readCsvFile(file);
  const col = header(records, file, ['participant', 'group-id']);
  const names = records[0]!.fields;
  const voteColumns = names.filter((c) => !FIXED_PV_COLUMNS.includes(c));
  for (const c of voteColumns) {
    if (!commentIds.has(c)) throw new DataError({ file, line: 1, column: c }, 'unknown comment', `vote column '${c}' is not a comment-id in comments.csv`);
  }
  const voteIndex = voteColumns.map((c) => [c, names.indexOf(c)] as const);
  const checks = (['n-votes', 'n-agree', 'n-disagree'] as const).filter((c) => col.has(c));
  return {
    voteColumns,
    participants: dataRows(records, file).map((r, k) => {
      const at = (column: string) => ({ file, row: k + 1, line: r.line, column });
      const group = r.fields[col.get('group-id')!]!;
      if (group !== '' && !/^\d+$/.test(group)) throw new DataError(at('group-id'), 'wrong type', `expected a group number or blank, got '${group}'`);
      const votes: [string, number][] = [];
      for (const [c, i] of voteIndex) {
        const cell = r.fields[i]!;
        if (cell === '') continue;
        if (cell !== '1' && cell !== '-1' && cell !== '0') throw new DataError(at(c), 'wrong type', `a vote must be 1, -1, 0 or blank, got '${cell}'`);
        votes.push([c, Number(cell)]);
      }
      // The per-row totals must agree with the cells; a mismatch means a truncated or shifted row.
      const expected = { 'n-votes': votes.length, 'n-agree': votes.filter((v) => v[1] === 1).length, 'n-disagree': votes.filter((v) => v[1] === -1).length };
      for (const c of checks) {
        const stated = r.fields[col.get(c)!]!;
        if (Number(stated) !== expected[c]) throw new DataError(at(c), 'inconsistent count', `says ${stated} but the vote cells give ${expected[c]}`);
      }
      return { id: r.fields[col.get('participant')!]!, group, votes };
    }),
  };
}
