/**
 * Loaders for the scored and pairwise shapes (see {@link SCORED_COLUMNS}, {@link PAIRWISE_COLUMNS})
 * from CSV or JSONL files into danfojs DataFrames, with validation.
 *
 * Every problem is a {@link DataError} naming the file, the data row (1-based, header excluded)
 * and the column. Nothing is dropped unless `dropInvalid: true` is passed; then each bad row is
 * dropped and the count per reason is reported (to `onDropped`, else as one `console.warn` line).
 *
 * Type rules: in CSV every cell is text, and a number column must hold a decimal number
 * (`NaN`, `Infinity`, `inf` are rejected as non-finite, and so is a decimal too large for a 64-bit
 * float such as `1e400`). In JSONL a string column accepts a JSON string or a finite JSON number
 * (written back as its decimal text, so `"prompt_id": 3` is `"3"`); a number column needs a JSON
 * number (`1e999` parses to Infinity and is rejected as non-finite).
 * Columns not in the schema are kept: typed number when every value is a finite number, else text;
 * a value that overflows to Infinity is an error there too (it would silently turn the column into text).
 * A required column missing from a CSV header is always an Error, even with `dropInvalid` (no row could be kept).
 *
 * JSONL rows must all have the same keys, as a CSV header gives every row the same columns: a row
 * lacking a key that another row has is a `missing column` error naming the key and the first row
 * that has it (an optional schema column gets its default only when no row has it).
 *
 * Surrounding whitespace in ids and group names (`prompt_id`, `group`, `response_id`): values are
 * kept exactly as written, but two values of one column that differ only by leading/trailing
 * whitespace (`'a'` and `'a '`) are a `whitespace variant` error naming both rows, since they would
 * otherwise become two groups (or ids). The loader does not trim: fix the file, or trim it yourself.
 *
 * Files are read as strict UTF-8 (see {@link readTableFile}): invalid bytes are an error naming the
 * line; a byte-order mark is dropped; LF, CRLF and lone-CR line ends are all accepted.
 */
import type { DataFrame } from 'danfojs-node';
import { DataError } from './errors';
import { rowsToTypedFrame } from './frame';
import {
  PAIRWISE_COLUMNS,
  PAIRWISE_KEY,
  SCORED_COLUMNS,
  SCORED_KEY,
  type ColumnSpec,
  type ColumnType,
  type PairwiseRow,
  type ScoredRow,
} from './schema';
import { readTableFile, type RawRow, type RawTable, type TableFormat } from './tableFile';

/** Options of {@link loadScored} and {@link loadPairwise}. */
export interface LoadOptions {
  /** File format; default from the extension (`.csv`, `.jsonl`, `.ndjson`). */
  format?: TableFormat;
  /** Drop bad rows instead of throwing, and report the counts per reason. Default false. */
  dropInvalid?: boolean;
  /** Receives the drop report when `dropInvalid` is set (default: one `console.warn` line if anything was dropped). */
  onDropped?: (report: DropReport) => void;
}

/** What `dropInvalid` dropped. */
export interface DropReport {
  file: string;
  /** Rows dropped in total. */
  dropped: number;
  /** Count per reason (`malformed row`, `missing column`, `wrong type`, `non-finite number`, `empty value`, `negative weight`, `chosen equals rejected`, `whitespace variant`, `duplicate key`). */
  byReason: Record<string, number>;
  /** The error of every dropped row, in file order. */
  errors: DataError[];
}

/** A loaded table: the frame, its rows as plain objects, and the drop report. */
export interface LoadResult<R> {
  frame: DataFrame;
  rows: R[];
  report: DropReport;
}

/** Loads a scored file into a DataFrame (columns of {@link SCORED_COLUMNS}, then any extra columns). */
export function loadScored(path: string, options: LoadOptions = {}): DataFrame {
  return loadScoredWithReport(path, options).frame;
}

/** Loads a pairwise file into a DataFrame (columns of {@link PAIRWISE_COLUMNS}, then any extra columns). */
export function loadPairwise(path: string, options: LoadOptions = {}): DataFrame {
  return loadPairwiseWithReport(path, options).frame;
}

/** {@link loadScored}, also returning the rows and the drop report. */
export function loadScoredWithReport(path: string, options: LoadOptions = {}): LoadResult<ScoredRow> {
  return loadTable<ScoredRow>(path, SCORED_COLUMNS, SCORED_KEY, () => undefined, options);
}

