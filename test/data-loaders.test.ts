import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameToRecords } from '../src/frames';
import {
  DataError,
  PAIRWISE_COLUMNS,
  SCORED_COLUMNS,
  loadPairwise,
  loadPairwiseWithReport,
  loadScored,
  loadScoredWithReport,
  parseCsv,
  toCsv,
  type DropReport,
} from '../src/data';

const dir = mkdtempSync(join(tmpdir(), 'hpa-data-loaders-'));
let n = 0;
/** Writes `text` to a fresh temp file with the given extension and returns its path. */
function file(text: string, ext = 'csv'): string {
  const path = join(dir, `f${n++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

const HEADER = 'prompt_id,prompt,group,response_id,response,reward';

test('csv parser: quoted fields with commas, newlines and doubled quotes; CRLF; BOM; record lines', () => {
  const text = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",\n\n3,plain,z';
  const recs = parseCsv(text);
  assert.deepEqual(recs.map((r) => r.fields), [['a', 'b', 'c'], ['1', 'x, y', 'say "hi"'], ['2', 'two\nlines', ''], ['3', 'plain', 'z']]);
  assert.deepEqual(recs.map((r) => r.line), [1, 2, 3, 6]);
  assert.throws(() => parseCsv('a,b\n1,"open', 'F'), /F: line 2: unterminated quoted field/);
  assert.throws(() => parseCsv('a,b\n1,x"y', 'F'), /F: line 2: a quote inside unquoted field 2/);
  assert.throws(() => parseCsv('a,b\n1,"x"y', 'F'), /F: line 2: unexpected text after a closing quote in field 2/);
  // Writer round trip.
  const rows = [['1', 'x, y', 'say "hi"'], ['2', 'two\nlines', '']];
  assert.deepEqual(parseCsv(toCsv(['a', 'b', 'c'], rows)).slice(1).map((r) => r.fields), rows);
});

test('loadScored (CSV): typed frame with schema columns first, extra columns kept and typed', () => {
  const path = file(`${HEADER},note,votes\np1,"Hi, you",a,r1,"line1\nline2",0.5,ok,3\np1,"Hi, you",b,r1,x,-2,,4\n`);
  const df = loadScored(path);
  assert.deepEqual(df.columns, [...SCORED_COLUMNS.map((c) => c.name), 'note', 'votes']);
  assert.deepEqual(df.dtypes, ['string', 'string', 'string', 'string', 'string', 'float32', 'string', 'float32']);
  assert.deepEqual(frameToRecords(df), [
    { prompt_id: 'p1', prompt: 'Hi, you', group: 'a', response_id: 'r1', response: 'line1\nline2', reward: 0.5, note: 'ok', votes: 3 },
    { prompt_id: 'p1', prompt: 'Hi, you', group: 'b', response_id: 'r1', response: 'x', reward: -2, note: '', votes: 4 },
  ]);
});

test('loadScored (JSONL): numeric ids become text, format by extension or option', () => {
  const lines = [
    JSON.stringify({ prompt_id: 7, prompt: 'q', group: 'g', response_id: 'r', response: 't', reward: 1.25 }),
    '',
    JSON.stringify({ prompt_id: 'p2', prompt: 'q', group: 'g', response_id: 'r', response: 't', reward: 0 }),
  ].join('\n');
  const rows = frameToRecords(loadScored(file(lines, 'jsonl')));
  assert.deepEqual(rows.map((r) => [r.prompt_id, r.reward]), [['7', 1.25], ['p2', 0]]);
  assert.equal(loadScored(file(lines, 'txt'), { format: 'jsonl' }).shape[0], 2);
  assert.throws(() => loadScored(file(lines, 'txt')), /cannot tell the format from extension '\.txt'/);
});

test('loadScored (CSV): each kind of bad input names file, data row and column', () => {
  const cases: [string, RegExp][] = [
    ['prompt_id,prompt,group,response_id,response\np1,q,a,r,t\n', /missing column.*column 'reward'|column 'reward'.*missing column/],
    [`${HEADER}\np1,q,a,r1,t,0.5\np1,q,a,r2,t,high\n`, /data row 2 \(1-based, header excluded; line 3\), column 'reward': wrong type: expected a number, got 'high'/],
    [`${HEADER}\np1,q,a,r1,t,NaN\n`, /data row 1 .*column 'reward': non-finite number/],
    [`${HEADER}\np1,q,a,r1,t,Infinity\n`, /data row 1 .*column 'reward': non-finite number/],
    [`${HEADER}\np1,q,a,r1,t,1\np1,q, ,r2,t,1\n`, /data row 2 .*column 'group': empty value/],
    [`${HEADER}\np1,q,a,r1,t,1\np1,q,b,r1,t,1\np1,q,a,r1,u,0\n`, /data row 3 .*column 'response_id': duplicate key: prompt_id='p1', group='a', response_id='r1' already appears in data row 1/],
    [`${HEADER}\np1,q,a,r1,t\n`, /data row 1 \(1-based, header excluded; line 2\): malformed row: expected 6 fields/],
  ];
  for (const [text, re] of cases) {
    const path = file(text);
    assert.throws(() => loadScored(path), (e: unknown) => {
      assert.ok(e instanceof DataError, String(e));
      assert.match(e.message, new RegExp(`^file ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(e.message, re);
      return true;
    });
  }
});

