/**
 * Populations of GRU language policies (src/lm/gruPopulation.ts): batched sampling and evaluation
 * give each run the bits of its single policy (also when the runs' responses end at different
 * lengths); GRPO runs trained as a population equal the same runs trained alone (records, weights,
 * checkpoints); a population of one is the single run; no tensor growth; clear errors.
 *
 * Sizes: on wasm, a batched product of more than one run goes to tfjs's own loop, which sums the
 * shared axis in blocks of 48, while a 2-D product goes to XNNPACK, which sums it in order; the two
 * agree bit for bit only when the shared axis has at most 48 entries. The training tests keep every
 * product's shared axis within 48 (vocabulary 24 tokens, 3 * hiddenSize = 24, rows * length <= 45
 * for the output layer's weight gradient); see src/lm/gruPopulation.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { EOS_ID, GRULanguagePolicy, GRULanguagePopulation, WordVocabulary } from '../src/lm';
import { CategoricalMLPPolicy } from '../src/policy';
import { stackPolicies } from '../src/policy/population';
import type { SampledResponses } from '../src/policy/types';
import { Rng } from '../src/random';
import { GRPOTrainer, type GRPOConfig, type Task } from '../src/trainer';
import { GRPOPopulation, type PopulationRun } from '../src/trainer/population';

const TEXTS = ['hey, you gotta try jazz!', 'i recommend classical music.', 'a rock song of silver light,\nthe moon.'];
const VOCAB = WordVocabulary.fromTexts(TEXTS);
const GROUPS = ['a', 'b', 'c'];
const WORDS: Record<string, number> = { a: VOCAB.id('jazz'), b: VOCAB.id('rock'), c: VOCAB.id('moon') };

/** Each group wants its own word somewhere in the response; a small bonus for length spreads the rewards. */
function wordTask(featureDim: 0 | 2): Task {
  return {
    groups: GROUPS,
    featureDim,
    rewardFunctions: [{ name: 'word', weight: 1, fn: (r, p) => (r.includes(WORDS[p.group]!) ? 1 : 0) + 0.05 * r.length }],
    samplePrompts: (count, rng) =>
      Array.from({ length: count }, (_, i) => {
        const group = GROUPS[Math.min(2, Math.floor(rng.uniform() * 3))]!;
        const features = featureDim === 0 ? new Float32Array(0) : Float32Array.from([group === 'a' ? 1 : 0, rng.uniform()]);
        return { id: `p${i}`, group, features };
      }),
  };
}
const TASK = wordTask(2);
const PLAIN_TASK = wordTask(0);

/**
 * A tiny GRU (features and a group embedding). `eos` is added to the EOS logit's bias, so that runs
 * end their responses at different lengths (the population pads the shorter runs).
 */
function gru(o: { seed: number; eos?: number; topK?: number; featureDim?: number; hiddenSize?: number; vocabulary?: WordVocabulary }): GRULanguagePolicy {
  const policy = new GRULanguagePolicy({
    vocabulary: o.vocabulary ?? VOCAB,
    groups: GROUPS,
    featureDim: o.featureDim ?? 2,
    embeddingDim: 4,
    groupEmbeddingDim: 3,
    hiddenSize: o.hiddenSize ?? 8,
    maxLength: 5,
    topK: o.topK ?? 0,
    seed: o.seed,
  });
  if (o.eos) {
    const weights = policy.getWeights();
    const bias = weights.find((w) => w.name === 'output/bias')!;
    bias.values[EOS_ID] = bias.values[EOS_ID]! + o.eos;
    policy.setWeights(weights);
  }
  return policy;
}

const SHARED: GRPOConfig = { prompts_per_step: 3, num_generations: 3, learning_rate: 0.02, beta: 0.04, num_iterations: 2, max_grad_norm: 0.5 };

/** Three runs differing in seed, estimator, initial weights (EOS bias) and top-k. */
function runs(): PopulationRun[] {
  return [
    { policy: gru({ seed: 1, eos: 4 }), task: TASK, config: { ...SHARED, seed: 11, advantage: 'grpo' } },
    { policy: gru({ seed: 2, eos: 1, topK: 6 }), task: TASK, config: { ...SHARED, seed: 12, advantage: { name: 'pgrpo', min_count: 2 } } },
    { policy: gru({ seed: 3 }), task: TASK, config: { ...SHARED, seed: 13, advantage: { name: 'grpo', scale_rewards: 'batch' } } },
  ];
}

function weightsOf(p: GRULanguagePolicy): number[][] {
  return p.getWeights().map((w) => w.values);
}