/** {@link loadPairwise}, also returning the rows and the drop report. */
export function loadPairwiseWithReport(path: string, options: LoadOptions = {}): LoadResult<PairwiseRow> {
  return loadTable<PairwiseRow>(path, PAIRWISE_COLUMNS, PAIRWISE_KEY, checkPair, options);
}

function checkPair(row: Record<string, string | number>, raw: RawRow, file: string): DataError | undefined {
  const at = (column: string) => ({ file, row: raw.row, line: raw.line, column });
  if ((row.weight as number) < 0) return new DataError(at('weight'), 'negative weight', `weight must be >= 0, got ${row.weight}`);
  if (row.chosen === row.rejected) return new DataError(at('rejected'), 'chosen equals rejected', `a pair needs two different responses, both are '${row.chosen}'`);
  return undefined;
}

function loadTable<R>(
  path: string,
  schema: readonly ColumnSpec[],
  key: readonly string[],
  rowCheck: (row: Record<string, string | number>, raw: RawRow, file: string) => DataError | undefined,
  options: LoadOptions,
): LoadResult<R> {
  const table = readTableFile(path, options.format);
  const file = table.file;
  if (table.format === 'csv') {
    for (const spec of schema) {
      if (spec.required && !table.columns.includes(spec.name)) {
        throw new DataError({ file, line: 1, column: spec.name }, 'missing column', `the header lacks required column '${spec.name}' (header: ${table.columns.join(', ')})`);
      }
    }
  }
  const extras = table.columns.filter((c) => !schema.some((s) => s.name === c));
  // JSONL: the first row holding each key, to name it when another row lacks that key.
  const firstWith = new Map<string, RawRow>();
  if (table.format === 'jsonl') {
    for (const r of table.rows) for (const k of Object.keys(r.values)) if (!firstWith.has(k)) firstWith.set(k, r);
  }
  const identifiers = schema.filter((s) => s.identifier).map((s) => s.name);
  // Per identifier column: trimmed value -> the spelling seen first and its data row.
  const spellings = new Map(identifiers.map((c) => [c, new Map<string, { value: string; row: number }>()]));
  const report: DropReport = { file, dropped: 0, byReason: {}, errors: [] };
  const fail = (err: DataError) => {
    if (!options.dropInvalid) throw err;
    report.dropped++;
    report.byReason[err.reason] = (report.byReason[err.reason] ?? 0) + 1;
    report.errors.push(err);
  };
  const rows: Record<string, string | number>[] = [];
  const seenKeys = new Map<string, number>();
  for (const raw of table.rows) {
    if (raw.error) { fail(raw.error); continue; }
    const converted = convertRow(raw, schema, extras, table, firstWith);
    if (converted instanceof DataError) { fail(converted); continue; }
    const bad = rowCheck(converted, raw, file) ?? whitespaceVariant(converted, raw, file, spellings);
    if (bad) { fail(bad); continue; }
    const k = key.map((c) => converted[c]).join('\u0000');
    const first = seenKeys.get(k);
    if (first !== undefined) {
      const what = key.map((c) => `${c}='${converted[c]}'`).join(', ');
      fail(new DataError({ file, row: raw.row, line: raw.line, column: key[key.length - 1] }, 'duplicate key', `${what} already appears in data row ${first}`));
      continue;
    }
    seenKeys.set(k, raw.row);
    for (const [c, seen] of spellings) {
      const value = String(converted[c]);
      if (!seen.has(value.trim())) seen.set(value.trim(), { value, row: raw.row });
    }
    rows.push(converted);
  }
  if (options.dropInvalid && report.dropped > 0) {
    if (options.onDropped) options.onDropped(report);
    else console.warn(`file ${file}: dropped ${report.dropped} invalid rows: ${JSON.stringify(report.byReason)}`);
  }
  const columns: { name: string; type: ColumnType }[] = schema.map((s) => ({ name: s.name, type: s.type }));
  for (const c of extras) {
    // An extra column is numeric when every kept value is a number (JSONL) or decimal text (CSV).
    const numeric = rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || DECIMAL.test(String(r[c]).trim()));
    for (const r of rows) r[c] = numeric ? Number(r[c]) : String(r[c]);
    columns.push({ name: c, type: numeric ? 'number' : 'string' });
  }
  return { frame: rowsToTypedFrame(rows, columns), rows: rows as R[], report };
}

