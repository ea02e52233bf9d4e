/**
 * scripts/collect-results.ts: which tables and figures a reproduce run did not regenerate (written
 * before the run's start record), and how RESULTS.md records them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginRun, collectResults, notRegenerated } from '../scripts/collect-results';

test('notRegenerated: files modified before the run start, sorted; a file written at the start instant counts as regenerated', () => {
  const files = [
    { name: 'b.png', mtimeMs: 999 },
    { name: 'a.md', mtimeMs: 1000 },
    { name: 'c.md', mtimeMs: 1001 },
    { name: 'a.png', mtimeMs: 0 },
  ];
  assert.deepEqual(notRegenerated(files, 1000), ['a.png', 'b.png']);
  assert.deepEqual(notRegenerated(files, 0), []);
  assert.deepEqual(notRegenerated(files, 2000), ['a.md', 'a.png', 'b.png', 'c.md']);
  assert.throws(() => notRegenerated(files, NaN), /run start must be a finite time in ms, got NaN/);
});

/** A figures folder: two tables and two figures; `05_*` written on 2026-11-22, `02_*` on 2026-12-01 (seconds since the epoch below). */
function figuresFolder(): { dir: string; record: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hpa-results-'));
  const at = (name: string, text: string, seconds: number) => {
    writeFileSync(join(dir, name), text);
    utimesSync(join(dir, name), seconds, seconds);
  };
  const old = Date.UTC(2026, 10, 22, 18) / 1000;
  const start = Date.UTC(2026, 11, 1, 3) / 1000;
  at('05_polis_recovery.md', '| conversation | steps |\n| --- | --- |\n| seattle | 39.9 |\n', old);
  at('05_polis_agree_rates.png', 'png', old);
  at('02_quickstart_reward_auc.md', '| method | auc |\n| --- | --- |\n| grpo | 0.5 |\n', start + 60);
  at('02_quickstart_reward_curves.png', 'png', start + 61);
  at('RESULTS.md', 'old results', old);
  const record = join(dir, 'run.json');
  beginRun(record);
  utimesSync(record, start, start);
  return { dir, record };
}

test('collectResults: RESULTS.md lists and marks the tables and figures this run did not write', () => {
  const { dir, record } = figuresFolder();
  const out = collectResults({ dir, record, date: '2026-12-01', staleHint: 'Polis data was not found.' });
  assert.deepEqual(out.tables, ['02_quickstart_reward_auc.md', '05_polis_recovery.md']);
  assert.deepEqual(out.figures, ['02_quickstart_reward_curves.png', '05_polis_agree_rates.png']);
  assert.deepEqual(out.stale, ['05_polis_agree_rates.png', '05_polis_recovery.md']);
  const text = readFileSync(out.results, 'utf8');
  assert.ok(text.includes([
    '## Not regenerated in this run',
    '',
    'This run did not write these 2 files: they are the ones shipped with the repository or left from an earlier run, not reproduced here. Polis data was not found.',
    '',
    '- 05_polis_agree_rates.png (figure)',
    '- 05_polis_recovery.md (table)',
  ].join('\n')), text);
  assert.ok(text.includes('- [05_polis_agree_rates.png](05_polis_agree_rates.png) ([interactive](05_polis_agree_rates.html)) — **not regenerated in this run** (shipped with the repository or left from an earlier run)\n'));
  assert.ok(text.includes('- [02_quickstart_reward_curves.png](02_quickstart_reward_curves.png) ([interactive](02_quickstart_reward_curves.html))\n'), 'fresh figure unmarked');
  assert.ok(text.includes('## 05_polis_recovery\n\n*Not regenerated in this run (shipped with the repository or left from an earlier run).*\n\n| conversation | steps |'));
  assert.ok(text.includes('## 02_quickstart_reward_auc\n\n| method | auc |'), 'fresh table unmarked');
  assert.equal(text.match(/not regenerated in this run/gi)!.length, 3, 'section title, one figure mark, one table mark, nothing else');
});

test('collectResults: no section when everything is fresh; "not checked" when there is no start record', () => {
  const { dir, record } = figuresFolder();
  for (const f of ['05_polis_recovery.md', '05_polis_agree_rates.png']) utimesSync(join(dir, f), Date.UTC(2026, 11, 1, 4) / 1000, Date.UTC(2026, 11, 1, 4) / 1000);
  const fresh = collectResults({ dir, record, date: '2026-12-01' });
  assert.deepEqual(fresh.stale, []);
  assert.doesNotMatch(readFileSync(fresh.results, 'utf8'), /not regenerated|not checked/i);
  const unchecked = collectResults({ dir, record: join(dir, 'absent.json'), date: '2026-12-01' });
  assert.equal(unchecked.stale, undefined);
  assert.match(readFileSync(unchecked.results, 'utf8'), /## Regeneration not checked\n\nNo record of the run's start \(.*absent\.json\): these files may be from earlier runs\./);
});
