/**
 * Typed DataFrame construction. danfojs infers dtypes from values and labels numeric-looking
 * strings (ids such as `"1"`) as int32, so the data area always passes dtypes explicitly.
 */
import { DataFrame } from 'danfojs-node';
import type { ColumnType } from './schema';

/** A column with a declared type. */
export interface TypedColumn {
  name: string;
  type: ColumnType | 'boolean';
  values: (string | number | boolean)[];
}

const DTYPE = { string: 'string', number: 'float32', boolean: 'boolean' } as const;

/** Builds a DataFrame whose dtypes are the declared ones (numbers stay 64-bit JS numbers in `values`). */
export function typedFrame(columns: readonly TypedColumn[]): DataFrame {
  const names = columns.map((c) => c.name);
  const dtypes = columns.map((c) => DTYPE[c.type]);
  const length = columns[0]?.values.length ?? 0;
  for (const c of columns) {
    if (c.values.length !== length) throw new Error(`column '${c.name}' has ${c.values.length} values, expected ${length}`);
  }
  if (length === 0) return new DataFrame([], { columns: names, dtypes } as never);
  const data: Record<string, unknown[]> = {};
  for (const c of columns) data[c.name] = c.values;
  return new DataFrame(data as never, { columns: names, dtypes } as never);
}

/** Builds a typed frame from row objects, given the column order and types. */
export function rowsToTypedFrame(
  rows: readonly Record<string, string | number | boolean>[],
  columns: readonly { name: string; type: ColumnType | 'boolean' }[],
): DataFrame {
  return typedFrame(columns.map((c) => ({ name: c.name, type: c.type, values: rows.map((r) => r[c.name]!) })));
}
