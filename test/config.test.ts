/**
 * One source per configuration: GRPO_CONFIG_KEYS gives the defaults, the checks, the known keys and
 * the README table; the README's table must equal the generated one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { configTable, GRPO_CONFIG_KEYS, resolveConfig, RESUME_CHECKED_KEYS, type GRPOConfig } from '../src/trainer/config';
import { renderReadmeConfigTables } from '../src/trainer/configTables';
import { GROUP_ROBUST_CONFIG_KEYS, GROUP_ROBUST_DEFAULTS, resolveGroupRobustConfig, type GroupRobustConfig } from '../src/robust/config';

test('README.md shows the configuration tables generated from the code (npx tsx scripts/config-table.ts --write)', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  assert.equal(renderReadmeConfigTables(readme), readme);
  assert.ok(readme.includes(configTable(GRPO_CONFIG_KEYS)));
  assert.ok(readme.includes(configTable(GROUP_ROBUST_CONFIG_KEYS)));
});

test('configTable: one row per key, in declaration order, with default and doc', () => {
  const lines = configTable(GRPO_CONFIG_KEYS).split('\n');
  const names = Object.keys(GRPO_CONFIG_KEYS);
  assert.equal(lines.length, 2 + names.length);
  assert.equal(lines[0], '| key | default | meaning |');
  assert.deepEqual(lines.slice(2).map((l) => /^\| `([a-z_]+)` \|/.exec(l)?.[1]), names);
  assert.equal(lines[2], `| \`num_generations\` | \`8\` | ${GRPO_CONFIG_KEYS.num_generations.doc} |`);
  assert.ok(lines.includes(`| \`epsilon_high\` | epsilon | ${GRPO_CONFIG_KEYS.epsilon_high.doc} |`));
  // A '|' inside a doc is escaped so that it stays one cell.
  const piped = configTable({ k: { default: 1, doc: 'a | b', check: () => undefined } });
  assert.equal(piped.split('\n')[2], '| `k` | `1` | a \\| b |');
});

test('resolveConfig: the defaults come from GRPO_CONFIG_KEYS, computed ones from earlier keys and the policy', () => {
  const r = resolveConfig({}, 7);
  assert.equal(r.num_generations, 8);
  assert.equal(r.prompts_per_step, 16);
  assert.equal(r.num_iterations, 1);
  assert.equal(r.epsilon, 0.2);
  assert.equal(r.epsilon_high, 0.2);
  assert.equal(r.beta, 0.04);
  assert.equal(r.loss_type, 'grpo');
  assert.equal(r.learning_rate, 1e-3);
  assert.equal(r.max_grad_norm, 1);
  assert.equal(r.temperature, 1);
  assert.equal(r.max_completion_length, 7);
  assert.equal(r.seed, 0);
  assert.equal(r.advantage, 'grpo');
  assert.deepEqual(Object.keys(r), Object.keys(GRPO_CONFIG_KEYS));
  assert.equal(resolveConfig({ epsilon: 0.1 }, 1).epsilon_high, 0.1);
  assert.equal(resolveConfig({ epsilon: 0.1, epsilon_high: 0.28 }, 1).epsilon_high, 0.28);
  // The checkpoint compares every key but the estimator object(s).
  assert.ok(RESUME_CHECKED_KEYS.includes('learning_rate') && !RESUME_CHECKED_KEYS.includes('advantage'));
});

test('resolveConfig: unknown keys and bad values are errors naming the key', () => {
  const known = Object.keys(GRPO_CONFIG_KEYS).join(', ');
  assert.throws(() => resolveConfig({ lr: 0.1 } as GRPOConfig, 1), { message: `GRPOConfig has unknown key 'lr' (known keys: ${known})` });
  assert.throws(() => resolveConfig({ num_generations: 0 }, 1), { message: 'GRPOConfig.num_generations must be an integer >= 1, got 0' });
  assert.throws(() => resolveConfig({ beta: '0.1' as unknown as number }, 1), { message: 'GRPOConfig.beta must be a finite number >= 0, got a string ("0.1")' });
  assert.throws(() => resolveConfig({ max_completion_length: 3 }, 4), { message: "GRPOConfig.max_completion_length must be an integer >= the policy's maxLength (4), got 3" });
  assert.throws(() => resolveConfig({ num_generations: 1 }, 1), /GRPOConfig.num_generations must be >= 2 with advantage 'grpo'/);
  assert.equal(resolveConfig({ num_generations: 1, advantage: 'pgrpo' }, 1).num_generations, 1);
  assert.throws(() => resolveConfig(null as unknown as GRPOConfig, 1), { message: 'GRPOConfig must be an object' });
});

test('group-robust configuration: the same mechanism, its own messages kept', () => {
  const r = resolveGroupRobustConfig({ eta_alpha: 0.5, seed: undefined });
  assert.deepEqual(r, { ...GROUP_ROBUST_DEFAULTS, eta_alpha: 0.5 });
  assert.deepEqual(GROUP_ROBUST_DEFAULTS, {
    loss_type: 'sigmoid', weighting: 'robust', importance_weights: 'balanced', beta: 1, learning_rate: 0.1, eta_alpha: 0.05,
    batch_size: 32, optimizer: 'sgd', variant: 'paper', reference: 'initial', seed: 0, log_every: 50, pair_log_ratios: true,
  });
  assert.throws(() => resolveGroupRobustConfig({ lr: 1 } as GroupRobustConfig), /^Error: GroupRobustConfig has unknown key 'lr' \(known keys: loss_type, weighting, /);
  assert.throws(() => resolveGroupRobustConfig({ variant: 'x' as 'paper' }), { message: `GroupRobustConfig.variant must be one of 'paper', 'authors_code', got "x"` });
  assert.throws(() => resolveGroupRobustConfig({ batch_size: 0 }), { message: 'GroupRobustConfig.batch_size must be a positive integer, got 0' });
  assert.throws(() => resolveGroupRobustConfig({ beta: '0.1' as unknown as number }), { message: 'GroupRobustConfig.beta must be a finite positive number, got a string ("0.1")' });
  assert.throws(() => resolveGroupRobustConfig(null as unknown as GroupRobustConfig), { message: 'GroupRobustConfig must be an object' });
});