/** An id or group name that differs from an earlier spelling only by surrounding whitespace. */
function whitespaceVariant(
  row: Record<string, string | number>,
  raw: RawRow,
  file: string,
  spellings: ReadonlyMap<string, ReadonlyMap<string, { value: string; row: number }>>,
): DataError | undefined {
  for (const [c, seen] of spellings) {
    const value = String(row[c]);
    const earlier = seen.get(value.trim());
    if (earlier !== undefined && earlier.value !== value) {
      return new DataError({ file, row: raw.row, line: raw.line, column: c }, 'whitespace variant',
        `${JSON.stringify(value)} differs from ${JSON.stringify(earlier.value)} (data row ${earlier.row}) only by leading/trailing whitespace; ` +
        'they would be two different values: use one spelling');
    }
  }
  return undefined;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

function hasKey(values: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(values, key);
}

/** JSONL: the error for a row lacking `key` that another row has (undefined when no row has it). */
function lackingKey(raw: RawRow, key: string, file: string, firstWith: ReadonlyMap<string, RawRow>): DataError | undefined {
  const other = firstWith.get(key);
  if (other === undefined) return undefined;
  return new DataError({ file, row: raw.row, line: raw.line, column: key }, 'missing column',
    `the row lacks key '${key}', which data row ${other.row} (line ${other.line}) has; every JSONL row needs the same keys`);
}

function convertRow(
  raw: RawRow,
  schema: readonly ColumnSpec[],
  extras: readonly string[],
  table: RawTable,
  firstWith: ReadonlyMap<string, RawRow>,
): Record<string, string | number> | DataError {
  const out: Record<string, string | number> = {};
  const at = (column: string) => ({ file: table.file, row: raw.row, line: raw.line, column });
  for (const spec of schema) {
    if (!hasKey(raw.values, spec.name)) {
      const inOtherRows = lackingKey(raw, spec.name, table.file, firstWith);
      if (inOtherRows) return inOtherRows;
      if (spec.required) return new DataError(at(spec.name), 'missing column', `the row has no value for required column '${spec.name}'`);
      out[spec.name] = spec.default!;
      continue;
    }
    const v = convertValue(raw.values[spec.name], spec.type, table.format);
    if (v instanceof Error) return new DataError(at(spec.name), v.name, v.message);
    if (spec.nonEmpty && typeof v === 'string' && v.trim() === '') return new DataError(at(spec.name), 'empty value', `'${spec.name}' must not be empty`);
    out[spec.name] = v;
  }
  for (const c of extras) {
    if (!hasKey(raw.values, c)) return lackingKey(raw, c, table.file, firstWith)!;
    const v = raw.values[c];
    const overflow = typeof v === 'number' ? !Number.isFinite(v) : typeof v === 'string' && DECIMAL.test(v.trim()) && !Number.isFinite(Number(v));
    if (overflow) {
      const what = typeof v === 'number' ? 'the JSON number' : `'${String(v).trim()}'`;
      return new DataError(at(c), 'non-finite number', `${what} is too large for a 64-bit float (it would be Infinity)`);
    }
    out[c] = typeof v === 'number' ? v : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

function problem(reason: string, message: string): Error {
  const e = new Error(message);
  e.name = reason;
  return e;
}

function convertValue(v: unknown, type: ColumnType, format: TableFormat): string | number | Error {
  if (type === 'string') {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return problem('wrong type', `expected text, got ${JSON.stringify(v)}`);
  }
  if (format === 'csv') {
    const s = String(v).trim();
    if (NON_FINITE.test(s)) return problem('non-finite number', `expected a finite number, got '${s}'`);
    if (!DECIMAL.test(s)) return problem('wrong type', `expected a number, got '${s}'`);
    const x = Number(s);
    if (!Number.isFinite(x)) return problem('non-finite number', `'${s}' is too large for a 64-bit float (it would be Infinity)`);
    return x;
  }
  if (typeof v !== 'number') return problem('wrong type', `expected a JSON number, got ${JSON.stringify(v)}`);
  if (!Number.isFinite(v)) return problem('non-finite number', `the JSON number is too large for a 64-bit float (it would be ${v})`);
  return v;
}
