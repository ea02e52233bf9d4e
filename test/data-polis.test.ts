import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameToRecords } from '../src/frames';
import { listPolisConversations, loadPolisConversation, polisDataDir, polisPairwise, polisReport, POLIS_DIR_ENV } from '../src/data';

const COMMENTS = [
  'timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body',
  '1,d,0,0,3,1,1,"Raise the wage, now"',
  '2,d,1,1,1,2,0,"Keep it',
  'as is"',
  '3,d,2,2,2,0,1,Small business relief',
  '4,d,3,3,0,1,-1,Rejected text',
  '5,d,4,4,0,0,1,Never voted on',
];
const VOTES = [
  'participant,xid,group-id,n-comments,n-votes,n-agree,n-disagree,0,1,2,3',
  '0,,0,1,3,2,1,1,-1,1,',
  '1,,0,1,2,1,0,1,0,,',
  '2,x2,1,1,3,1,2,-1,1,,-1',
  '3,,,0,2,2,0,1,,1,',
  '4,,1,0,1,0,0,,,0,',
];
const SUMMARY = ['topic,Minimum wage', 'url,https://example.org', 'groups,2', 'conversation-description,"Line one,', 'line two"'];

/** Writes a conversation folder in the Polis open-data format; `edit` may alter a file's lines first. */
function writeConversation(base: string, name: string, edit: Partial<Record<'comments' | 'votes' | 'summary', string[]>> = {}): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'comments.csv'), (edit.comments ?? COMMENTS).join('\n') + '\n');
  writeFileSync(join(dir, 'participants-votes.csv'), (edit.votes ?? VOTES).join('\n') + '\n');
  writeFileSync(join(dir, 'summary.csv'), (edit.summary ?? SUMMARY).join('\n') + '\n');
  return dir;
}

const base = mkdtempSync(join(tmpdir(), 'hpa-polis-'));
writeConversation(base, 'tiny');

test('polis fixture: report counts, per-group votes and agree rates (all-votes)', () => {
  const c = loadPolisConversation('tiny', { dir: base });
  assert.deepEqual(c.report, {
    conversation: 'tiny', topic: 'Minimum wage', groups: 2, participants: 5, participants_with_group: 4, statements: 5,
    statements_kept: 4, statements_excluded_by_moderation: 1, statements_without_votes_column: 1, votes: 11, votes_in_groups: 9,
    group_statements_below_min_votes: 2, scored_rows: 6,
  });
  assert.equal(c.summary['conversation-description'], 'Line one,\nline two');
  assert.deepEqual(c.groups, ['0', '1']);
  assert.deepEqual(frameToRecords(c.group_sizes).map((g) => [g.group, g.size]), [['0', 2], ['1', 2]]);
  const scored = frameToRecords(c.scored);
  assert.deepEqual(scored.map((r) => [r.group, r.response_id, r.reward, r.agree, r.disagree, r.pass]), [
    ['0', '0', 1, 2, 0, 0], ['0', '1', 0, 0, 1, 1], ['0', '2', 1, 1, 0, 0],
    ['1', '0', 0, 0, 1, 0], ['1', '1', 1, 1, 0, 0], ['1', '2', 0, 0, 0, 1],
  ]);
  assert.equal(scored[1]!.response, 'Keep it\nas is');
  assert.equal(scored[0]!.prompt_id, 'tiny');
  const votes = frameToRecords(c.votes);
  assert.equal(votes.length, 8, 'all (group, kept statement) cells, including unvoted');
  assert.ok(Number.isNaN(votes.find((v) => v.group === '0' && v.comment_id === '4')!.agree_rate as number));
  assert.deepEqual(frameToRecords(c.statements).map((s) => s.kept), [true, true, true, false, true]);
});

