/**
 * A small RFC-4180 CSV reader and writer.
 *
 * Written here rather than taken from papaparse so that every record keeps the physical line it
 * starts on: loaders name that line in their error messages, and quoted fields may span lines.
 */

/** One parsed record: its fields and the 1-based physical line where it starts. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Parses CSV text (RFC 4180: comma separator, `"`-quoted fields that may hold commas, newlines and
 * doubled quotes `""`; CRLF, LF or lone-CR (old Mac) line ends, each counted as one line; a leading
 * UTF-8 byte-order mark is ignored).
 * Completely empty lines are skipped (they hold no record). A quote inside an unquoted field, text
 * after a closing quote, or an unterminated quoted field is an Error naming `source` and the line.
 */
export function parseCsv(text: string, source = '<csv>'): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  // Length of the line end at position k (2 for CRLF, 1 for LF or a lone CR), 0 when there is none.
  const lineEnd = (k: number): number => (text[k] === '\n' ? 1 : text[k] === '\r' ? (text[k + 1] === '\n' ? 2 : 1) : 0);
  while (i < n) {
    // Skip empty lines between records.
    const blank = lineEnd(i);
    if (blank > 0) { i += blank; line++; continue; }
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= n) throw new Error(`${source}: line ${quoteLine}: unterminated quoted field`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
            i++;
            break;
          }
          if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
          field += c;
          i++;
        }
        if (i < n && text[i] !== ',' && lineEnd(i) === 0) {
          throw new Error(`${source}: line ${line}: unexpected text after a closing quote in field ${fields.length + 1}`);
        }
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && lineEnd(i) === 0) {
          if (text[i] === '"') throw new Error(`${source}: line ${line}: a quote inside unquoted field ${fields.length + 1}`);
          i++;
        }
        field = text.slice(start, i);
      }
      fields.push(field);
      if (i >= n) break;
      if (text[i] === ',') { i++; continue; }
      // End of record.
      i += lineEnd(i);
      line++;
      break;
    }
    records.push({ fields, line: startLine });
  }
  return records;
}

/** Quotes a field when it holds a comma, quote, CR or LF (RFC 4180), doubling inner quotes. */
export function csvField(value: string | number | boolean): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes a header and rows as CSV text with LF line ends and a final newline. */
export function toCsv(columns: readonly string[], rows: readonly (readonly (string | number | boolean)[])[]): string {
  const lines = [columns.map(csvField).join(',')];
  for (const r of rows) lines.push(r.map(csvField).join(','));
  return lines.join('\n') + '\n';
}
