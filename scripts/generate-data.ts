/**
 * Regenerates the shipped synthetic data in data/: `npx tsx scripts/generate-data.ts [folder]`.
 */
import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { writeSyntheticData } from '../src/data/shipped';

const dir = resolve(process.argv[2] ?? resolve(__dirname, '..', 'data'));
let total = 0;
for (const path of writeSyntheticData(dir)) {
  const size = statSync(path).size;
  total += size;
  console.log(`${basename(path).padEnd(28)} ${String(size).padStart(8)} bytes`);
}
console.log(`${'total'.padEnd(28)} ${String(total).padStart(8)} bytes in ${dir}`);
