/**
 * Writing result tables as CSV (full precision, for further analysis) and Markdown (rounded, for reading).
 */
import { writeFileSync } from 'node:fs';
import type { DataFrame } from 'danfojs-node';
import { inputRecords } from '../analysis/input';
import { figuresDir } from '../runtime';
import { outputStem } from './files';

/** Options for {@link saveTable}. */
export interface SaveTableOptions {
  /** Output folder (default {@link figuresDir}). */
  dir?: string;
  /** Significant digits for numbers in the Markdown version (default 4). */
  digits?: number;
}

function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const cols: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); cols.push(k); }
  return cols;
}

function cellText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return String(v);
}

/** One CSV field, quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(v: unknown): string {
  const s = cellText(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV text of the rows: header from the union of keys, numbers at full precision, missing cells empty. */
export function recordsToCsv(rows: readonly Record<string, unknown>[]): string {
  const cols = columnsOf(rows);
  return [cols.map(csvField).join(','), ...rows.map((r) => cols.map((c) => csvField(r[c])).join(','))].join('\n') + '\n';
}

/** Markdown pipe table of the rows, numbers rounded to `digits` significant digits, `|` escaped. */
export function toMarkdown(rows: readonly Record<string, unknown>[], digits = 4): string {
  if (!Number.isInteger(digits) || digits < 1 || digits > 17) throw new Error(`digits must be an integer in 1..17, got ${digits}`);
  const cols = columnsOf(rows);
  const fmt = (v: unknown) => {
    const s = typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? String(Number(v.toPrecision(digits))) : cellText(v);
    return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  };
  const isNumeric = cols.map((c) => rows.some((r) => typeof r[c] === 'number'));
  const lines = [
    `| ${cols.map(fmt).join(' | ')} |`,
    `| ${isNumeric.map((n) => (n ? '---:' : ':---')).join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map((c) => fmt(r[c])).join(' | ')} |`),
  ];
  return lines.join('\n') + '\n';
}

/** Writes `<dir>/<name>.csv` and `<dir>/<name>.md` and returns their paths. */
export function saveTable(rows: readonly Record<string, unknown>[] | DataFrame, name: string, opts: SaveTableOptions = {}): { csv: string; md: string } {
  const records = inputRecords<Record<string, unknown>>(rows as never, 'rows');
  if (records.length === 0) throw new Error(`saveTable(${name}): rows is empty`);
  const stem = outputStem(opts.dir ?? figuresDir(), name);
  const paths = { csv: `${stem}.csv`, md: `${stem}.md` };
  writeFileSync(paths.csv, recordsToCsv(records));
  writeFileSync(paths.md, toMarkdown(records, opts.digits ?? 4));
  return paths;
}
