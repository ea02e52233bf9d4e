/**
 * After a full run: gathers every results table the notebooks wrote (figures/*.md) into
 * figures/RESULTS.md, with the figures listed beside them, so the numbers behind each figure are in one place.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { figuresDir } from '../src/runtime';

const dir = figuresDir();
if (!existsSync(dir)) throw new Error(`${dir} does not exist: run the notebooks first (npm run reproduce)`);
const files = readdirSync(dir).sort();
const tables = files.filter((f) => f.endsWith('.md') && f !== 'RESULTS.md');
const pngs = files.filter((f) => f.endsWith('.png'));
const parts = [
  '# Results',
  '',
  `Written by \`npm run reproduce\` on ${new Date().toISOString().slice(0, 10)} (${process.env.HPA_SMOKE === '1' ? 'smoke' : 'full'} mode). `
    + 'Each table is the CSV of the same name in this folder; intervals are bootstrap 95% percentile intervals over seeds (`n_seeds` columns give the seed count, `n_censored` the runs that never reached the threshold).',
  '',
  '## Figures',
  '',
  ...pngs.map((f) => `- [${f}](${f}) ([interactive](${f.replace(/\.png$/, '.html')}))`),
  '',
  ...tables.flatMap((f) => [`## ${f.replace(/\.md$/, '')}`, '', readFileSync(join(dir, f), 'utf8').trim(), '']),
];
writeFileSync(join(dir, 'RESULTS.md'), parts.join('\n'));
console.log(`wrote ${join(dir, 'RESULTS.md')}: ${tables.length} tables, ${pngs.length} figures`);
