/**
 * MovieLens-1M format loader (users.dat, movies.dat, ratings.dat; `::`-separated).
 *
 * Encoding: the official ML-1M files are ISO-8859-1 (latin1). A copy re-saved as UTF-8 would read
 * as mojibake under latin1 (`Cité` as `CitÃ©`), so by default (`encoding: 'auto'`) each file is
 * read as latin1 unless its bytes are valid UTF-8 holding at least one multi-byte character, in
 * which case it is decoded as UTF-8 (random latin1 text essentially never forms valid multi-byte
 * UTF-8). The encoding used for each file is stated in {@link MovieLensData.encodings}.
 * `encoding: 'latin1'` or `'utf8'` forces one; forced UTF-8 is strict (invalid bytes are an error
 * naming the file and line).
 *
 * Obtaining the data: download `ml-1m.zip` from https://grouplens.org/datasets/movielens/1m/ and
 * unzip it; pass the `ml-1m` folder to {@link loadMovieLens}. The MovieLens licence forbids
 * redistribution, so the kit ships none of it; {@link writeMovieLensFixture} writes a tiny made-up
 * fixture in the same format for tests and examples.
 *
 * Preference groups are users' gender, age bracket or occupation; the scored shape has one prompt
 * (`movielens`), one response per movie, and the group's mean rating as the reward.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataFrame } from 'danfojs-node';
import { DataError } from './errors';
import { rowsToTypedFrame } from './frame';
import { SCORED_COLUMNS, type ScoredRow } from './schema';
import { groupSizes } from './summaries';
import { decodeUtf8, readFileBytes, scanUtf8, splitLines } from './textFile';

/** MovieLens-1M age codes and their brackets. */
export const MOVIELENS_AGES: Record<number, string> = { 1: 'under 18', 18: '18-24', 25: '25-34', 35: '35-44', 45: '45-49', 50: '50-55', 56: '56+' };

/** MovieLens-1M occupation codes 0..20. */
export const MOVIELENS_OCCUPATIONS: readonly string[] = [
  'other', 'academic/educator', 'artist', 'clerical/admin', 'college/grad student', 'customer service', 'doctor/health care',
  'executive/managerial', 'farmer', 'homemaker', 'K-12 student', 'lawyer', 'programmer', 'retired', 'sales/marketing',
  'scientist', 'self-employed', 'technician/engineer', 'tradesman/craftsman', 'unemployed', 'writer',
];

/** User attribute that defines the preference groups. */
export type MovieLensGroupBy = 'gender' | 'age' | 'occupation';

/** Options of {@link loadMovieLens}. */
export interface MovieLensOptions {
  /** Group users by gender (`F`/`M`), age bracket or occupation name. Default `gender`. */
  group_by?: MovieLensGroupBy;
  /** A (group, movie) needs at least this many ratings to get a scored row. Default 1. */
  min_ratings?: number;
  /**
   * File encoding: `auto` (default) reads latin1, the encoding of the official files, unless a file is
   * valid UTF-8 with multi-byte characters, then UTF-8; `latin1` or `utf8` forces one (see the module comment).
   */
  encoding?: MovieLensEncodingOption;
}

/** The `encoding` option of {@link loadMovieLens}. */
export type MovieLensEncodingOption = 'auto' | 'latin1' | 'utf8';

/** The encoding a MovieLens file was decoded with. */
export type MovieLensEncoding = 'latin1' | 'utf8';

/** A loaded MovieLens folder. */
export interface MovieLensData {
  /** `user_id`, `gender`, `age`, `occupation`, `zip`, `group`. */
  users: DataFrame;
  /** `movie_id`, `title`, `genres`. */
  movies: DataFrame;
  /** `user_id`, `movie_id`, `rating`, `timestamp`, `group`. */
  ratings: DataFrame;
  /** Users per group (`group`, `size`, `share`, `is_minority`). */
  group_sizes: DataFrame;
  /** Scored shape: prompt_id `movielens`, group, response_id = movie id, response = title, reward = mean rating, plus `count`. */
  scored: DataFrame;
  scored_rows: ScoredRow[];
  /** (group, movie) combinations left out for fewer than `min_ratings` ratings. */
  below_min_ratings: number;
  /** The encoding each file was decoded with (official files: latin1 everywhere). */
  encodings: { 'users.dat': MovieLensEncoding; 'movies.dat': MovieLensEncoding; 'ratings.dat': MovieLensEncoding };
}

interface User { user_id: string; gender: string; age: number; occupation: number; zip: string }