test('polis fixture: agree-disagree rate, moderation options, min_votes, pairwise with counts', () => {
  const ad = loadPolisConversation('tiny', { dir: base, agree_rate: 'agree-disagree' });
  // Group 1 only passed on statement 2: agree + disagree = 0, so it gets no reward.
  assert.equal(ad.report.scored_rows, 5);
  assert.equal(ad.report.group_statements_below_min_votes, 3);
  const all = loadPolisConversation('tiny', { dir: base, moderation: 'all' });
  assert.equal(all.report.statements_kept, 5);
  assert.deepEqual(frameToRecords(all.scored).filter((r) => r.response_id === '3').map((r) => [r.group, r.reward]), [['1', 0]]);
  assert.equal(loadPolisConversation('tiny', { dir: base, moderation: 'accepted' }).report.statements_kept, 3);
  assert.equal(loadPolisConversation('tiny', { dir: base, min_votes: 2 }).report.scored_rows, 2);
  const pairs = frameToRecords(polisPairwise(loadPolisConversation('tiny', { dir: base })));
  assert.deepEqual(pairs.map((p) => `${p.group}:${p.chosen_id}>${p.rejected_id}`), ['0:0>1', '0:2>1', '1:1>0', '1:1>2']);
  assert.deepEqual([pairs[0]!.chosen_agree, pairs[0]!.chosen_votes, pairs[0]!.rejected_disagree, pairs[0]!.rejected_pass], [2, 2, 1, 1]);
  assert.equal(pairs[0]!.chosen, 'Raise the wage, now');
  assert.throws(() => loadPolisConversation('tiny', { dir: base, min_votes: 0 }), /min_votes must be an integer >= 1, got 0/);
  assert.throws(() => loadPolisConversation('tiny', { dir: base, moderation: 'some' as never }), /moderation must be/);
});

test('polis fixture: bad input names file, data row and column', () => {
  const bad = (name: string, edit: Parameters<typeof writeConversation>[2]) => {
    writeConversation(base, name, edit);
    return () => loadPolisConversation(name, { dir: base });
  };
  const pv = (name: string) => join(base, name, 'participants-votes.csv').replace(/[.]/g, '\\.');
  assert.throws(bad('cell', { votes: VOTES.map((l, i) => (i === 2 ? '1,,0,1,2,1,0,1,2,,' : l)) }), new RegExp(`file ${pv('cell')}, data row 2 \\(1-based, header excluded; line 3\\), column '1': wrong type: a vote must be 1, -1, 0 or blank, got '2'`));
  assert.throws(bad('count', { votes: VOTES.map((l, i) => (i === 1 ? '0,,0,1,4,2,1,1,-1,1,' : l)) }), new RegExp(`file ${pv('count')}, data row 1 .*column 'n-votes': inconsistent count: says 4 but the vote cells give 3`));
  assert.throws(bad('width', { votes: VOTES.map((l, i) => (i === 5 ? '4,,1,0,1,0,0,,,0' : l)) }), /participants-votes\.csv, data row 5 .*malformed row: expected 11 fields/);
  assert.throws(bad('unknown', { votes: [VOTES[0]!.replace(',3', ',9'), ...VOTES.slice(1)] }), /participants-votes\.csv, line 1, column '9': unknown comment/);
  assert.throws(bad('group', { votes: VOTES.map((l, i) => (i === 3 ? '2,x2,b,1,3,1,2,-1,1,,-1' : l)) }), /participants-votes\.csv, data row 3 .*column 'group-id': wrong type/);
  assert.throws(bad('mod', { comments: COMMENTS.map((l, i) => (i === 5 ? '4,d,3,3,0,1,maybe,Rejected text' : l)) }), /comments\.csv, data row 4 \(1-based, header excluded; line 6\), column 'moderated': wrong type: expected -1, 0 or 1, got 'maybe'/);
  assert.throws(bad('dup', { comments: COMMENTS.map((l, i) => (i === 4 ? '3,d,0,2,2,0,1,Again' : l)) }), /comments\.csv, data row 3 .*column 'comment-id': duplicate key/);
  assert.throws(bad('nogroup', { votes: VOTES.map((l) => l.split(',').filter((_, j) => j !== 2).join(',')) }), /participants-votes\.csv, line 1, column 'group-id': missing column/);
  mkdirSync(join(base, 'empty'), { recursive: true });
  assert.throws(() => loadPolisConversation('empty', { dir: base }), /summary\.csv: missing file/);
});

