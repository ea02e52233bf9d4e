/**
 * Reads a CSV or JSONL file into raw rows with their positions, before any schema is applied.
 *
 * Both formats are read as strict UTF-8 (an invalid byte sequence is an error naming the line), a
 * leading byte-order mark is dropped, and LF, CRLF and lone-CR line ends are accepted (see
 * {@link readUtf8File}). A missing path or a directory is an error naming the path.
 */
import { extname } from 'node:path';
import { parseCsv } from './csv';
import { DataError } from './errors';
import { readUtf8File, splitLines } from './textFile';

/** File formats the loaders read. */
export type TableFormat = 'csv' | 'jsonl';

/** A raw row: values by column name, or the problem that kept it from being read. */
export interface RawRow {
  /** 1-based data row (CSV header excluded; JSONL blank lines excluded). */
  row: number;
  /** 1-based physical line where the row starts. */
  line: number;
  values: Record<string, unknown>;
  /** Set when the row itself is malformed (wrong field count, invalid JSON). */
  error?: DataError;
}

/** Raw table: columns in file order (CSV header, or JSONL keys in order of first appearance). */
export interface RawTable {
  file: string;
  format: TableFormat;
  columns: string[];
  rows: RawRow[];
}

/** The format from the option, else from the extension (`.csv`; `.jsonl`/`.ndjson`). */
export function tableFormat(path: string, format?: TableFormat): TableFormat {
  if (format !== undefined) {
    if (format !== 'csv' && format !== 'jsonl') throw new Error(`format must be 'csv' or 'jsonl', got '${String(format)}'`);
    return format;
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new Error(`file ${path}: cannot tell the format from extension '${ext}'; pass format: 'csv' or 'jsonl'`);
}

/**
 * Reads a CSV (with header) or JSONL file into raw rows: strict UTF-8 (invalid bytes are an error
 * naming the line), byte-order mark dropped, LF/CRLF/lone-CR line ends; a missing path or a
 * directory is an error naming the path.
 */
export function readTableFile(path: string, format?: TableFormat): RawTable {
  const fmt = tableFormat(path, format);
  const text = readUtf8File(path);
  return fmt === 'csv' ? csvTable(text, path) : jsonlTable(text, path);
}

function csvTable(text: string, file: string): RawTable {
  const records = parseCsv(text, `file ${file}`);
  if (records.length === 0) throw new DataError({ file }, 'empty file', 'no header line');
  const columns = records[0]!.fields;
  const seen = new Map<string, number>();
  columns.forEach((c, j) => {
    const first = seen.get(c);
    if (first !== undefined) throw new DataError({ file, line: records[0]!.line, column: c }, 'duplicate column', `the header names this column twice (fields ${first + 1} and ${j + 1})`);
    seen.set(c, j);
  });
  const rows: RawRow[] = records.slice(1).map((rec, k) => {
    const row = k + 1;
    const values: Record<string, unknown> = {};
    if (rec.fields.length !== columns.length) {
      return {
        row, line: rec.line, values,
        error: new DataError({ file, row, line: rec.line }, 'malformed row', `expected ${columns.length} fields (as in the header), got ${rec.fields.length}`),
      };
    }
    columns.forEach((c, j) => (values[c] = rec.fields[j]));
    return { row, line: rec.line, values };
  });
  return { file, format: 'csv', columns, rows };
}

function jsonlTable(text: string, file: string): RawTable {
  const columns: string[] = [];
  const known = new Set<string>();
  const rows: RawRow[] = [];
  const lines = splitLines(text);
  let row = 0;
  lines.forEach((content, k) => {
    if (content.trim() === '') return;
    row++;
    const line = k + 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch (e) {
      rows.push({ row, line, values: {}, error: new DataError({ file, row, line }, 'malformed row', `invalid JSON (${(e as Error).message})`) });
      return;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      rows.push({ row, line, values: {}, error: new DataError({ file, row, line }, 'malformed row', 'a JSONL line must be a JSON object') });
      return;
    }
    const values = parsed as Record<string, unknown>;
    for (const key of Object.keys(values)) {
      if (!known.has(key)) { known.add(key); columns.push(key); }
    }
    rows.push({ row, line, values });
  });
  return { file, format: 'jsonl', columns, rows };
}
