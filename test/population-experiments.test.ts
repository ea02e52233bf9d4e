/**
 * The kit's own experiments give the same records with and without populations (their `population`
 * hooks keep the runner's contract: a cell's records do not depend on how it was computed). Smoke
 * size, in process, each way into its own cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend';
import { polisDataDir } from '../src/data/polis';
import { loadExperimentLibrary, runExperiment } from '../src/experiments';

const NO_POLIS = existsSync(polisDataDir()) ? false : `Polis data not present (${polisDataDir()})`;

async function bothWays(name: string): Promise<void> {
  await initBackend();
  loadExperimentLibrary();
  const dirs = [mkdtempSync(join(tmpdir(), 'hpa-pop-')), mkdtempSync(join(tmpdir(), 'hpa-alone-'))];
  try {
    const together = await runExperiment(name, { mode: 'smoke', cacheDir: dirs[0], progress: 'none' });
    const alone = await runExperiment(name, { mode: 'smoke', cacheDir: dirs[1], progress: 'none', population: false });
    assert.ok(together.records.length > 100);
    // The first run did compute in populations (the cache entry says how many cells shared the call).
    const sizes = together.cells.map((c) => (JSON.parse(readFileSync(c.file, 'utf8')) as { population?: number }).population ?? 1);
    assert.ok(Math.max(...sizes) > 1, `${name}: no cell was computed in a population (sizes ${sizes})`);
    assert.deepStrictEqual(together.records, alone.records);
  } finally {
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  }
}

for (const name of ['minority-recovery-strong', 'group-robust-linear', 'group-robust-authors']) {
  test(`${name} (smoke): records with populations equal those of every cell alone`, () => bothWays(name));
}
for (const name of ['polis-recovery', 'polis-group-robust', 'one-workflow-polis']) {
  test(`${name} (smoke): records with populations equal those of every cell alone`, { skip: NO_POLIS }, () => bothWays(name));
}