/** The first `length` columns of `[rows, width]` responses. */
function trimmed(s: SampledResponses, length: number): SampledResponses {
  const cut = <A extends Int32Array | Float32Array>(a: A, make: (n: number) => A): A => {
    const out = make(s.rows * length);
    for (let i = 0; i < s.rows; i++) out.set(a.subarray(i * s.length, i * s.length + length), i * length);
    return out;
  };
  return {
    rows: s.rows,
    length,
    tokens: cut(s.tokens, (n) => new Int32Array(n)),
    mask: cut(s.mask, (n) => new Float32Array(n)),
    logProbs: cut(s.logProbs, (n) => new Float32Array(n)),
  };
}

test('GRU population: batched sampling and evaluation give every run its single policy\'s bits, whatever lengths the runs end at', async () => {
  await initBackend('wasm');
  const policies = runs().map((r) => r.policy as GRULanguagePolicy);
  const population = stackPolicies(policies);
  assert.ok(population instanceof GRULanguagePopulation);
  const contexts = [0, 1, 2].map((r) => {
    const prompts = TASK.samplePrompts(3, new Rng(100 + r));
    return { size: 3, groups: prompts.map((p) => p.group), features: Float32Array.from(prompts.flatMap((p) => Array.from(p.features))) };
  });
  for (const [temperature, seed] of [[1, 5], [0.7, 6]] as const) {
    const alone = policies.map((p, r) => p.sample(contexts[r]!, 3, temperature, new Rng(seed + r)));
    const together = population.sample(contexts, 3, temperature, [0, 1, 2].map((r) => new Rng(seed + r)));
    const width = Math.max(...alone.map((s) => s.length));
    assert.ok(new Set(alone.map((s) => s.length)).size > 1, `the runs end at different lengths (${alone.map((s) => s.length)})`);
    together.forEach((s, r) => {
      assert.equal(s.length, width, 'padded to the longest run');
      assert.deepStrictEqual(trimmed(s, alone[r]!.length), alone[r], `run ${r}: the single policy's draws`);
      for (let i = 0; i < s.rows; i++) {
        for (let t = alone[r]!.length; t < width; t++) {
          const k = i * width + t;
          assert.deepEqual([s.tokens[k], s.mask[k], s.logProbs[k]], [0, 0, 0], `run ${r} row ${i} position ${t} is padding`);
        }
      }
    });
    // Evaluation of the padded batch: every run's slice equals its single policy's evaluation.
    const tokens = new Int32Array(together.length * together[0]!.rows * width);
    together.forEach((s, r) => tokens.set(s.tokens, r * s.rows * width));
    const got = tf.tidy(() => {
      const ev = population.evaluate(contexts, tf.tensor3d(tokens, [3, together[0]!.rows, width], 'int32'), temperature);
      return { logProbs: ev.logProbs.arraySync(), entropy: ev.entropy!.arraySync() };
    });
    policies.forEach((p, r) => {
      const want = tf.tidy(() => {
        const ev = p.evaluate(contexts[r]!, tf.tensor2d(together[r]!.tokens, [together[r]!.rows, width], 'int32'), temperature);
        return { logProbs: ev.logProbs.arraySync(), entropy: ev.entropy!.arraySync() };
      });
      assert.deepStrictEqual(got.logProbs[r], want.logProbs, `run ${r}: log-probs`);
      assert.deepStrictEqual(got.entropy[r], want.entropy, `run ${r}: entropies`);
    });
  }
  assert.throws(() => population.sample(contexts.slice(0, 2), 3, 1, [0, 1, 2].map((r) => new Rng(r))), /contexts for 2 runs, the population has 3/);
  assert.throws(() => population.sample([contexts[0]!, { ...contexts[1]!, groups: ['x', 'y', 'z'] }, contexts[2]!], 1, 1, [0, 1, 2].map((r) => new Rng(r))), /run 1: unknown preference group 'x'/);
  assert.throws(() => tf.tidy(() => void population.evaluate(contexts, tf.zeros([3, 9, 6], 'int32') as tf.Tensor3D, 1)), /length 6, expected 1\.\.maxLength \(5\)/);
  const frozen = population.clone();
  assert.throws(() => frozen.writeBack(), /frozen/);
  frozen.dispose();
  population.dispose();
  policies.forEach((p) => p.dispose());
});

