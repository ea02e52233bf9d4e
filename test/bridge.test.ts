import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { initBackend } from '../src/backend';
import { ALL_GROUPS, frameToRecords, type MetricRecord } from '../src/frames';
import { Rng } from '../src/random';
import {
  categoricalPolicyFor,
  loadPairwise,
  loadPolisConversation,
  loadScored,
  pairsFromFrame,
  polisPairs,
  polisSelection,
  polisTask,
  tabularLogLinearOptions,
  taskFromScored,
  type ScoredPrompt,
  type ScoredRow,
} from '../src/data';
import { GroupRobustTrainer, LogLinearPolicy } from '../src/robust';
import { polisPreferenceTable } from '../src/studies';
import { GRPOTrainer, tableTask } from '../src/trainer';

const FIXTURES = join(__dirname, 'fixtures');
const USER_SCORED = join(FIXTURES, 'user-scored.csv');
const USER_PAIRS = join(FIXTURES, 'user-pairs.csv');
const POLIS_DIR = join(FIXTURES, 'polis');

test('setup: cpu backend', async () => {
  await initBackend('cpu');
});

// ---------------------------------------------------------------------------------------------
// Scored CSV -> Task -> GRPO

test('taskFromScored: a user CSV becomes a task with the data shares, action set and looked-up rewards', () => {
  const task = taskFromScored(loadScored(USER_SCORED));
  assert.deepEqual(task.groups, ['expert', 'novice']);
  assert.equal(task.numResponses, 3);
  assert.deepEqual(task.responses.map((r) => r.id), ['terse', 'detailed', 'link']);
  assert.equal(task.responses[0]!.text, 'git reset --soft HEAD~1', 'text of the first row of the response');
  // expert has prompts q1, q2, q3 and novice q1 only: shares 3/4 and 1/4.
  assert.deepEqual(task.shares, [0.75, 0.25]);
  assert.deepEqual(task.prompts.map((p) => `${p.group}:${p.prompt_id}`), ['expert:q1', 'expert:q2', 'expert:q3', 'novice:q1']);
  assert.equal(task.featureDim, 0);
  assert.deepEqual(task.skipped, []);
  // Mean over the group's prompts: expert terse (1 + 0.8 + 0.9) / 3, detailed (0.2 + 0.4 + 0) / 3, link (0 + 0 + 0.2) / 3.
  const close = (a: readonly number[], b: readonly number[]) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-12, `${x} vs ${b[i]}`));
  close(task.rewardTable.expert!, [0.9, 0.2, 0.2 / 3]);
  close(task.rewardTable.novice!, [0, 0.9, 0.3]);
  assert.equal(task.reward('q2', 'expert', 'detailed'), 0.4);

  // The reward function reads the drawn prompt's data prompt_id, whatever the batch index in its id.
  const fn = task.rewardFunctions[0]!;
  assert.equal(fn.name, 'scored');
  const q3: ScoredPrompt = { id: 'q3#7', prompt_id: 'q3', text: 'How do I drop a stash?', group: 'expert', features: new Float32Array(0) };
  assert.equal(fn.fn([0], q3), 0.9);
  assert.equal(fn.fn([2], q3), 0.2);
  assert.throws(() => fn.fn([3], q3), /response index 3 is outside 0\.\.2/);

  // Sampling: only the data's (prompt, group) combinations, groups with the shares.
  const drawn = task.samplePrompts(4000, new Rng(11)) as ScoredPrompt[];
  const combos = new Set(drawn.map((p) => `${p.group}:${p.prompt_id}`));
  assert.deepEqual([...combos].sort(), ['expert:q1', 'expert:q2', 'expert:q3', 'novice:q1']);
  const novice = drawn.filter((p) => p.group === 'novice').length / drawn.length;
  assert.ok(Math.abs(novice - 0.25) < 0.03, `novice share ${novice}`);
  assert.equal(drawn[5]!.id, `${drawn[5]!.prompt_id}#5`);
  assert.deepEqual(task.samplePrompts(30, new Rng(4)), task.samplePrompts(30, new Rng(4)), 'same rng, same prompts');
});

