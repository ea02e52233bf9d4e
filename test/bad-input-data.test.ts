/**
 * Bad input to the data loaders (issue 13): one case per fault, each checking that the message names
 * the file (or folder), the line or data row, the column where one applies, and the cause. Inputs
 * the loaders now accept (lone-CR line ends, a JSONL byte-order mark, UTF-8 MovieLens files) are
 * checked for the values they load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameToRecords } from '../src/frames';
import { DataError, loadMovieLens, loadPairwise, loadPolisConversation, loadScored, loadScoredWithReport, parseCsv, writeMovieLensFixture } from '../src/data';
import { lineOfOffset, scanUtf8 } from '../src/data/textFile';

const dir = mkdtempSync(join(tmpdir(), 'hpa-bad-input-data-'));
let n = 0;
/** Writes text or bytes to a fresh temp file with the given extension and returns its path. */
function file(content: string | Buffer, ext = 'csv'): string {
  const path = join(dir, `f${n++}.${ext}`);
  writeFileSync(path, content);
  return path;
}

const HEADER = 'prompt_id,prompt,group,response_id,response,reward';
const row = (o: Record<string, unknown>) => JSON.stringify({ prompt_id: 'p', prompt: 'q', group: 'a', response_id: 'r', response: 't', reward: 1, ...o });

/** A Polis base folder holding one conversation folder `tiny` (enough for the folder listing). */
const polisBase = join(dir, 'polis');
mkdirSync(join(polisBase, 'tiny'), { recursive: true });
writeFileSync(join(polisBase, 'tiny', 'participants-votes.csv'), 'participant,group-id\n');