test('GRU population: every GRPO run equals the same run trained alone, bit for bit (records, weights, checkpoint), over 8 steps', async () => {
  await initBackend('wasm');
  const steps = 8;
  // Each single run's sampled lengths, step by step, to check that the population padded some runs.
  const lengths: number[][] = [];
  const alone = runs().map((run) => {
    const mine: number[] = [];
    lengths.push(mine);
    const sample = run.policy.sample.bind(run.policy);
    run.policy.sample = (...args) => {
      const s = sample(...args);
      mine.push(s.length);
      return s;
    };
    const trainer = new GRPOTrainer(run.policy, run.task, run.config);
    const records = trainer.train(steps, { progress: false });
    const out = { records, weights: weightsOf(run.policy as GRULanguagePolicy), checkpoint: trainer.checkpoint() };
    trainer.dispose();
    run.policy.dispose();
    return out;
  });
  assert.ok(
    lengths[0]!.some((l, step) => l < Math.max(...lengths.map((ls) => ls[step]!))),
    `at some step run 0's responses are shorter than another run's, so the population pads them (${JSON.stringify(lengths)})`,
  );
  const together = runs();
  const population = new GRPOPopulation(together);
  const records = population.train(steps);
  const checkpoints = population.checkpoint();
  population.dispose();
  together.forEach((run, r) => {
    assert.ok(records[r]!.length > steps * 5);
    assert.deepStrictEqual(records[r], alone[r]!.records, `run ${r}: records`);
    assert.deepStrictEqual(weightsOf(run.policy as GRULanguagePolicy), alone[r]!.weights, `run ${r}: weights`);
    assert.deepStrictEqual(checkpoints[r], alone[r]!.checkpoint, `run ${r}: checkpoint`);
    run.policy.dispose();
  });
  // The runs did differ.
  assert.notDeepStrictEqual(records[0], records[2]);
  assert.notDeepStrictEqual(records[1], records[2]);
});

test('GRU population of one is the single run, bit for bit (group embedding only, no features)', async () => {
  await initBackend('wasm');
  const make = (): PopulationRun => ({ policy: gru({ seed: 4, eos: 1, featureDim: 0 }), task: PLAIN_TASK, config: { ...SHARED, seed: 21, advantage: 'pgrpo' } });
  const a = make();
  const trainer = new GRPOTrainer(a.policy, a.task, a.config);
  const records = trainer.train(6, { progress: false });
  trainer.dispose();
  const b = make();
  const population = new GRPOPopulation([b]);
  const popRecords = population.train(6);
  population.dispose();
  assert.deepStrictEqual(popRecords[0], records);
  assert.deepStrictEqual(weightsOf(b.policy as GRULanguagePolicy), weightsOf(a.policy as GRULanguagePolicy));
  a.policy.dispose();
  b.policy.dispose();
});

test('GRU population: no tensor growth over steps; disposing frees what it made', async () => {
  await initBackend('wasm');
  const start = tf.memory().numTensors;
  const together = runs();
  const population = new GRPOPopulation(together);
  population.train(2, { keepHistory: false });
  const before = tf.memory().numTensors;
  population.train(10, { keepHistory: false });
  assert.equal(tf.memory().numTensors, before);
  population.dispose();
  together.forEach((run) => run.policy.dispose());
  assert.equal(tf.memory().numTensors, start);
});

test('GRU population: a different architecture or vocabulary, or a mixed class, is an error naming the run', async () => {
  await initBackend('wasm');
  const made: { dispose(): void }[] = [];
  const keep = <P extends { dispose(): void }>(p: P): P => (made.push(p), p);
  const base = keep(gru({ seed: 1 }));
  assert.throws(
    () => stackPolicies([base, keep(gru({ seed: 2 })), keep(gru({ seed: 3, hiddenSize: 9 }))]),
    /run 2: its GRULanguagePolicy architecture .*"hiddenSize":9.* differs from run 0's .*"hiddenSize":8/,
  );
  const otherVocab = WordVocabulary.fromTexts(TEXTS.slice(0, 2));
  assert.throws(() => stackPolicies([base, keep(gru({ seed: 2, vocabulary: otherVocab }))]), /run 1: its vocabulary \(\d+ tokens\) differs from run 0's/);
  const categorical = keep(new CategoricalMLPPolicy({ numResponses: 3, groups: GROUPS }));
  assert.throws(() => stackPolicies([base, categorical]), /run 1: a population's policies must all be GRULanguagePolicys, got CategoricalMLPPolicy/);
  const r = runs();
  r.forEach((x) => made.push(x.policy));
  r[1]!.policy = keep(gru({ seed: 2, hiddenSize: 9 }));
  assert.throws(() => new GRPOPopulation(r), /run 1: its GRULanguagePolicy architecture/);
  made.forEach((p) => p.dispose());
});