test('loadScored (JSONL): wrong JSON types, missing key, infinite number, invalid JSON', () => {
  const good = { prompt_id: 'p', prompt: 'q', group: 'g', response_id: 'r', response: 't', reward: 1 };
  const cases: [string, RegExp][] = [
    [JSON.stringify({ ...good, reward: '1' }), /data row 1 \(1-based, header excluded; line 1\), column 'reward': wrong type: expected a JSON number, got "1"/],
    [JSON.stringify({ ...good, group: true }), /column 'group': wrong type: expected text, got true/],
    [JSON.stringify({ ...good, reward: 0 }).replace('"reward":0', '"reward":1e999'), /column 'reward': non-finite number/],
    [JSON.stringify({ ...good, reward: undefined }), /column 'reward': missing column/],
    ['{"prompt_id": ', /data row 1 .*malformed row: invalid JSON/],
    ['[1,2]', /malformed row: a JSONL line must be a JSON object/],
  ];
  for (const [line, re] of cases) assert.throws(() => loadScored(file(`${JSON.stringify(good)}\n\n${line}\n`, 'jsonl')), new RegExp(re.source.replace('data row 1', 'data row 2').replace('line 1', 'line 3')));
});

test('loadPairwise: weight defaults to 1; bad weight, identical pair, duplicate pair are errors', () => {
  const H = 'prompt_id,prompt,group,chosen,rejected';
  const df = loadPairwise(file(`${H}\np,q,a,"good, long",bad\np,q,b,bad,"good, long"\n`));
  assert.deepEqual(df.columns, PAIRWISE_COLUMNS.map((c) => c.name));
  assert.deepEqual(frameToRecords(df).map((r) => [r.group, r.chosen, r.weight]), [['a', 'good, long', 1], ['b', 'bad', 1]]);
  const weighted = frameToRecords(loadPairwise(file(`${H},weight\np,q,a,x,y,2.5\n`)));
  assert.equal(weighted[0]!.weight, 2.5);
  assert.throws(() => loadPairwise(file(`${H},weight\np,q,a,x,y,-1\n`)), /data row 1 .*column 'weight': negative weight/);
  assert.throws(() => loadPairwise(file(`${H}\np,q,a,x,x\n`)), /data row 1 .*column 'rejected': chosen equals rejected/);
  assert.throws(() => loadPairwise(file(`${H}\np,q,a,x,y\np,q,a,x,z\np,q,a,x,y\n`)), /data row 3 .*column 'rejected': duplicate key: prompt_id='p', group='a', chosen='x', rejected='y' already appears in data row 1/);
  assert.throws(() => loadPairwise(file(`${H}\np,q,,x,y\n`)), /data row 1 .*column 'group': empty value/);
  assert.throws(() => loadPairwise(file('prompt_id,prompt,group,chosen\np,q,a,x\n')), /column 'rejected': missing column/);
});

test('dropInvalid drops bad rows, keeps the first of duplicates and reports counts per reason', () => {
  const text = [
    HEADER,
    'p1,q,a,r1,t,1', // kept
    'p1,q,a,r2,t,oops', // wrong type
    'p1,q,,r3,t,1', // empty value
    'p1,q,a,r1,t,0', // duplicate key
    'p1,q,a,r4,t,inf', // non-finite
    'p1,q,a', // malformed
    'p1,q,b,r1,t,0.25', // kept
  ].join('\n');
  const path = file(text);
  let seen: DropReport | undefined;
  const { frame, report } = loadScoredWithReport(path, { dropInvalid: true, onDropped: (r) => (seen = r) });
  assert.deepEqual(frameToRecords(frame).map((r) => [r.group, r.response_id, r.reward]), [['a', 'r1', 1], ['b', 'r1', 0.25]]);
  assert.equal(report.dropped, 5);
  assert.deepEqual(report.byReason, { 'wrong type': 1, 'empty value': 1, 'duplicate key': 1, 'non-finite number': 1, 'malformed row': 1 });
  assert.deepEqual(report.errors.map((e) => e.location.row), [2, 3, 4, 5, 6]);
  assert.equal(seen, report);
  // Without the option the first bad row throws.
  assert.throws(() => loadScored(path), /data row 2 .*column 'reward': wrong type/);
  const pw = loadPairwiseWithReport(file('prompt_id,prompt,group,chosen,rejected\np,q,a,x,x\np,q,a,x,y\n'), { dropInvalid: true, onDropped: () => undefined });
  assert.deepEqual(pw.report.byReason, { 'chosen equals rejected': 1 });
  assert.equal(pw.frame.shape[0], 1);
});

test('an empty data file gives an empty frame with the schema columns', () => {
  const df = loadScored(file(`${HEADER}\n`));
  assert.deepEqual(df.shape, [0, 6]);
  assert.deepEqual(df.columns, SCORED_COLUMNS.map((c) => c.name));
});
