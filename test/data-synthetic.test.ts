import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { frameToRecords } from '../src/frames';
import {
  allocateByShare,
  BANDIT_PRESETS,
  banditPreset,
  generateBandit,
  groupSizes,
  loadPairwise,
  loadScored,
  minorityGroups,
  personaCandidates,
  personaReward,
  personaRewardBreakdown,
  personaRewardFunctions,
  personaTask,
  PERSONAS,
  rewardLookup,
  SHIPPED_FILES,
  trainerReward,
  writeSyntheticData,
  type BanditOptions,
} from '../src/data';

test('allocateByShare: largest remainder, at least one prompt per group', () => {
  assert.deepEqual(allocateByShare([0.8, 0.2], 20), [16, 4]);
  assert.deepEqual(allocateByShare([0.95, 0.05], 20), [19, 1]);
  assert.deepEqual(allocateByShare([0.6, 0.3, 0.1], 10), [6, 3, 1]);
  // 20 x persona shares = 6, 4, 3, 2.4, 2, 1.6, 1: floors sum to 19, the 0.6 remainder gets the last one.
  assert.deepEqual(allocateByShare(PERSONAS.map((p) => p.share), 20), [6, 4, 3, 2, 2, 2, 1]);
  assert.deepEqual(allocateByShare([0.99, 0.01], 10), [9, 1]);
  assert.throws(() => allocateByShare([0.5, 0.5], 1), /num_prompts must be an integer >= the number of groups \(2\), got 1/);
});