test('taskFromScored: options (groups, shares, responses, features) and their errors', () => {
  const frame = loadScored(USER_SCORED);
  const given = taskFromScored(frame, { shares: { expert: 1, novice: 3 }, responses: ['detailed', 'terse'], features: 'prompt-one-hot' });
  assert.deepEqual(given.shares, [0.25, 0.75]);
  assert.deepEqual(given.responses.map((r) => r.id), ['detailed', 'terse']);
  assert.deepEqual(given.rewardTable.novice, [0.9, 0]);
  assert.equal(given.featureDim, 3);
  const byPrompt = new Map((given.samplePrompts(40, new Rng(2)) as ScoredPrompt[]).map((p) => [p.prompt_id, Array.from(p.features)]));
  assert.deepEqual(byPrompt.get('q2'), [0, 1, 0]);
  const expertOnly = taskFromScored(frame, { groups: ['expert'] });
  assert.deepEqual(expertOnly.groups, ['expert']);
  assert.deepEqual(expertOnly.shares, [1]);
  assert.throws(() => taskFromScored(frame, { groups: ['expert', 'guru'] }), /group 'guru' is not in the data \(data: expert, novice\)/);
  assert.throws(() => taskFromScored(frame, { shares: { expert: 1 } }), /shares has no entry for group 'novice'/);
  assert.throws(() => taskFromScored(frame, { shares: { expert: 1, novice: NaN } }), /shares\['novice'\] must be a finite number >= 0, got NaN/);
  assert.throws(() => taskFromScored(frame, { shares: { expert: 1, novice: 1, guru: 1 } }), /shares names unknown group 'guru'/);
  assert.throws(() => taskFromScored(frame, { responses: ['terse'] }), /needs at least 2 responses/);
  assert.throws(() => taskFromScored(frame, { responses: ['terse', 'essay'] }), /response_id 'essay' is not in the data/);
  assert.throws(() => taskFromScored(frame, { missing: 'zero' as never }), /missing must be 'error' or 'skip-prompt', got 'zero'/);
  assert.throws(() => taskFromScored(frame, { share: {} } as never), /unknown option 'share'/);
  assert.throws(() => taskFromScored(frame, { features: { q1: [1], q2: [1, 2], q3: [0] } }), /features\['q2'\] has 2 values, expected 1/);
  const rows = frameToRecords<ScoredRow>(frame);
  assert.throws(() => taskFromScored([...rows, { ...rows[0]! }]), /duplicate key prompt_id='q1', group='expert', response_id='terse'/);
  assert.throws(() => taskFromScored(rows.map((r, i) => (i === 4 ? { ...r, reward: NaN } : r))), /row 5 \(prompt_id='q1', group='novice', response_id='detailed'\) has reward NaN/);
});

test('taskFromScored: a missing (prompt, group, response) is an error naming it, or an explicit skip', () => {
  const rows = frameToRecords<ScoredRow>(loadScored(USER_SCORED)).filter((r) => !(r.prompt_id === 'q2' && r.group === 'expert' && r.response_id === 'link'));
  assert.throws(() => taskFromScored(rows), /no reward for prompt_id='q2', group='expert', response_id='link'; every \(prompt_id, group\).*missing: 'skip-prompt'/);
  const twoMissing = rows.filter((r) => !(r.prompt_id === 'q1' && r.group === 'novice' && r.response_id === 'terse'));
  assert.throws(() => taskFromScored(twoMissing), /response_id='link' \(2 missing combinations in all\)/);
  const task = taskFromScored(rows, { missing: 'skip-prompt' });
  assert.deepEqual(task.skipped, [{ prompt_id: 'q2', group: 'expert', missing: ['link'] }]);
  assert.deepEqual(task.prompts.map((p) => `${p.group}:${p.prompt_id}`), ['expert:q1', 'expert:q3', 'novice:q1']);
  assert.deepEqual(task.shares, [0.75, 0.25], 'shares count every prompt of the data, skipped ones too');
  assert.ok(Math.abs(task.rewardTable.expert![0]! - 0.95) < 1e-12, 'mean over the kept prompts q1 and q3');
  const drawn = task.samplePrompts(500, new Rng(1)) as ScoredPrompt[];
  assert.ok(!drawn.some((p) => p.prompt_id === 'q2' && p.group === 'expert'), 'a skipped prompt is never drawn');
  // A group whose every prompt is incomplete cannot be trained on.
  assert.throws(() => taskFromScored(twoMissing, { missing: 'skip-prompt' }), /group 'novice' has no prompt with a reward for every response/);
});

