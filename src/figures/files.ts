/**
 * Output file naming shared by figure and table writers.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Checks that `name` is a plain file stem (letters, digits, `.`, `_`, `-`; no folders) and returns `dir/name`. */
export function outputStem(dir: string, name: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(`name must be a file stem of letters, digits, '.', '_' or '-' (no folders or extension needed), got ${JSON.stringify(name)}`);
  }
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  return join(folder, name);
}
