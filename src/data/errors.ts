/**
 * The error every data loader raises for bad input: it names the file, the data row and the column.
 */

/** Where a bad value sits. `row` is the 1-based DATA row (the CSV header is not counted; JSONL counts non-blank lines). */
export interface DataLocation {
  file: string;
  /** 1-based data row (header excluded); omitted for file-level problems such as a missing column. */
  row?: number;
  /** 1-based physical line where the row starts. */
  line?: number;
  column?: string;
}

/** A data problem with its location; `reason` is a short stable label used to count dropped rows. */
export class DataError extends Error {
  constructor(
    readonly location: DataLocation,
    readonly reason: string,
    detail: string,
  ) {
    super(formatLocation(location) + `: ${reason}: ${detail}`);
    this.name = 'DataError';
  }
}

/** `file F, data row R (1-based, header excluded; line L), column 'C'`. */
export function formatLocation(loc: DataLocation): string {
  let s = `file ${loc.file}`;
  if (loc.row !== undefined) {
    s += `, data row ${loc.row} (1-based, header excluded`;
    s += loc.line !== undefined ? `; line ${loc.line})` : ')';
  } else if (loc.line !== undefined) {
    s += `, line ${loc.line}`;
  }
  if (loc.column !== undefined) s += `, column '${loc.column}'`;
  return s;
}