test('polis folder: argument, then HPA_POLIS_DIR, then ../shared/data/polis_opendata', () => {
  assert.equal(polisDataDir(base), base);
  const saved = process.env[POLIS_DIR_ENV];
  try {
    process.env[POLIS_DIR_ENV] = base;
    assert.equal(polisDataDir(), base);
    assert.ok(listPolisConversations().includes('tiny'));
    delete process.env[POLIS_DIR_ENV];
    assert.equal(polisDataDir(), join(__dirname, '..', '..', 'shared', 'data', 'polis_opendata'));
  } finally {
    if (saved === undefined) delete process.env[POLIS_DIR_ENV];
    else process.env[POLIS_DIR_ENV] = saved;
  }
  assert.throws(() => listPolisConversations(join(base, 'absent')), /does not exist \(set HPA_POLIS_DIR/);
});

/** Counts from a plain line-by-line read: these vote files hold only numbers, so no field is quoted. */
function plainCounts(dir: string) {
  const lines = readFileSync(join(dir, 'participants-votes.csv'), 'utf8').split('\n').filter((l) => l !== '');
  const head = lines[0]!.split(',');
  const g = head.indexOf('group-id');
  const first = head.indexOf('n-disagree') + 1;
  const sizes: Record<string, number> = {};
  let cells = 0;
  const agreeByGroup: Record<string, Record<string, number>> = {};
  for (const l of lines.slice(1)) {
    const f = l.split(',');
    if (f[g] !== '') sizes[f[g]!] = (sizes[f[g]!] ?? 0) + 1;
    for (let j = first; j < f.length; j++) {
      if (f[j] === '') continue;
      cells++;
      if (f[g] !== '' && f[j] === '1') {
        agreeByGroup[f[g]!] ??= {};
        agreeByGroup[f[g]!]![head[j]!] = (agreeByGroup[f[g]!]![head[j]!] ?? 0) + 1;
      }
    }
  }
  return { participants: lines.length - 1, sizes, cells, columns: head.length - first, agreeByGroup };
}

const real = polisDataDir();
test('polis real data: counts agree with SOURCE.md and with a plain line-by-line read', { skip: existsSync(real) ? false : `Polis folder ${real} not present` }, () => {
  const expected: Record<string, { participants: number; withGroup: number; sizes: Record<string, number>; comments: number; cells: number }> = {
    '15-per-hour-seattle': { participants: 339, withGroup: 138, sizes: { 0: 99, 1: 39 }, comments: 54, cells: 2872 },
    'london.youth.policing': { participants: 26, withGroup: 24, sizes: { 0: 3, 1: 18, 2: 3 }, comments: 39, cells: 638 },
  };
  for (const [name, e] of Object.entries(expected)) {
    const plain = plainCounts(join(real, name));
    assert.equal(plain.participants, e.participants);
    assert.deepEqual(plain.sizes, e.sizes);
    assert.equal(plain.cells, e.cells);
    const c = loadPolisConversation(name, { moderation: 'all' });
    assert.equal(c.report.participants, e.participants);
    assert.equal(c.report.participants_with_group, e.withGroup);
    assert.equal(c.report.statements, e.comments);
    assert.equal(c.report.votes, e.cells);
    assert.equal(c.report.groups, Object.keys(e.sizes).length);
    assert.deepEqual(Object.fromEntries(frameToRecords(c.group_sizes).map((g) => [g.group, g.size])), e.sizes);
    assert.equal(c.report.statements_without_votes_column, e.comments - plain.columns);
    // Every per-group agree count matches the plain read.
    for (const v of frameToRecords<{ group: string; comment_id: string; agree: number }>(c.votes)) {
      assert.equal(v.agree, plain.agreeByGroup[v.group]?.[v.comment_id] ?? 0, `${name} group ${v.group} comment ${v.comment_id}`);
    }
  }
  const seattle = loadPolisConversation('15-per-hour-seattle');
  assert.equal(seattle.report.statements_kept + seattle.report.statements_excluded_by_moderation, 54);
  assert.equal(loadPolisConversation('15-per-hour-seattle', { moderation: 'accepted' }).report.statements_kept, 30, 'SOURCE.md: moderated=1 on 30 comments');
  const report = frameToRecords(polisReport());
  assert.equal(report.length, 17);
  assert.equal(report.reduce((s, r) => s + (r.participants as number), 0), 12963);
  assert.equal(report.reduce((s, r) => s + (r.participants_with_group as number), 0), 10407);
  assert.equal(report.reduce((s, r) => s + (r.votes as number), 0), 702475);
  assert.equal(report.reduce((s, r) => s + (r.statements as number), 0), 5330);
});
