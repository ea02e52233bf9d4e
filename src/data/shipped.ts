/**
 * The synthetic data files shipped in `data/`, written by `npx tsx scripts/generate-data.ts`.
 * A test regenerates them into a temporary folder and checks they are byte-identical to the shipped ones.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { frameToRecords } from '../frames';
import { toCsv } from './csv';
import { BANDIT_PRESETS, banditPreset } from './heterogeneousBandit';
import { personaTask } from './personas';
import { SCORED_COLUMNS, PAIRWISE_COLUMNS } from './schema';
import { scoredToPairwise } from './summaries';

/** Names of the files {@link writeSyntheticData} writes. */
export const SHIPPED_FILES: readonly string[] = [
  ...Object.keys(BANDIT_PRESETS).map((n) => `${n}.csv`),
  'bandit-80-20-pairwise.csv',
  'personas.csv',
  'synthetic-specs.json',
];

/** Writes every shipped synthetic file into `dir` (created if needed); returns the paths written. */
export function writeSyntheticData(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    written.push(path);
  };
  const scoredCols = SCORED_COLUMNS.map((c) => c.name);
  const specs: Record<string, unknown> = {};
  for (const name of Object.keys(BANDIT_PRESETS)) {
    const { spec, rows } = banditPreset(name);
    specs[name] = spec;
    put(`${name}.csv`, toCsv(scoredCols, rows.map((r) => scoredCols.map((c) => r[c]!))));
    if (name === 'bandit-80-20') {
      const pairs = frameToRecords<Record<string, string | number>>(scoredToPairwise(rows, { margin: 1 }));
      const cols = [...PAIRWISE_COLUMNS.map((c) => c.name), 'chosen_id', 'rejected_id'];
      put('bandit-80-20-pairwise.csv', toCsv(cols, pairs.map((p) => cols.map((c) => p[c]!))));
    }
  }
  const personas = personaTask();
  specs.personas = personas.spec;
  put('personas.csv', toCsv(scoredCols, personas.rows.map((r) => scoredCols.map((c) => r[c]!))));
  put('synthetic-specs.json', JSON.stringify(specs, null, 2) + '\n');
  return written;
}
