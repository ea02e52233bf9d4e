import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameToRecords } from '../src/frames';
import { DataError, loadMovieLens, writeMovieLensFixture } from '../src/data';

const root = mkdtempSync(join(tmpdir(), 'hpa-movielens-'));
const good = writeMovieLensFixture(join(root, 'good'));

/** A copy of the fixture with one line of one file replaced (0-based line index). */
function broken(name: string, file: 'users.dat' | 'movies.dat' | 'ratings.dat', line: number, text: string): string {
  const dir = writeMovieLensFixture(join(root, name));
  const lines = readFileSync(join(dir, file), 'latin1').split('\n');
  lines[line] = text;
  writeFileSync(join(dir, file), Buffer.from(lines.join('\n'), 'latin1'));
  return dir;
}

test('movielens fixture: latin1 titles, users, ratings and per-gender mean ratings', () => {
  const ml = loadMovieLens(good);
  assert.deepEqual(ml.users.shape, [6, 6]);
  assert.deepEqual(ml.ratings.shape, [14, 5]);
  const titles = frameToRecords<{ title: string }>(ml.movies).map((m) => m.title);
  assert.equal(titles[2], 'City of Lost Children, The (Cité des enfants perdus, La) (1995)');
  assert.deepEqual(frameToRecords(ml.group_sizes).map((g) => [g.group, g.size, g.share]), [['F', 3, 0.5], ['M', 3, 0.5]]);
  // Movie 1: F users 1, 3, 5 rated 5, 4, 3 -> 4; M users 2, 6 rated 2, 1 -> 1.5.
  const scored = frameToRecords<{ group: string; response_id: string; reward: number; count: number; response: string }>(ml.scored);
  const cell = (g: string, m: string) => scored.find((r) => r.group === g && r.response_id === m);
  assert.deepEqual([cell('F', '1')!.reward, cell('F', '1')!.count], [4, 3]);
  assert.deepEqual([cell('M', '1')!.reward, cell('M', '1')!.count], [1.5, 2]);
  assert.deepEqual([cell('M', '4')!.reward, cell('M', '4')!.count], [4, 3]); // users 2, 4, 6: 5, 4, 3
  assert.equal(cell('F', '4')!.reward, 1);
  assert.equal(cell('M', '3'), undefined, 'no M user rated movie 3');
  assert.equal(cell('F', '1')!.response, 'Toy Story (1995)');
  assert.equal(scored.length, 7);
  const byAge = loadMovieLens(good, { group_by: 'age', min_ratings: 2 });
  // Ages: 1 under 18, 56+, 25-34 (x2: users 3, 5), 45-49, 18-24. Only 25-34 has two ratings of one movie (movie 1: 4, 3).
  assert.deepEqual(frameToRecords(byAge.scored).map((r) => [r.group, r.response_id, r.reward]), [['25-34', '1', 3.5]]);
  assert.equal(byAge.below_min_ratings, 12);
  const byJob = frameToRecords<{ group: string }>(loadMovieLens(good, { group_by: 'occupation' }).users).map((u) => u.group);
  assert.deepEqual(byJob, ['K-12 student', 'self-employed', 'scientist', 'executive/managerial', 'writer', 'college/grad student']);
});

test('movielens: each kind of bad input names file, data row and column', () => {
  const cases: [string, 'users.dat' | 'movies.dat' | 'ratings.dat', number, string, RegExp][] = [
    ['sep', 'ratings.dat', 2, '1::3:4::978301968', /ratings\.dat, data row 3 \(1-based, header excluded; line 3\), column 'Rating': malformed row: expected 4 fields UserID::MovieID::Rating::Timestamp separated by '::', got 3/],
    ['user', 'ratings.dat', 4, '9::4::5::978299000', /ratings\.dat, data row 5 .*column 'UserID': unknown user: user 9 is not in users\.dat/],
    ['movie', 'ratings.dat', 0, '1::77::5::978300760', /ratings\.dat, data row 1 .*column 'MovieID': unknown movie: movie 77 is not in movies\.dat/],
    ['high', 'ratings.dat', 13, '6::4::6::978824351', /ratings\.dat, data row 14 .*column 'Rating': wrong value: a rating must be an integer in 1\.\.5, got 6/],
    ['zero', 'ratings.dat', 1, '1::2::0::978302109', /ratings\.dat, data row 2 .*column 'Rating': wrong value: .* got 0/],
    ['frac', 'ratings.dat', 1, '1::2::3.5::978302109', /ratings\.dat, data row 2 .*column 'Rating': wrong type: expected an integer/],
    ['dup', 'ratings.dat', 1, '1::1::3::978302109', /ratings\.dat, data row 2 .*column 'MovieID': duplicate key: user 1 rated movie 1 twice/],
    ['gender', 'users.dat', 0, '1::X::1::10::48067', /users\.dat, data row 1 .*column 'Gender': wrong value: expected M or F, got 'X'/],
    ['age', 'users.dat', 1, '2::M::57::16::70072', /users\.dat, data row 2 .*column 'Age': wrong value/],
    ['job', 'users.dat', 1, '2::M::56::21::70072', /users\.dat, data row 2 .*column 'Occupation': wrong value: expected 0\.\.20, got 21/],
    ['usep', 'users.dat', 3, '4::M::45::7::02460::extra', /users\.dat, data row 4 .*malformed row: expected 5 fields/],
    ['msep', 'movies.dat', 0, '1::Toy Story (1995)', /movies\.dat, data row 1 .*malformed row: expected 3 fields/],
  ];
  for (const [name, file, line, text, re] of cases) {
    const dir = broken(name, file, line, text);
    assert.throws(() => loadMovieLens(dir), (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, re);
      assert.ok(e.message.startsWith(`file ${join(dir, file)}`), e.message);
      return true;
    });
  }
  assert.throws(() => loadMovieLens(join(root, 'nowhere')), /users\.dat: missing file/);
  assert.throws(() => loadMovieLens(good, { group_by: 'zip' as never }), /group_by must be 'gender', 'age' or 'occupation', got 'zip'/);
});
