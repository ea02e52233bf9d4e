/**
 * Writes (`--write`) or checks (default) the configuration tables in README.md, which are generated
 * from the one source of each configuration (`GRPO_CONFIG_KEYS` in src/trainer/config.ts). The
 * tables sit between `<!-- config-table:NAME:begin -->` and `<!-- config-table:NAME:end -->`.
 *
 *   npx tsx scripts/config-table.ts --write    # after adding or changing a key
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readmeConfigTables, renderReadmeConfigTables } from '../src/trainer/configTables';

const path = join(__dirname, '..', 'README.md');
const text = readFileSync(path, 'utf8');
const updated = renderReadmeConfigTables(text);
if (process.argv.includes('--write')) {
  if (updated !== text) writeFileSync(path, updated);
  console.log(`${updated === text ? 'unchanged' : 'updated'}: ${Object.keys(readmeConfigTables()).join(', ')} in ${path}`);
} else if (updated !== text) {
  console.error(`README.md's configuration tables differ from the code; run: npx tsx scripts/config-table.ts --write`);
  process.exit(1);
}
