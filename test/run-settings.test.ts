/**
 * Run settings (issue 15): smoke/full is resolved when an experiment is planned, from an explicit mode
 * (default: the runtime's), never at import; only src/backend.ts and src/runtime.ts read the environment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { defineExperiment, planExperiment } from '../src/experiments';
import { getExperiment, loadExperimentLibrary } from '../src/experiments/registry';
import { childProcessEnv, runMode, SMOKE_ENV } from '../src/runtime';

const SRC = resolve(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Runs `fn` with HPA_SMOKE set to `value` (undefined: unset), restoring it afterwards. */
function withSmokeEnv<T>(value: string | undefined, fn: () => T): T {
  const saved = process.env[SMOKE_ENV];
  if (value === undefined) delete process.env[SMOKE_ENV];
  else process.env[SMOKE_ENV] = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env[SMOKE_ENV];
    else process.env[SMOKE_ENV] = saved;
  }
}

test('only src/backend.ts and src/runtime.ts read process.env', () => {
  const readers = sourceFiles(SRC)
    .filter((file) => /process\.env\b/.test(readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')))
    .map((file) => relative(SRC, file).split('\\').join('/'))
    .sort();
  assert.deepEqual(readers, ['backend.ts', 'runtime.ts']);
});

test('no module of src/ calls bySize or isSmoke (library code takes the mode as a parameter)', () => {
  const callers = sourceFiles(SRC)
    .filter((file) => !file.endsWith('runtime.ts') && /\b(bySize|isSmoke)\(/.test(readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')))
    .map((file) => relative(SRC, file));
  assert.deepEqual(callers, []);
});

const spec = {
  name: 'sized',
  version: 1,
  methods: ['a', 'b'],
  seeds: { smoke: [0], full: [0, 1, 2] },
  sweep: { name: 'share', values: { smoke: [0.1], full: [0.05, 0.1, 0.2] } },
  config: (mode: 'smoke' | 'full') => ({ steps: { smoke: 5, full: 50 }[mode] }),
  run: () => [],
};

test('sweep values and config follow the mode passed to planExperiment, whatever HPA_SMOKE says', () => {
  const definition = defineExperiment(spec);
  for (const env of ['1', '0']) {
    withSmokeEnv(env, () => {
      const smoke = planExperiment(definition, { backend: 'cpu', mode: 'smoke' });
      assert.equal(smoke.mode, 'smoke');
      assert.deepEqual(smoke.sweep, { name: 'share', values: [0.1] });
      assert.deepEqual(smoke.config, { steps: 5 });
      assert.deepEqual(smoke.cells.map((c) => `${c.method}/${c.seed}/${c.sweepValue}`), ['a/0/0.1', 'b/0/0.1']);
      const full = planExperiment(definition, { backend: 'cpu', mode: 'full' });
      assert.deepEqual(full.sweep!.values, [0.05, 0.1, 0.2]);
      assert.deepEqual(full.config, { steps: 50 });
      assert.equal(full.cells.length, 2 * 3 * 3);
      assert.ok(full.cells.every((c) => c.config.steps === 50));
    });
  }
});

test('without a mode the plan takes the runtime mode at planning time, not at definition time', () => {
  const definition = withSmokeEnv('1', () => defineExperiment(spec));
  const plan = withSmokeEnv(undefined, () => planExperiment(definition, { backend: 'cpu' }));
  assert.equal(plan.mode, 'full');
  assert.deepEqual(plan.sweep!.values, [0.05, 0.1, 0.2]);
  assert.equal(withSmokeEnv('true', () => runMode()), 'smoke');
  assert.equal(withSmokeEnv('', () => runMode()), 'full');
});

test('the kit experiments resolve their sizes when planned: smoke and full plans of one loaded definition differ', () => {
  loadExperimentLibrary();
  const expected: Record<string, { smoke: [number, unknown]; full: [number, unknown] }> = {
    'minority-recovery-mild': { smoke: [2, 15], full: [4, 150] },
    'polis-recovery': { smoke: [1, 15], full: [4, 150] },
    'group-robust-linear': { smoke: [2, 60], full: [2, 1000] },
    'polis-group-robust': { smoke: [1, 60], full: [3, 1000] },
  };
  for (const [name, sizes] of Object.entries(expected)) {
    const definition = getExperiment(name);
    for (const mode of ['smoke', 'full'] as const) {
      const plan = planExperiment(definition, { backend: 'cpu', mode });
      assert.equal(plan.sweep!.values.length, sizes[mode][0], `${name} ${mode} sweep`);
      assert.equal((plan.config as { steps: number }).steps, sizes[mode][1], `${name} ${mode} steps`);
    }
  }
  const authors = planExperiment(getExperiment('group-robust-authors'), { backend: 'cpu', mode: 'full' });
  assert.deepEqual(authors.config, { steps: 2000, log_every: 100 });
  assert.equal(authors.seeds.length, 20);
});

test('sweep values by mode are validated like plain ones, naming the mode', () => {
  assert.throws(() => defineExperiment({ ...spec, sweep: { name: 'share', values: { smoke: [], full: [1] } } }), /sweep\.values\.smoke must be a non-empty array/);
  assert.throws(() => defineExperiment({ ...spec, sweep: { name: 'share', values: { smoke: [1], full: [1, 1] } } }), /sweep\.values\.full lists 1 twice/);
  assert.throws(() => planExperiment(defineExperiment(spec), { backend: 'cpu', mode: 'tiny' as 'smoke' }), /mode must be 'smoke' or 'full', got "tiny"/);
});

test('childProcessEnv applies overrides and removes variables set to undefined', () => {
  const env = childProcessEnv({ HPA_TEST_SETTING_A: 'x', PATH: undefined });
  assert.equal(env.HPA_TEST_SETTING_A, 'x');
  assert.equal('PATH' in env, false);
  assert.equal(process.env.HPA_TEST_SETTING_A, undefined, 'the process environment is not changed');
});
