/**
 * The tiny GRU language policy: vocabulary, corpus grammar, sampling (determinism, masks, top-k,
 * log-probs equal to evaluate's), save/reload, gradients, pre-training, the persona task, and no
 * tensor leaks over 200 trainer steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { PERSONAS, genreScore, personaReward } from '../src/data/personas';
import {
  BOS_ID,
  CORPUS_GENRES,
  CORPUS_STYLES,
  EOS_ID,
  GRULanguagePolicy,
  PAD_ID,
  WordVocabulary,
  detokenize,
  languagePolicyFromJSON,
  languagePolicyToJSON,
  loadLanguagePolicy,
  personaCompletions,
  personaEvalRecords,
  personaCorpus,
  personaLanguageTask,
  pretrainLanguagePolicy,
  saveLanguagePolicy,
  tokenizeText,
  writeDocument,
} from '../src/lm';
import { Rng } from '../src/random';
import { GRPOTrainer, createPGRPOTrainer, type Task } from '../src/trainer';

const TEXTS = ['hey, you gotta try jazz!', 'i recommend classical music.', 'a rock song of silver light,\nthe moon.'];
const VOCAB = WordVocabulary.fromTexts(TEXTS);

function tinyPolicy(opts: { seed?: number; maxLength?: number; topK?: number; featureDim?: number } = {}): GRULanguagePolicy {
  return new GRULanguagePolicy({ vocabulary: VOCAB, groups: ['a', 'b'], embeddingDim: 4, groupEmbeddingDim: 3, hiddenSize: 8, maxLength: 6, ...opts });
}

const CTX = { size: 2, features: new Float32Array(0), groups: ['a', 'b'] };

test('tokenizer and vocabulary: round trip, specials, clear errors', () => {
  const text = "hey, you gotta try jazz! it's awesome.\na rock song of silver light.";
  const toks = tokenizeText(text.toUpperCase());
  assert.deepEqual(toks.slice(0, 4), ['hey', ',', 'you', 'gotta']);
  assert.ok(toks.includes("it's") && toks.includes('<nl>'));
  assert.equal(detokenize(toks), text);
  assert.throws(() => tokenizeText('jazz & rock'), /character '&' at position 5/);
  assert.deepEqual(VOCAB.tokens.slice(0, 3), ['<pad>', '<eos>', '<bos>']);
  const ids = VOCAB.encode('hey, you gotta try jazz!');
  assert.equal(ids.at(-1), EOS_ID);
  assert.equal(VOCAB.decode([...ids, VOCAB.id('jazz'), PAD_ID]), 'hey, you gotta try jazz!');
  assert.equal(VOCAB.decode([BOS_ID, VOCAB.id('the'), VOCAB.id('moon'), PAD_ID, VOCAB.id('.')]), 'the moon.');
  assert.throws(() => VOCAB.encode('you gotta try polka'), /word 'polka'/);
  assert.throws(() => VOCAB.decode([999]), /id 999 at position 0/);
  assert.throws(() => new WordVocabulary(['<pad>', '<bos>', '<eos>']), /tokens\[1\] must be '<eos>'/);
  assert.throws(() => new WordVocabulary(['<pad>', '<eos>', '<bos>', 'x', 'x']), /'x' appears twice/);
});

test('corpus grammar: seeded, within 31 tokens, every document names its genre, every persona reachable with reward 1', () => {
  const a = personaCorpus({ count: 300, seed: 4 });
  const b = personaCorpus({ count: 300, seed: 4 });
  const c = personaCorpus({ count: 300, seed: 5 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.every((d) => tokenizeText(d.text).length <= 31), 'documents fit maxLength 32 with EOS');
  for (const d of a.filter((x) => x.kind !== 'two-genres')) assert.equal(genreScore(d.text, d.genre), 1, `document names its genre only: ${d.text}`);
  assert.ok(a.some((d) => d.kind === 'two-genres') && a.some((d) => d.kind === 'two-styles'));
  const rng = new Rng(0);
  for (const p of PERSONAS) {
    const best = Math.max(...Array.from({ length: 40 }, () => personaReward(p, writeDocument(p.style, p.genre, rng))));
    assert.equal(best, 1, `persona ${p.name} can get reward 1 from the grammar`);
  }
  assert.equal(CORPUS_STYLES.length * CORPUS_GENRES.length, 15);
  assert.throws(() => personaCorpus({ count: 0 }), /count must be a positive integer/);
});

test('sampling: same seed same completions; masks end at EOS; padding is token 0 with log-prob 0; log-probs equal evaluate', async () => {
  await initBackend('wasm');
  const policy = tinyPolicy({ seed: 2 });
  const s1 = policy.sample(CTX, 5, 1.3, new Rng(11));
  const s2 = policy.sample(CTX, 5, 1.3, new Rng(11));
  const s3 = policy.sample(CTX, 5, 1.3, new Rng(12));
  assert.deepEqual(s1, s2);
  assert.notDeepEqual(s1.tokens, s3.tokens);
  assert.equal(s1.rows, 10);
  assert.ok(s1.length >= 1 && s1.length <= 6);
  const T = s1.length;
  let sawPadding = false;
  for (let i = 0; i < s1.rows; i++) {
    let ended = false;
    for (let t = 0; t < T; t++) {
      const tok = s1.tokens[i * T + t]!;
      const m = s1.mask[i * T + t]!;
      assert.equal(m, ended ? 0 : 1, `row ${i} position ${t}: mask after EOS must be 0, before it 1`);
      if (ended) {
        sawPadding = true;
        assert.equal(tok, PAD_ID);
        assert.equal(s1.logProbs[i * T + t], 0);
      } else {
        assert.ok(tok !== PAD_ID && tok !== BOS_ID, 'pad and bos are never generated');
      }
      if (tok === EOS_ID) ended = true;
    }
  }
  assert.ok(sawPadding, 'this seed gives at least one early EOS');
  const ev = tf.tidy(() => policy.evaluate(CTX, tf.tensor2d(s1.tokens, [s1.rows, T], 'int32'), 1.3).logProbs.dataSync());
  for (let k = 0; k < ev.length; k++) {
    if (s1.mask[k]) assert.ok(Math.abs(ev[k]! - s1.logProbs[k]!) < 1e-4, `position ${k}: evaluate ${ev[k]} vs sample ${s1.logProbs[k]}`);
  }
  const bare = tf.tidy(() => {
    const out = policy.evaluate(CTX, tf.tensor2d(s1.tokens, [s1.rows, T], 'int32'), 1.3, { entropy: false });
    return { entropy: out.entropy, logProbs: out.logProbs.dataSync() };
  });
  assert.equal(bare.entropy, undefined, 'entropy: false skips the entropy');
  assert.deepEqual(bare.logProbs, ev, 'and leaves the log-probs as they are');
  assert.throws(() => policy.sample(CTX, 0, 1, new Rng(0)), /perContext/);
  assert.throws(() => policy.sample({ ...CTX, groups: ['a', 'z'] }, 1, 1, new Rng(0)), /unknown preference group 'z'/);
  assert.throws(() => policy.sample(CTX, 1, 0, new Rng(0)), /temperature/);
  assert.throws(() => tf.tidy(() => void policy.evaluate(CTX, tf.zeros([2, 7], 'int32') as tf.Tensor2D, 1)), /length 7, expected 1\.\.maxLength \(6\)/);
  assert.throws(() => tf.tidy(() => void policy.evaluate(CTX, tf.zeros([2, 3], 'float32') as tf.Tensor2D, 1)), /int32/);
  assert.throws(() => tf.tidy(() => void policy.evaluate(CTX, tf.zeros([3, 3], 'int32') as tf.Tensor2D, 1)), /3 rows, not a multiple of the 2 contexts/);
  assert.throws(
    () => new GRULanguagePolicy({ vocabulary: VOCAB, groups: ['a'], groupEmbeddingDim: 0 }),
    /featureDim \+ groupEmbeddingDim must be positive/,
  );
  assert.throws(() => new GRULanguagePolicy({ vocabulary: VOCAB, groups: ['a', 'a'] }), /groups lists 'a' twice/);
  policy.dispose();
});

test('topK is saved with the architecture; a file saved with the older name top_k still loads', async () => {
  await initBackend('cpu');
  const policy = tinyPolicy({ seed: 3, topK: 2 });
  const saved = languagePolicyToJSON(policy);
  assert.equal(saved.architecture.topK, 2);
  const { topK, ...rest } = saved.architecture;
  const older = { ...saved, architecture: { ...rest, top_k: topK } };
  for (const data of [saved, older]) {
    const loaded = languagePolicyFromJSON(JSON.parse(JSON.stringify(data)));
    assert.equal(loaded.topK, 2);
    assert.deepEqual(loaded.getWeights(), policy.getWeights());
    loaded.dispose();
  }
  policy.dispose();
});

test('topK = 1 samples the most likely token at every step, whatever the seed', async () => {
  await initBackend('wasm');
  const policy = tinyPolicy({ seed: 3, topK: 1 });
  const a = policy.sample(CTX, 3, 1, new Rng(1));
  const b = policy.sample(CTX, 3, 1, new Rng(99));
  assert.deepEqual(a.tokens, b.tokens);
  const T = a.length;
  const lp = tf.tidy(() => {
    // Full next-token distributions of the greedy rows: every sampled token must be the argmax.
    const ev = policy.evaluate(CTX, tf.tensor2d(a.tokens, [a.rows, T], 'int32'), 1);
    return ev.logProbs.dataSync();
  });
  policy.topK = 0;
  for (let i = 0; i < a.rows; i++) {
    for (let t = 0; t < T && a.mask[i * T + t]; t++) {
      // A token is the argmax iff no alternative has a higher log-prob: check by trying every token.
      for (let v = 1; v < VOCAB.size; v++) {
        if (v === BOS_ID) continue;
        const alt = Int32Array.from(a.tokens.subarray(i * T, (i + 1) * T));
        alt[t] = v;
        const altLp = tf.tidy(() => policy.evaluate({ ...CTX, size: 1, groups: [CTX.groups[Math.floor(i / 3)]!] }, tf.tensor2d(alt, [1, T], 'int32'), 1).logProbs.dataSync()[t]!);
        assert.ok(altLp <= lp[i * T + t]! + 1e-6, `row ${i} step ${t}: token ${v} is more likely than the greedy one`);
      }
    }
  }
  policy.dispose();
});

test('save and reload give the same log-probs and the same samples; bad files are clear errors', async () => {
  await initBackend('wasm');
  const policy = tinyPolicy({ seed: 4, featureDim: 2, maxLength: 12 });
  const ctx = { size: 2, features: Float32Array.from([1, 0, 0.5, 2]), groups: ['b', 'a'] };
  // Move the weights off their initial values so that a reload from the seed alone would differ.
  pretrainLanguagePolicy(policy, TEXTS.map((text) => ({ text })), { steps: 3, learning_rate: 0.05, featuresOf: (g) => (g === 'a' ? [1, 0] : [0, 1]) });
  const dir = mkdtempSync(join(tmpdir(), 'lm-'));
  const path = join(dir, 'sub', 'policy.json');
  saveLanguagePolicy(policy, path);
  const loaded = loadLanguagePolicy(path);
  assert.deepEqual(loaded.vocabulary.tokens, VOCAB.tokens);
  assert.equal(loaded.featureDim, 2);
  const s = policy.sample(ctx, 3, 1, new Rng(8));
  assert.deepEqual(loaded.sample(ctx, 3, 1, new Rng(8)), s);
  const tokens = () => tf.tensor2d(s.tokens, [s.rows, s.length], 'int32');
  const a = tf.tidy(() => policy.evaluate(ctx, tokens(), 1).logProbs.dataSync());
  const b = tf.tidy(() => loaded.evaluate(ctx, tokens(), 1).logProbs.dataSync());
  assert.deepEqual(b, a);
  const fresh = tinyPolicy({ seed: 4, featureDim: 2, maxLength: 12 });
  const c = tf.tidy(() => fresh.evaluate(ctx, tokens(), 1).logProbs.dataSync());
  assert.notDeepEqual(c, a);
  writeFileSync(join(dir, 'bad.json'), '{"format": "other"}');
  assert.throws(() => loadLanguagePolicy(join(dir, 'bad.json')), /bad\.json.*gru-language-policy/);
  assert.throws(() => loadLanguagePolicy(join(dir, 'missing.json')), /cannot read .*missing\.json/);
  const w = policy.getWeights();
  w[0] = { ...w[0]!, name: 'wrong' };
  assert.throws(() => fresh.setWeights(w), /weight 0 is named 'wrong'/);
  [policy, loaded, fresh].forEach((p) => p.dispose());
});

test('clone is independent; the gradient of a log-prob matches finite differences', async () => {
  await initBackend('wasm');
  const policy = tinyPolicy({ seed: 5 });
  const copy = policy.clone();
  const toks = [VOCAB.id('hey'), VOCAB.id('jazz'), VOCAB.id('!'), EOS_ID, PAD_ID, PAD_ID, VOCAB.id('the'), VOCAB.id('moon'), EOS_ID, 0, 0, 0];
  const ctx = CTX;
  // Sum over real tokens only: padding (token 0, forbidden) has log-prob -1e9, which callers mask.
  const mask = [1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0];
  const objective = () => tf.sum(tf.mul(policy.evaluate(ctx, tf.tensor2d(toks, [2, 6], 'int32'), 0.8).logProbs, tf.tensor2d(mask, [2, 6]))) as tf.Scalar;
  const total = () => tf.tidy(() => objective().dataSync()[0]!);
  const vars = policy.trainableVariables();
  const { grads } = tf.variableGrads(objective, vars);
  // Check one entry of the recurrent kernel and one of the group embedding against central differences.
  for (const name of ['gru/recurrent_kernel', 'group_embedding']) {
    const idx = policy.getWeights().findIndex((w) => w.name === name);
    const v = vars[idx]!;
    const analytic = grads[v.name]!.dataSync()[1]!;
    const orig = v.dataSync().slice();
    const h = 1e-2;
    const at = (delta: number) => {
      const x = orig.slice();
      x[1] = x[1]! + delta;
      v.assign(tf.tensor(x, v.shape));
      return total();
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    v.assign(tf.tensor(orig, v.shape));
    assert.ok(Math.abs(numeric - analytic) < 2e-3 * Math.max(1, Math.abs(analytic)), `${name}: numeric ${numeric} vs analytic ${analytic}`);
  }
  tf.dispose(grads);
  const before = copy.getWeights();
  policy.trainableVariables()[0]!.assign(tf.zerosLike(policy.trainableVariables()[0]!));
  assert.deepEqual(copy.getWeights(), before, 'clone keeps its own weights');
  policy.dispose();
  copy.dispose();
});

test('pre-training lowers the cross-entropy; long texts and unknown words are errors naming the text', async () => {
  await initBackend('wasm');
  const policy = new GRULanguagePolicy({ vocabulary: VOCAB, groups: ['a', 'b'], embeddingDim: 6, hiddenSize: 16, maxLength: 12, seed: 0 });
  const losses = pretrainLanguagePolicy(policy, TEXTS.map((text) => ({ text })), { steps: 40, learning_rate: 0.03, seed: 1 });
  assert.equal(losses.length, 40);
  assert.ok(losses.at(-1)! < 0.5 * losses[0]!, `loss ${losses[0]} -> ${losses.at(-1)}`);
  assert.throws(() => pretrainLanguagePolicy(policy, [{ text: 'jazz jazz jazz jazz jazz jazz jazz jazz jazz jazz jazz jazz' }]), /texts\[0\] has 13 tokens/);
  assert.throws(() => pretrainLanguagePolicy(policy, [{ text: 'ok' }, { text: 'polka' }]), /texts\[0\].*'ok'/);
  assert.throws(() => pretrainLanguagePolicy(policy, [{ text: 'jazz', group: 'zz' }], { conditioning: 'group' }), /texts\[0\]\.group 'zz'/);
  policy.dispose();
});

test('persona task: prompts follow the shares, the reward is the persona reward of the decoded completion', async () => {
  await initBackend('wasm');
  const docs = personaCorpus({ count: 200 });
  const vocab = WordVocabulary.fromTexts(docs.map((d) => d.text));
  const task = personaLanguageTask({ vocabulary: vocab, features: 'one-hot' });
  assert.deepEqual(task.groups, PERSONAS.map((p) => p.name));
  assert.throws(() => personaLanguageTask({ vocabulary: vocab, personas: [] }), /personas is empty/);
  assert.throws(() => personaLanguageTask({ vocabulary: vocab, features: 'dense' as never }), /features must be 'none' or 'one-hot'/);
  assert.equal(task.featureDim, 7);
  const prompts = task.samplePrompts(4000, new Rng(0));
  const share = prompts.filter((p) => p.group === 'casual-rock').length / 4000;
  assert.ok(Math.abs(share - 0.3) < 0.03, `casual-rock share ${share}`);
  assert.deepEqual(Array.from(prompts.find((p) => p.group === 'formal-jazz')!.features), [0, 0, 0, 1, 0, 0, 0]);
  const text = 'hey, you gotta try queen! it\'s so good!';
  const ids = vocab.encode(text);
  const fn = task.rewardFunctions[0]!;
  assert.equal(fn.fn(ids, { id: 'x', features: new Float32Array(7), group: 'casual-rock' }), 1);
  assert.equal(fn.fn(ids, { id: 'x', features: new Float32Array(7), group: 'formal-classical' }), personaReward('formal-classical', text));
  const policy = new GRULanguagePolicy({ vocabulary: vocab, groups: task.groups, featureDim: 7, embeddingDim: 4, hiddenSize: 8, maxLength: 8, seed: 0 });
  const rows = personaCompletions(policy, task, { per_persona: 2, labels: { policy: 'init' } });
  assert.equal(rows.length, 14);
  for (const r of rows) assert.equal(r.reward, personaReward(r.persona, r.text));
  assert.equal(rows[0]!.policy, 'init');
  // Evaluation records: per-persona means of the same completions, and their share-weighted mean for 'all'.
  const evalRecs = personaEvalRecords(policy, task, 12, { per_persona: 2, labels: { method: 'm' } });
  assert.equal(evalRecs.length, 8);
  for (const p of PERSONAS) {
    const mine = rows.filter((r) => r.persona === p.name);
    const rec = evalRecs.find((r) => r.group === p.name)!;
    assert.equal(rec.value, (mine[0]!.reward + mine[1]!.reward) / 2);
    assert.equal(rec.step, 12);
    assert.equal(rec.metric, 'eval_reward');
    assert.equal(rec.method, 'm');
  }
  const all = PERSONAS.reduce((s, p) => s + p.share * evalRecs.find((r) => r.group === p.name)!.value, 0) / PERSONAS.reduce((s, p) => s + p.share, 0);
  assert.ok(Math.abs(evalRecs.find((r) => r.group === 'all')!.value - all) < 1e-12);
  policy.dispose();
});

test('no tensor leaks over 200 steps of sampling and updates (GRPO with KL; P-GRPO with two updates per batch, 100 steps)', async () => {
  await initBackend('wasm');
  const yes = VOCAB.id('jazz');
  const task: Task = {
    groups: ['a', 'b'],
    featureDim: 0,
    rewardFunctions: [{ name: 'jazz', weight: 1, fn: (r, p) => (r.includes(yes) === (p.group === 'a') ? 1 : 0) }],
    samplePrompts: (count, rng) => Array.from({ length: count }, (_, i) => ({ id: `p${i}`, features: new Float32Array(0), group: rng.uniform() < 0.7 ? 'a' : 'b' })),
  };
  for (const [make, steps] of [
    [(p: GRULanguagePolicy) => new GRPOTrainer(p, task, { num_generations: 3, prompts_per_step: 2, beta: 0.04, seed: 1 }), 200],
    [(p: GRULanguagePolicy) => createPGRPOTrainer(p, task, { num_generations: 3, prompts_per_step: 2, num_iterations: 2, beta: 0, seed: 1 }), 100],
  ] as const) {
    const start = tf.memory().numTensors;
    const policy = tinyPolicy({ seed: 6, maxLength: 4 });
    const policyTensors = 0;
    const trainer = make(policy);
    trainer.train(10);
    const after10 = tf.memory().numTensors;
    trainer.train(steps - 10);
    assert.equal(tf.memory().numTensors, after10, `numTensors after ${steps} steps equals numTensors after 10`);
    trainer.dispose();
    policy.dispose();
    assert.equal(tf.memory().numTensors, start - policyTensors, 'disposing trainer and policy frees every tensor they made');
  }
});

test('GRPO through the trainer teaches the policy to condition on the group', async () => {
  await initBackend('wasm');
  const jazz = VOCAB.id('jazz');
  const rock = VOCAB.id('rock');
  // Group a wants 'jazz' first, group b wants 'rock' first: only the group embedding tells them apart.
  const task: Task = {
    groups: ['a', 'b'],
    featureDim: 0,
    rewardFunctions: [{ name: 'first_word', weight: 1, fn: (r, p) => (r[0] === (p.group === 'a' ? jazz : rock) ? 1 : 0) }],
    samplePrompts: (count, rng) => Array.from({ length: count }, (_, i) => ({ id: `p${i}`, features: new Float32Array(0), group: rng.uniform() < 0.5 ? 'a' : 'b' })),
  };
  const policy = tinyPolicy({ seed: 7, maxLength: 3 });
  const trainer = new GRPOTrainer(policy, task, { num_generations: 6, prompts_per_step: 4, learning_rate: 0.05, beta: 0, seed: 2 });
  const records = trainer.train(60);
  const reward = (from: number, to: number) => {
    const r = records.filter((x) => x.group === 'all' && x.metric === 'reward_mean' && x.step >= from && x.step < to);
    return r.reduce((s, x) => s + x.value, 0) / r.length;
  };
  assert.ok(reward(0, 10) < 0.3, `initial reward ${reward(0, 10)}`);
  assert.ok(reward(50, 60) > 0.8, `final reward ${reward(50, 60)}`);
  trainer.dispose();
  policy.dispose();
});