/** Loads users.dat, movies.dat and ratings.dat from a folder, validating every field. */
export function loadMovieLens(dir: string, options: MovieLensOptions = {}): MovieLensData {
  const groupBy = options.group_by ?? 'gender';
  if (!['gender', 'age', 'occupation'].includes(groupBy)) throw new Error(`group_by must be 'gender', 'age' or 'occupation', got '${groupBy}'`);
  const minRatings = options.min_ratings ?? 1;
  if (!Number.isInteger(minRatings) || minRatings < 1) throw new Error(`min_ratings must be an integer >= 1, got ${minRatings}`);
  const encoding = options.encoding ?? 'auto';
  if (!['auto', 'latin1', 'utf8'].includes(encoding)) throw new Error(`encoding must be 'auto', 'latin1' or 'utf8', got '${String(encoding)}'`);

  const usersFile = readDat(join(dir, 'users.dat'), ['UserID', 'Gender', 'Age', 'Occupation', 'Zip-code'], encoding);
  const users = new Map<string, User>();
  for (const { f, at } of usersFile.rows) {
    const user_id = integer(f[0]!, at('UserID'), 1);
    if (users.has(user_id)) throw new DataError(at('UserID'), 'duplicate key', `user ${user_id} appears twice`);
    if (f[1] !== 'M' && f[1] !== 'F') throw new DataError(at('Gender'), 'wrong value', `expected M or F, got '${f[1]}'`);
    const age = Number(integer(f[2]!, at('Age'), 1));
    if (!(age in MOVIELENS_AGES)) throw new DataError(at('Age'), 'wrong value', `expected one of ${Object.keys(MOVIELENS_AGES).join(', ')}, got ${age}`);
    const occupation = Number(integer(f[3]!, at('Occupation'), 0));
    if (occupation > 20) throw new DataError(at('Occupation'), 'wrong value', `expected 0..20, got ${occupation}`);
    users.set(user_id, { user_id, gender: f[1], age, occupation, zip: f[4]! });
  }
  const groupOf = (u: User) => (groupBy === 'gender' ? u.gender : groupBy === 'age' ? MOVIELENS_AGES[u.age]! : MOVIELENS_OCCUPATIONS[u.occupation]!);

  const moviesFile = readDat(join(dir, 'movies.dat'), ['MovieID', 'Title', 'Genres'], encoding);
  const movies = new Map<string, { movie_id: string; title: string; genres: string }>();
  for (const { f, at } of moviesFile.rows) {
    const movie_id = integer(f[0]!, at('MovieID'), 1);
    if (movies.has(movie_id)) throw new DataError(at('MovieID'), 'duplicate key', `movie ${movie_id} appears twice`);
    if (f[1]!.trim() === '') throw new DataError(at('Title'), 'empty value', 'the title is empty');
    movies.set(movie_id, { movie_id, title: f[1]!, genres: f[2]! });
  }

  const ratings: { user_id: string; movie_id: string; rating: number; timestamp: number; group: string }[] = [];
  const seen = new Set<string>();
  const ratingsFile = readDat(join(dir, 'ratings.dat'), ['UserID', 'MovieID', 'Rating', 'Timestamp'], encoding);
  for (const { f, at } of ratingsFile.rows) {
    const user_id = integer(f[0]!, at('UserID'), 1);
    const user = users.get(user_id);
    if (!user) throw new DataError(at('UserID'), 'unknown user', `user ${user_id} is not in users.dat`);
    const movie_id = integer(f[1]!, at('MovieID'), 1);
    if (!movies.has(movie_id)) throw new DataError(at('MovieID'), 'unknown movie', `movie ${movie_id} is not in movies.dat`);
    const rating = Number(integer(f[2]!, at('Rating'), 0));
    if (rating < 1 || rating > 5) throw new DataError(at('Rating'), 'wrong value', `a rating must be an integer in 1..5, got ${rating}`);
    const timestamp = Number(integer(f[3]!, at('Timestamp'), 0));
    const k = `${user_id}:${movie_id}`;
    if (seen.has(k)) throw new DataError(at('MovieID'), 'duplicate key', `user ${user_id} rated movie ${movie_id} twice`);
    seen.add(k);
    ratings.push({ user_id, movie_id, rating, timestamp, group: groupOf(user) });
  }

  // Mean rating per (group, movie), groups and movies in first-seen order of the ratings file.
  const sums = new Map<string, Map<string, [number, number]>>();
  for (const r of ratings) {
    const byMovie = sums.get(r.group) ?? new Map<string, [number, number]>();
    const cell = byMovie.get(r.movie_id) ?? [0, 0];
    cell[0] += r.rating;
    cell[1]++;
    byMovie.set(r.movie_id, cell);
    sums.set(r.group, byMovie);
  }
  const scored: ScoredRow[] = [];
  let below = 0;
  for (const [group, byMovie] of sums) {
    for (const [movie_id, [sum, count]] of byMovie) {
      if (count < minRatings) { below++; continue; }
      scored.push({ prompt_id: 'movielens', prompt: 'Recommend a movie.', group, response_id: movie_id, response: movies.get(movie_id)!.title, reward: sum / count, count });
    }
  }
  const userRows = [...users.values()].map((u) => ({ ...u, group: groupOf(u) }));
  return {
    users: rowsToTypedFrame(userRows, [
      { name: 'user_id', type: 'string' }, { name: 'gender', type: 'string' }, { name: 'age', type: 'number' },
      { name: 'occupation', type: 'number' }, { name: 'zip', type: 'string' }, { name: 'group', type: 'string' },
    ]),
    movies: rowsToTypedFrame([...movies.values()], [{ name: 'movie_id', type: 'string' }, { name: 'title', type: 'string' }, { name: 'genres', type: 'string' }]),
    ratings: rowsToTypedFrame(ratings, [
      { name: 'user_id', type: 'string' }, { name: 'movie_id', type: 'string' }, { name: 'rating', type: 'number' },
      { name: 'timestamp', type: 'number' }, { name: 'group', type: 'string' },
    ]),
    group_sizes: groupSizes(userRows),
    scored: rowsToTypedFrame(scored, [...SCORED_COLUMNS, { name: 'count', type: 'number' }]),
    scored_rows: scored,
    below_min_ratings: below,
    encodings: { 'users.dat': usersFile.encoding, 'movies.dat': moviesFile.encoding, 'ratings.dat': ratingsFile.encoding },
  };
}