test('bandit presets: two-group splits have one conflicting top each, warm start imitates the majority', () => {
  for (const [name, share] of [['bandit-80-20', 0.8], ['bandit-90-10', 0.9], ['bandit-95-5', 0.95]] as const) {
    const { spec, rows, scored } = banditPreset(name);
    assert.deepEqual(spec.groups, ['majority', 'minority']);
    assert.deepEqual(spec.shares, [share, Math.round((1 - share) * 100) / 100]);
    assert.equal(spec.responses.length, 8);
    const maj = spec.rewardTable.majority!;
    const min = spec.rewardTable.minority!;
    assert.deepEqual([...maj].sort(), [0, 0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual([...min].sort(), [0, 0, 0, 0, 0, 0, 0, 1]);
    assert.notEqual(maj.indexOf(1), min.indexOf(1), `${name}: tops must differ (overlap 0)`);
    assert.deepEqual(spec.warmStart!.responses, [spec.responses[maj.indexOf(1)]]);
    assert.deepEqual(spec.features, [[1, 0], [0, 1]]);
    assert.deepEqual(scored.shape, [160, 6]);
    const sizes = frameToRecords(groupSizes(rows, { by: 'prompts' }));
    assert.deepEqual(sizes.map((s) => [s.group, s.size]), [['majority', share * 20], ['minority', 20 - share * 20]]);
    assert.deepEqual(minorityGroups(scored), ['minority']);
    // Pooled expected reward of each group's favourite equals that group's share.
    const pooled = spec.responses.map((_, k) => share * maj[k]! + (1 - share) * min[k]!);
    assert.ok(Math.abs(Math.max(...pooled) - share) < 1e-12);
  }
});

test('bandit-3-groups: the compromise wins the worst group, the majority favourite wins the average', () => {
  const { spec } = banditPreset('bandit-3-groups');
  const { groups, shares, rewardTable } = spec;
  const K = spec.responses.length;
  const shared = spec.responses.map((_, k) => k).filter((k) => groups.every((g) => rewardTable[g]![k] === 0.6));
  assert.equal(shared.length, 1, 'exactly one shared (overlap) response, rated 0.6 by all');
  for (const g of groups) {
    const r = rewardTable[g]!;
    assert.equal(r.filter((x) => x === 1).length, 1);
    assert.ok(r.every((x) => x === 1 || x === 0.6 || (x >= 0 && x <= 0.3 && Math.abs(Math.round(x * 100) - x * 100) < 1e-9)), `${g}: ${r}`);
  }
  const avg = Array.from({ length: K }, (_, k) => groups.reduce((s, g, i) => s + shares[i]! * rewardTable[g]![k]!, 0));
  const worst = Array.from({ length: K }, (_, k) => Math.min(...groups.map((g) => rewardTable[g]![k]!)));
  assert.equal(avg.indexOf(Math.max(...avg)), rewardTable.a!.indexOf(1), 'average optimum = majority favourite');
  assert.equal(worst.indexOf(Math.max(...worst)), shared[0], 'worst-group optimum = compromise');
  assert.deepEqual(minorityGroups(banditPreset('bandit-3-groups').rows, { by: 'prompts' }), ['c', 'b']);
  assert.ok(Object.values(BANDIT_PRESETS).every((p) => p.why.length > 40), 'each preset says what it tests');
});

test('generateBandit: deterministic per seed, overlap honoured, bad options named', () => {
  const base: BanditOptions = { name: 't', groups: ['x', 'y', 'z'], shares: [0.5, 0.3, 0.2], num_responses: 12, top_k: 3, overlap: 2, reward_type: 'binary', num_prompts: 10, seed: 5 };
  const a = generateBandit(base);
  assert.deepEqual(generateBandit(base).spec, a.spec);
  const tops = (t: number[]) => t.map((v, k) => (v === 1 ? k : -1)).filter((k) => k >= 0);
  const [tx, ty, tz] = ['x', 'y', 'z'].map((g) => tops(a.spec.rewardTable[g]!));
  assert.equal(tx!.length, 3);
  assert.deepEqual(tx!.filter((k) => ty!.includes(k) && tz!.includes(k)).length, 2);
  assert.equal(new Set([...tx!, ...ty!, ...tz!]).size, 2 + 3);
  const seeds = new Set([1, 2, 3, 4, 5, 6].map((seed) => JSON.stringify(generateBandit({ ...base, seed }).spec.rewardTable)));
  assert.ok(seeds.size > 1, 'different seeds place the tops differently');
  assert.equal(generateBandit({ ...base, features: 'constant' }).spec.features!.length, 3);
  // Lookup through the trainer adapter on generated data.
  const reward = trainerReward(rewardLookup(a.scored), a.spec.responses);
  assert.equal(reward(tx![0]!, { id: 'p000', group: 'x' }), 1);
  assert.throws(() => generateBandit({ ...base, shares: [0.5, 0.3, 0.3] }), /shares must be positive and sum to 1/);
  assert.throws(() => generateBandit({ ...base, num_responses: 5 }), /num_responses must be an integer >= 6/);
  assert.throws(() => generateBandit({ ...base, overlap: 4 }), /overlap must be an integer in 0\.\.top_k \(3\), got 4/);
  assert.throws(() => generateBandit({ ...base, groups: ['x'] , shares: [1] }), /at least 2 groups/);
  assert.throws(() => banditPreset('nope'), /unknown bandit preset 'nope' \(known: bandit-80-20/);
});

test('persona rewards: hand-checked breakdowns on arbitrary text', () => {
  const formalJazz = personaCandidates().find((c) => c.id === 'formal-jazz')!.text;
  assert.equal(personaReward('formal-jazz', formalJazz), 1);
  // Genre 1 (jazz only); formal markers: has '!', has "it's", mean sentence 14/3 words, no formal word -> style 0.
  const casual = "Hey, you gotta try Miles Davis! That jazz stuff is awesome. It's so good!";
  assert.deepEqual(personaRewardBreakdown('formal-jazz', casual), {
    reward: 0.5, genre: 1, style: 0,
    markers: { 'no exclamation marks': false, 'no contractions': false, 'long sentences (mean >= 12 words)': false, 'formal vocabulary': false },
  });
  assert.equal(personaReward('casual-rock', casual), 0.5); // style 1, genre 0
  // Two genres named -> genre 0.5; casual: '!' yes, contraction no, 4-word sentence yes, casual word no -> 0.5.
  assert.equal(personaReward('casual-rock', 'Rock and jazz tonight!'), 0.5);
  // Rhyme slow/grow, two lines, imagery (river, golden); no genre.
  const poem = 'The river runs so slow,\nwhere golden willows grow';
  assert.deepEqual(personaRewardBreakdown('poetic-country', poem).markers, { 'rhyming line ends': true, 'several lines': true, imagery: true });
  assert.equal(personaReward('poetic-country', poem), 0.5);
  assert.equal(personaReward('poetic-country', poem + '\nwith a banjo'), 1);
  // Whole words only: "wrap" is not rap, "rapid" is not rap.
  assert.equal(personaReward('casual-hiphop', 'wrap it up, rapid'), 0.5 * 0 + 0.5 * 0.25);
  assert.equal(personaReward('casual-hiphop', 'Rap!'), 0.5 + 0.5 * 0.5);
  // The empty text meets formal's two "absence" markers only.
  assert.equal(personaReward('formal-jazz', ''), 0.25);
  assert.throws(() => personaReward('punk', 'x'), /unknown persona 'punk' \(known: casual-rock/);
});

test('persona task: each persona has exactly its own candidate at reward 1; shares make minorities', () => {
  const task = personaTask();
  assert.equal(PERSONAS.length, 7);
  assert.ok(Math.abs(PERSONAS.reduce((s, p) => s + p.share, 0) - 1) < 1e-12);
  for (const p of PERSONAS) {
    const best = task.candidates.filter((c) => task.spec.rewardTable[p.name]![task.spec.responses.indexOf(c.id)] === 1);
    assert.deepEqual(best.map((c) => c.id), [p.name]);
  }
  assert.deepEqual(task.scored.shape, [20 * 18, 6]);
  // By prompts: 6, 4, 3, 2, 2, 2, 1 of 20; below 1/7 (2.86 prompts): the four smallest (ties listed by name, reversed).
  assert.deepEqual(minorityGroups(task.rows, { by: 'prompts' }), ['casual-country', 'poetic-jazz', 'poetic-country', 'formal-jazz']);
  const fns = personaRewardFunctions();
  assert.deepEqual(Object.keys(fns), PERSONAS.map((p) => p.name));
  assert.equal(fns['poetic-jazz']!(task.candidates.find((c) => c.id === 'poetic-jazz')!.text), 1);
  assert.deepEqual(task.spec.warmStart!.responses, ['casual-rock']);
});

test('shipped data: regenerated files are byte-identical, small, and load with the validating loaders', () => {
  const shipped = resolve(__dirname, '..', 'data');
  const tmp = mkdtempSync(join(tmpdir(), 'hpa-data-shipped-'));
  const written = writeSyntheticData(tmp);
  assert.deepEqual(written.map((p) => basename(p)).sort(), [...SHIPPED_FILES].sort());
  let total = 0;
  for (const path of written) {
    const name = basename(path);
    const fresh = readFileSync(path);
    const committed = readFileSync(join(shipped, name));
    assert.ok(fresh.equals(committed), `data/${name} differs from a fresh run of scripts/generate-data.ts`);
    total += statSync(path).size;
  }
  assert.ok(total < 200 * 1024, `shipped synthetic data is ${total} bytes`);
  for (const name of SHIPPED_FILES.filter((f) => f.endsWith('.csv') && !f.includes('pairwise'))) {
    const df = loadScored(join(shipped, name));
    assert.ok(df.shape[0] > 0, name);
  }
  const pairs = loadPairwise(join(shipped, 'bandit-80-20-pairwise.csv'));
  assert.equal(pairs.shape[0], 20 * 7, 'each prompt: its group top beats the 7 others');
});
