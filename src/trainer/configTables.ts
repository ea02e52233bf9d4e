/**
 * The configuration tables the README shows, generated from each configuration's one source, and
 * the function that puts them between their markers (used by scripts/config-table.ts and the test
 * that keeps README.md and the code in step).
 */
import { GROUP_ROBUST_CONFIG_KEYS } from '../robust/config';
import { configTable, GRPO_CONFIG_KEYS } from './config';

/** Every generated table by name (the name in the README's markers). */
export function readmeConfigTables(): Record<string, string> {
  return { GRPOConfig: configTable(GRPO_CONFIG_KEYS), GroupRobustConfig: configTable(GROUP_ROBUST_CONFIG_KEYS) };
}

/**
 * `text` with every table replaced between `<!-- config-table:NAME:begin -->` and
 * `<!-- config-table:NAME:end -->`; a missing marker pair is an error naming the table.
 */
export function renderReadmeConfigTables(text: string): string {
  let out = text;
  for (const [name, table] of Object.entries(readmeConfigTables())) {
    const begin = `<!-- config-table:${name}:begin -->`;
    const end = `<!-- config-table:${name}:end -->`;
    const i = out.indexOf(begin);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new Error(`README.md has no '${begin}' ... '${end}' markers for the ${name} table`);
    out = `${out.slice(0, i + begin.length)}\n${table}\n${out.slice(j)}`;
  }
  return out;
}