/** A MovieLens fixture whose movies.dat is rewritten in the given encoding. */
function movieLensIn(name: string, encoding: 'utf8' | 'latin1'): string {
  const folder = writeMovieLensFixture(join(dir, name));
  const text = readFileSync(join(folder, 'movies.dat'), 'latin1');
  if (encoding === 'utf8') writeFileSync(join(folder, 'movies.dat'), Buffer.from(text, 'utf8'));
  return folder;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Case {
  name: string;
  /** Runs the loader; must throw. */
  run: () => unknown;
  /** The path the message must start by naming (`file <path>` for a DataError, else the path anywhere). */
  path: string;
  /** The position text, e.g. `data row 2 (1-based, header excluded; line 3)` or `line 4`. */
  where?: string;
  column?: string;
  cause: RegExp;
}

const dirAsFile = join(dir, 'folder.csv');
mkdirSync(dirAsFile);
const crOnly = file([HEADER, 'p,q,a,r1,t,1', 'p,q,a,r2,t,high'].join('\r'));
const latin1InUtf8Csv = file(Buffer.concat([Buffer.from(`${HEADER}\np,q,a,r1,t,1\np,q,`), Buffer.from([0x47, 0xe9, 0x6e]), Buffer.from(',r2,t,1\n')]));
// Line 2 ends in "response":"<0xC3 0x28>" (0xC3 needs a continuation byte, 0x28 is '(').
const badUtf8Jsonl = file(Buffer.concat([Buffer.from(row({}) + '\r\n' + row({ response_id: 'r2' }).slice(0, -1) + ',"note":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]), 'jsonl');
const badUtf8Polis = join(polisBase, 'latin1conv');
mkdirSync(badUtf8Polis);
writeFileSync(join(badUtf8Polis, 'summary.csv'), Buffer.concat([Buffer.from('topic,Caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
const utf8Movies = movieLensIn('ml-utf8', 'utf8');

const cases: Case[] = [
  (() => {
    const path = file(`${HEADER}\np,q,a,r1,t,1\np,q,a,r2,t,1e400\n`);
    return { name: 'CSV number that overflows a 64-bit float', run: () => loadScored(path), path, where: 'data row 2 (1-based, header excluded; line 3)', column: 'reward', cause: /non-finite number: '1e400' is too large for a 64-bit float/ };
  })(),
  (() => {
    const path = file(`${HEADER},votes\np,q,a,r1,t,1,3\np,q,a,r2,t,1,-2e308\n`);
    return { name: 'CSV extra column value that overflows', run: () => loadScored(path), path, where: 'data row 2 (1-based, header excluded; line 3)', column: 'votes', cause: /non-finite number: '-2e308' is too large for a 64-bit float/ };
  })(),
  (() => {
    const path = file(`${row({ votes: 3 })}\n${row({ response_id: 'r2', votes: 0 }).replace('"votes":0', '"votes":1e999')}\n`, 'jsonl');
    return { name: 'JSONL extra key whose number overflows', run: () => loadScored(path), path, where: 'data row 2 (1-based, header excluded; line 2)', column: 'votes', cause: /non-finite number: the JSON number is too large for a 64-bit float \(it would be Infinity\)/ };
  })(),
  { name: 'a directory passed as a data file', run: () => loadScored(dirAsFile), path: dirAsFile, cause: /: not a file: this path is a directory/ },
  (() => {
    const path = join(dir, 'absent.csv');
    return { name: 'a missing data file', run: () => loadScored(path), path, cause: /: missing file: no file at this path/ };
  })(),
  {
    name: 'a missing Polis conversation folder lists the conversations beside it',
    run: () => loadPolisConversation('nosuch', { dir: polisBase }),
    path: join(polisBase, 'nosuch'),
    cause: new RegExp(`^Polis conversation folder ${escape(join(polisBase, 'nosuch'))} does not exist; conversations in ${escape(polisBase)}: tiny$`),
  },
  {
    name: 'a missing Polis folder (parent of the conversation) is named too',
    run: () => loadPolisConversation('c1', { dir: join(dir, 'no-polis-here') }),
    path: join(dir, 'no-polis-here', 'c1'),
    cause: /does not exist; the folder .*no-polis-here does not exist either \(download the data with `npm run data -- polis`, set HPA_POLIS_DIR or pass dir\)/,
  },
  (() => {
    const path = file(`${HEADER},group\np,q,a,r1,t,1,b\n`);
    return { name: 'a header naming a column twice (what lone-CR files used to be reported as)', run: () => loadScored(path), path, where: 'line 1', column: 'group', cause: /duplicate column: the header names this column twice \(fields 3 and 7\)/ };
  })(),
  { name: 'lone-CR line ends: rows are read and a bad value names its line', run: () => loadScored(crOnly), path: crOnly, where: 'data row 2 (1-based, header excluded; line 3)', column: 'reward', cause: /wrong type: expected a number, got 'high'/ },
  (() => {
    const path = file(`${row({ votes: 3 })}\n${row({ response_id: 'r2' })}\n`, 'jsonl');
    return { name: 'JSONL extra key present in only some rows', run: () => loadScored(path), path, where: 'data row 2 (1-based, header excluded; line 2)', column: 'votes', cause: /missing column: the row lacks key 'votes', which data row 1 \(line 1\) has/ };
  })(),
  (() => {
    const path = file(`${row({})}\n\n${row({ response_id: 'r2', votes: 3 })}\n`, 'jsonl');
    return { name: 'JSONL extra key first present in a later row', run: () => loadScored(path), path, where: 'data row 1 (1-based, header excluded; line 1)', column: 'votes', cause: /the row lacks key 'votes', which data row 2 \(line 3\) has/ };
  })(),
  (() => {
    const pair = (o: Record<string, unknown>) => JSON.stringify({ prompt_id: 'p', prompt: 'q', group: 'a', chosen: 'x', rejected: 'y', ...o });
    const path = file(`${pair({ weight: 2 })}\n${pair({ rejected: 'z' })}\n`, 'jsonl');
    return { name: 'JSONL optional column present in only some rows', run: () => loadPairwise(path), path, where: 'data row 2 (1-based, header excluded; line 2)', column: 'weight', cause: /the row lacks key 'weight', which data row 1 \(line 1\) has/ };
  })(),
  (() => {
    const path = file(`${HEADER}\np,q,a,r1,t,1\np,q,b,r1,t,1\np,q,a ,r2,t,0\n`);
    return { name: 'group names that differ only by trailing whitespace', run: () => loadScored(path), path, where: 'data row 3 (1-based, header excluded; line 4)', column: 'group', cause: /whitespace variant: "a " differs from "a" \(data row 1\) only by leading\/trailing whitespace/ };
  })(),
  (() => {
    const path = file(`${HEADER}\n p1,q,a,r1,t,1\np1,q,a,r2,t,1\n`);
    return { name: 'prompt ids that differ only by leading whitespace', run: () => loadScored(path), path, where: 'data row 2 (1-based, header excluded; line 3)', column: 'prompt_id', cause: /whitespace variant: "p1" differs from " p1" \(data row 1\)/ };
  })(),
  { name: 'invalid UTF-8 in a CSV file (latin1 byte)', run: () => loadScored(latin1InUtf8Csv), path: latin1InUtf8Csv, where: 'line 3', cause: /invalid UTF-8: byte 0xE9 \(followed by 0x6E\) at byte 6 of the line \(byte offset 69 in the file\) does not start a valid UTF-8 sequence; .*re-save it as UTF-8/ },
  { name: 'invalid UTF-8 in a JSONL file (CRLF line ends)', run: () => loadScored(badUtf8Jsonl), path: badUtf8Jsonl, where: 'line 2', cause: /invalid UTF-8: byte 0xC3 \(followed by 0x28\)/ },
  { name: 'invalid UTF-8 in a Polis file', run: () => loadPolisConversation('latin1conv', { dir: polisBase }), path: join(badUtf8Polis, 'summary.csv'), where: 'line 1', cause: /invalid UTF-8: byte 0xE9 \(followed by 0x0A\) at byte 10 of the line \(byte offset 9 in the file\)/ },
  { name: 'MovieLens file forced to UTF-8 but in latin1', run: () => loadMovieLens(movieLensIn('ml-latin1', 'latin1'), { encoding: 'utf8' }), path: join(dir, 'ml-latin1', 'movies.dat'), where: 'line 3', cause: /invalid UTF-8: byte 0xE9 \(followed by 0x20\) at byte 35 of the line/ },
  { name: 'MovieLens: an unknown encoding option', run: () => loadMovieLens(utf8Movies, { encoding: 'utf16le' as never }), path: '', cause: /encoding must be 'auto', 'latin1' or 'utf8', got 'utf16le'/ },
];

for (const c of cases) {
  test(`bad input: ${c.name}`, () => {
    assert.throws(c.run, (e: unknown) => {
      assert.ok(e instanceof Error, String(e));
      const m = e.message;
      if (e instanceof DataError) {
        assert.match(m, new RegExp(`^file ${escape(c.path)}[,:]`), m);
        if (c.where !== undefined) assert.ok(m.includes(`file ${c.path}, ${c.where}`), `position '${c.where}' not in: ${m}`);
        if (c.column !== undefined) assert.ok(m.includes(`column '${c.column}': `), `column '${c.column}' not in: ${m}`);
      } else {
        assert.equal(c.where, undefined, 'a position is only expected from a DataError');
        assert.ok(m.includes(c.path), `path ${c.path} not in: ${m}`);
      }
      assert.match(m, c.cause);
      return true;
    });
  });
}

test('lone-CR line ends load like LF ones (CSV and JSONL), quoted fields keep their CR', () => {
  const csv = loadScored(file([HEADER, 'p,q,a,r1,"two\rlines",1', '', 'p,q,b,r1,t,-0.5', ''].join('\r')));
  assert.deepEqual(frameToRecords(csv).map((r) => [r.group, r.response, r.reward]), [['a', 'two\rlines', 1], ['b', 't', -0.5]]);
  assert.deepEqual(parseCsv('a,b\r1,"x\ry"\r\r2,z').map((r) => [r.line, ...r.fields]), [[1, 'a', 'b'], [2, '1', 'x\ry'], [5, '2', 'z']]);
  const jsonl = loadScored(file(`${row({})}\r${row({ group: 'b', reward: 2 })}\r`, 'jsonl'));
  assert.deepEqual(frameToRecords(jsonl).map((r) => [r.group, r.reward]), [['a', 1], ['b', 2]]);
});

test('a JSONL byte-order mark is dropped (as in CSV): the first key is read correctly', () => {
  const df = loadScored(file(`\ufeff${row({ reward: 0.25 })}\n${row({ group: 'b' })}\n`, 'jsonl'));
  assert.deepEqual(frameToRecords(df).map((r) => [r.prompt_id, r.group, r.reward]), [['p', 'a', 0.25], ['p', 'b', 1]]);
  assert.deepEqual(df.columns.slice(0, 1), ['prompt_id']);
});

test('whitespace is kept when used consistently; a consistent " a" is its own group', () => {
  const df = loadScored(file(`${HEADER}\np,q, a,r1,t,1\np,q, a,r2,t,2\np,q,b,r1,t,3\n`));
  assert.deepEqual(frameToRecords(df).map((r) => r.group), [' a', ' a', 'b']);
  // Text columns (not ids or groups) may differ by whitespace.
  assert.equal(loadScored(file(`${HEADER}\np,q,a,r1,t,1\np,q ,a,r2,t ,1\n`)).shape[0], 2);
});

test('dropInvalid drops whitespace variants, missing JSONL keys and overflowing numbers, counting each reason', () => {
  const text = [
    row({ votes: 1 }), // kept
    row({ group: 'a ', response_id: 'r2', votes: 2 }), // whitespace variant of 'a'
    row({ response_id: 'r3' }), // lacks 'votes'
    row({ response_id: 'r4', votes: 4 }).replace('"reward":1', '"reward":1e400'), // overflow
    row({ group: 'b', votes: 5 }), // kept
  ].join('\n');
  const { frame, report } = loadScoredWithReport(file(text, 'jsonl'), { dropInvalid: true, onDropped: () => undefined });
  assert.deepEqual(frameToRecords(frame).map((r) => [r.group, r.response_id, r.votes]), [['a', 'r', 1], ['b', 'r', 5]]);
  assert.deepEqual(report.byReason, { 'whitespace variant': 1, 'missing column': 1, 'non-finite number': 1 });
  assert.deepEqual(report.errors.map((e) => [e.location.row, e.location.column]), [[2, 'group'], [3, 'votes'], [4, 'reward']]);
});

test('MovieLens encodings: official latin1 files read as latin1; a UTF-8 copy is detected and decoded as UTF-8', () => {
  const title = 'City of Lost Children, The (Cité des enfants perdus, La) (1995)';
  const latin1 = loadMovieLens(writeMovieLensFixture(join(dir, 'ml-official')));
  assert.deepEqual(latin1.encodings, { 'users.dat': 'latin1', 'movies.dat': 'latin1', 'ratings.dat': 'latin1' });
  assert.equal(frameToRecords<{ title: string }>(latin1.movies)[2]!.title, title);
  const utf8 = loadMovieLens(utf8Movies);
  assert.deepEqual(utf8.encodings, { 'users.dat': 'latin1', 'movies.dat': 'utf8', 'ratings.dat': 'latin1' });
  assert.equal(frameToRecords<{ title: string }>(utf8.movies)[2]!.title, title);
  // Forcing latin1 on the UTF-8 copy gives the mojibake the option asks for.
  const forced = loadMovieLens(utf8Movies, { encoding: 'latin1' });
  assert.equal(forced.encodings['movies.dat'], 'latin1');
  assert.match(frameToRecords<{ title: string }>(forced.movies)[2]!.title, /CitÃ© des enfants/);
});

test('scanUtf8 agrees with TextDecoder(fatal) on edge cases, and lineOfOffset counts LF, CRLF and CR', () => {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  const samples: [number[], number, number][] = [
    // bytes, expected invalidAt, expected firstMultibyteAt
    [[0x61, 0x62], -1, -1],
    [[0x61, 0xc3, 0xa9], -1, 1],
    [[0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], -1, 0], // euro sign, emoji
    [[0x61, 0xc0, 0x80], 1, -1], // overlong NUL
    [[0xe0, 0x80, 0x80], 0, -1], // overlong 3-byte
    [[0xed, 0xa0, 0x80], 0, -1], // surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0, -1], // above U+10FFFF
    [[0xc3, 0xa9, 0xe2, 0x82], 2, 0], // truncated at the end
    [[0x80], 0, -1], // lone continuation byte
    [[0xef, 0xbf, 0xbd], -1, 0], // a genuine U+FFFD is valid
  ];
  for (const [bytes, invalidAt, firstMultibyteAt] of samples) {
    const u8 = Uint8Array.from(bytes);
    assert.deepEqual(scanUtf8(u8), { invalidAt, firstMultibyteAt }, JSON.stringify(bytes));
    let decoderOk = true;
    try { fatal.decode(u8); } catch { decoderOk = false; }
    assert.equal(decoderOk, invalidAt === -1, JSON.stringify(bytes));
  }
  const text = Buffer.from('ab\ncd\r\nef\rgh');
  assert.deepEqual([0, 3, 4, 7, 10, 11].map((o) => lineOfOffset(text, o)), [
    { line: 1, column: 1 }, { line: 2, column: 1 }, { line: 2, column: 2 }, { line: 3, column: 1 }, { line: 4, column: 1 }, { line: 4, column: 2 },
  ]);
});