function meanOf(records: readonly MetricRecord[], group: string, steps: [number, number]): number {
  const xs = records.filter((r) => r.metric === 'reward_mean' && r.group === group && r.step >= steps[0] && r.step <= steps[1]).map((r) => r.value);
  assert.ok(xs.length > 0, `no reward_mean for ${group} in steps ${steps}`);
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

test('user CSV -> loadScored -> taskFromScored -> GRPOTrainer: both groups gain reward, deterministically', () => {
  const run = () => {
    const task = taskFromScored(loadScored(USER_SCORED));
    const policy = categoricalPolicyFor(task, { seed: 0 });
    assert.equal(policy.vocabSize, task.numResponses);
    const trainer = new GRPOTrainer(policy, task, { num_generations: 8, prompts_per_step: 16, learning_rate: 0.05, beta: 0, seed: 0 });
    try {
      return trainer.train(40);
    } finally {
      trainer.dispose();
      policy.dispose();
    }
  };
  const a = run();
  assert.deepEqual(run(), a, 'same seed, same metrics');
  // Measured: expert 0.605 -> 0.917, novice 0.490 -> 0.900 (each group's best response earns 0.9 on average over its prompts).
  for (const group of ['expert', 'novice']) {
    const start = meanOf(a, group, [1, 5]);
    const end = meanOf(a, group, [36, 40]);
    assert.ok(end > start + 0.2, `${group}: reward ${start.toFixed(3)} -> ${end.toFixed(3)}`);
    assert.ok(end <= 1, `${group}: reward ${end} above the data's largest reward`);
  }
  assert.ok(a.some((r) => r.metric === 'rewards/scored/mean'), 'the reward function appears under its name');
});

// ---------------------------------------------------------------------------------------------
// Pairwise CSV -> pairs -> group-robust training

test('pairsFromFrame: a user pairwise CSV becomes indexed pairs with one-hot prompt states', () => {
  const pairs = pairsFromFrame(loadPairwise(USER_PAIRS));
  assert.deepEqual(pairs.group_names, ['expert', 'novice']);
  assert.deepEqual(pairs.prompts, ['q1', 'q2']);
  assert.deepEqual(pairs.responses, [
    'git reset --soft HEAD~1', 'See the git book.', 'Three steps: check the log and reset softly.', 'git branch -m new-name',
    'Switch to the branch, rename it, push the new name.',
  ]);
  assert.equal(pairs.num_responses, 5);
  assert.deepEqual(pairs.chosen, [0, 0, 2, 3, 3, 4, 4]);
  assert.deepEqual(pairs.rejected, [1, 2, 0, 1, 4, 1, 3]);
  assert.deepEqual(pairs.group_index, [0, 0, 1, 0, 0, 0, 1]);
  assert.deepEqual(pairs.states, [[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1], [0, 1]]);
  assert.deepEqual(pairs.pair_prompts, ['q1', 'q1', 'q1', 'q2', 'q2', 'q2', 'q2']);
  const novice = pairsFromFrame(loadPairwise(USER_PAIRS), { groups: ['novice'] });
  assert.deepEqual([novice.chosen, novice.rejected, novice.group_index, novice.num_responses], [[0, 2], [1, 3], [0, 0], 4]);

  const rows = frameToRecords<Record<string, unknown>>(loadPairwise(USER_PAIRS));
  assert.throws(() => pairsFromFrame(rows.map((r, i) => (i === 2 ? { ...r, weight: 0.5 } : r))), /row 3 has weight 0\.5.*ignore_weights: true/);
  assert.equal(pairsFromFrame(rows.map((r, i) => (i === 2 ? { ...r, weight: 0.5 } : r)), { ignore_weights: true }).chosen.length, 7);
  assert.throws(() => pairsFromFrame(rows.map((r, i) => (i === 1 ? { ...r, rejected: r.chosen } : r))), /row 2 has the same response as chosen and rejected/);
  assert.throws(() => pairsFromFrame(rows, { response_key: 'id' }), /row 1 has no 'chosen_id'/);
  assert.throws(() => pairsFromFrame(rows, { groups: ['guru'] }), /group 'guru' is not in the data/);
  assert.throws(() => pairsFromFrame([]), /the data has no pairs/);
});

test('user pairwise CSV -> loadPairwise -> pairsFromFrame -> GroupRobustTrainer (GR-DPO): starts at ln 2, lowers the worst group loss, deterministic', () => {
  const run = () => {
    const pairs = pairsFromFrame(loadPairwise(USER_PAIRS));
    const policy = new LogLinearPolicy(tabularLogLinearOptions(pairs));
    const trainer = new GroupRobustTrainer(policy, pairs, { variant: 'authors_code', learning_rate: 0.5, eta_alpha: 0.5, log_every: 10 });
    try {
      trainer.train(30);
      trainer.evaluate();
      return { records: trainer.metrics(), alpha: trainer.alpha };
    } finally {
      trainer.dispose();
      policy.dispose();
    }
  };
  const result = run();
  assert.deepEqual(run(), result, 'same data and config, same metrics');
  const at = (step: number, group: string, metric: string) => {
    const r = result.records.find((x) => x.step === step && x.group === group && x.metric === metric);
    assert.ok(r, `no ${metric} for ${group} at step ${step}`);
    return r.value;
  };
  // theta = 0 and a reference equal to it: every margin is 0, so every pair's DPO loss is -log sigmoid(0) = ln 2.
  for (const g of ['expert', 'novice']) assert.ok(Math.abs(at(0, g, 'train_loss') - Math.LN2) < 1e-6, `${g} loss at step 0`);
  const worst0 = at(0, ALL_GROUPS, 'worst_group_train_loss');
  const worst30 = at(30, ALL_GROUPS, 'worst_group_train_loss');
  assert.ok(worst30 < worst0 - 0.05, `worst-group loss ${worst0} -> ${worst30}`);
  assert.ok(Math.abs(result.alpha.reduce((a, b) => a + b, 0) - 1) < 1e-9);

  // The same pairs train a group-conditioned categorical MLP (prompt one-hot as features).
  const pairs = pairsFromFrame(loadPairwise(USER_PAIRS));
  const mlp = categoricalPolicyFor(pairs, { seed: 0 });
  assert.deepEqual([mlp.vocabSize, mlp.featureDim, mlp.groups], [5, 2, ['expert', 'novice']]);
  const trainer = new GroupRobustTrainer(mlp, pairs, { variant: 'authors_code', learning_rate: 0.05, optimizer: 'adam', log_every: 20 });
  try {
    trainer.train(20);
    trainer.evaluate();
    const loss = (step: number) => trainer.metrics().find((x) => x.step === step && x.group === ALL_GROUPS && x.metric === 'worst_group_train_loss')!.value;
    assert.ok(Math.abs(loss(0) - Math.LN2) < 1e-6);
    assert.ok(loss(20) < loss(0) - 0.05, `MLP worst-group loss ${loss(0)} -> ${loss(20)}`);
  } finally {
    trainer.dispose();
    mlp.dispose();
  }
});

// ---------------------------------------------------------------------------------------------
// Polis: groups without votes handled explicitly

test('Polis: a group without votes is an error naming it, or an explicit skip; never NaN', () => {
  const conv = loadPolisConversation('tiny-silent-group', { dir: POLIS_DIR, min_votes: 1 });
  // The failure the bridge avoids: group 2 voted on nothing, so its agree rates are NaN in the votes table.
  assert.ok(frameToRecords<{ group: string; agree_rate: number }>(conv.votes).filter((v) => v.group === '2').every((v) => Number.isNaN(v.agree_rate)));
  assert.throws(
    () => polisTask('tiny-silent-group', { dir: POLIS_DIR, min_votes: 1 }),
    /Polis conversation 'tiny-silent-group': opinion group '2' \(1 participants\) has no statement with enough votes \(min_votes = 1\).*groups_without_votes: 'skip'/,
  );
  // With the default min_votes = 5 no group of this tiny fixture qualifies; the first (largest) is named.
  assert.throws(() => polisSelection('tiny-silent-group', { dir: POLIS_DIR }), /opinion group '0' \(2 participants\).*min_votes = 5/);
  assert.throws(() => polisSelection(conv, { dir: POLIS_DIR }), /dir apply when loading/);

  const options = { dir: POLIS_DIR, min_votes: 1, groups_without_votes: 'skip' as const };
  const task = polisTask('tiny-silent-group', options);
  assert.deepEqual(task.selection.skipped_groups, ['2']);
  assert.deepEqual(task.groups, ['0', '1']);
  assert.deepEqual(task.shares, [0.5, 0.5]);
  // Statements by votes (4, 4, 3; ties by id). Group 0: statement 0 agree 2/2, 1 agree 0/2 (one pass), 2 agree 1/2; group 1: 0/2, 2/2, 1/1.
  assert.deepEqual(task.responses.map((r) => r.id), ['0', '1', '2']);
  assert.deepEqual(task.responses.map((r) => r.text), ['Raise the wage', 'Keep the wage', 'Relief for small business']);
  assert.deepEqual(task.rewardTable, { '0': [1, 0, 0.5], '1': [0, 1, 1] });
  assert.deepEqual(polisSelection(conv, { groups_without_votes: 'skip' }).statements, ['0', '1', '2']);
  const table = polisPreferenceTable('tiny-silent-group', options);
  assert.deepEqual([table.groups, table.shares, table.sizes, table.statements, table.rewardTable, table.skipped_groups],
    [['0', '1'], [0.5, 0.5], [2, 2], ['0', '1', '2'], { '0': [1, 0, 0.5], '1': [0, 1, 1] }, ['2']]);
  // One prompt per group: the same group stream as tableTask with the same shares and seed.
  const base = tableTask({ groups: task.groups, shares: task.shares, rewardTable: task.rewardTable });
  assert.deepEqual(task.samplePrompts(50, new Rng(3)).map((p) => p.group), base.samplePrompts(50, new Rng(3)).map((p) => p.group));

  const pairs = polisPairs('tiny-silent-group', { ...options, margin: 0.1 });
  assert.deepEqual(pairs.group_names, ['0', '1']);
  assert.deepEqual(pairs.responses, ['0', '1', '2']);
  // Group 0: 0>1, 0>2, 2>1; group 1: 1>0, 2>0 (1 and 2 tie and never pair).
  assert.deepEqual([pairs.chosen, pairs.rejected, pairs.group_index], [[0, 0, 2, 1, 2], [1, 2, 1, 0, 0], [0, 0, 0, 1, 1]]);
  assert.deepEqual(pairs.states, [[1], [1], [1], [1], [1]]);
  assert.throws(() => polisPairs('tiny-silent-group', { ...options, margin: 1.01 }), /group '0' has no statement pair with agree rates at least 1.01 apart/);
});