type At = (column: string) => { file: string; row: number; line: number; column: string };

/** The text of a MovieLens file and the encoding used (see the module comment for `auto`). */
function decodeDat(file: string, encoding: MovieLensEncodingOption): { text: string; encoding: MovieLensEncoding } {
  const bytes = readFileBytes(file, 'expected a MovieLens-1M file here (see grouplens.org/datasets/movielens/1m)');
  const scan = encoding === 'auto' ? scanUtf8(bytes) : undefined;
  const used: MovieLensEncoding = encoding === 'auto' ? (scan!.invalidAt < 0 && scan!.firstMultibyteAt >= 0 ? 'utf8' : 'latin1') : encoding;
  return { text: used === 'utf8' ? decodeUtf8(bytes, file) : bytes.toString('latin1'), encoding: used };
}

/** Lines of a `::` file with their field arrays; a wrong field count is an Error naming file and row. */
function readDat(file: string, columns: readonly string[], encoding: MovieLensEncodingOption): { rows: { f: string[]; at: At }[]; encoding: MovieLensEncoding } {
  const decoded = decodeDat(file, encoding);
  const out: { f: string[]; at: At }[] = [];
  let row = 0;
  splitLines(decoded.text).forEach((text, k) => {
    if (text === '') return;
    row++;
    const line = k + 1;
    const r = row;
    const at: At = (column) => ({ file, row: r, line, column });
    const f = text.split('::');
    if (f.length !== columns.length) {
      throw new DataError({ file, row, line, column: columns[Math.min(f.length, columns.length) - 1] }, 'malformed row', `expected ${columns.length} fields ${columns.join('::')} separated by '::', got ${f.length}`);
    }
    out.push({ f, at });
  });
  return { rows: out, encoding: decoded.encoding };
}

function integer(s: string, loc: ReturnType<At>, min: number): string {
  if (!/^\d+$/.test(s) || Number(s) < min) throw new DataError(loc, 'wrong type', `expected an integer >= ${min}, got '${s}'`);
  return String(Number(s));
}

/**
 * Writes a tiny made-up MovieLens-1M-format fixture (latin1, `::`) into `dir`: 6 users, 4 movies
 * (one title with a latin1 character), 14 ratings. Returns the folder.
 *
 * Ratings by gender (hand-checkable): F users 1, 3, 5; M users 2, 4, 6.
 */
export function writeMovieLensFixture(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const users = ['1::F::1::10::48067', '2::M::56::16::70072', '3::F::25::15::55117', '4::M::45::7::02460', '5::F::25::20::55455', '6::M::18::4::55117'];
  const movies = [
    '1::Toy Story (1995)::Animation|Children\'s|Comedy',
    '2::Jumanji (1995)::Adventure|Children\'s|Fantasy',
    '3::City of Lost Children, The (Cité des enfants perdus, La) (1995)::Adventure|Sci-Fi',
    '4::Heat (1995)::Action|Crime|Thriller',
  ];
  const ratings = [
    '1::1::5::978300760', '1::2::3::978302109', '1::3::4::978301968',
    '2::1::2::978298413', '2::4::5::978299000',
    '3::1::4::978297867', '3::3::5::978298709', '3::4::1::978294008',
    '4::2::4::978294199', '4::4::4::978294282',
    '5::1::3::978294230', '5::2::2::978824291',
    '6::1::1::978824268', '6::4::3::978824351',
  ];
  const write = (name: string, lines: string[]) => writeFileSync(join(dir, name), Buffer.from(lines.join('\n') + '\n', 'latin1'));
  write('users.dat', users);
  write('movies.dat', movies);
  write('ratings.dat', ratings);
  return dir;
}
