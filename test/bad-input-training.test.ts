/**
 * Bad input on the training side, one case per class of fault: non-finite or malformed
 * checkpoints (GRPO trainer and saved language policies), rewards and losses that would train on
 * non-finite values, and misconfigurations. Each case asserts that the error names what it must
 * (the variable and index, the file, the step and group, the parameter, the type), and the
 * restore cases that the caller's policy is left untouched. Then: exact resume through the files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { createGrpoEstimator, createPgrpoEstimator, MAX_REWARD_MAGNITUDE, type AdvantageEstimator } from '../src/advantages';
import { loadCheckpoint, saveCheckpoint } from '../src/checkpoint';
import { GRULanguagePolicy, loadLanguagePolicy, saveLanguagePolicy, WordVocabulary } from '../src/lm';
import { CategoricalMLPPolicy, supervisedWarmStart, type Policy } from '../src/policy';
import { Rng } from '../src/random';
import { GRPOTrainer, tableTask, type GRPOCheckpoint, type GRPOConfig, type Task } from '../src/trainer';

const GROUPS = ['maj', 'min'];
const CONFIG: GRPOConfig = { num_generations: 4, prompts_per_step: 6, learning_rate: 0.05, seed: 3, advantage: 'pgrpo', beta: 0.04 };
const dir = mkdtempSync(join(tmpdir(), 'bad-input-training-'));

function banditTask(rewards: { maj: number[]; min: number[] } = { maj: [1, 0, 0, 0.3], min: [0, 1, 0, 0.3] }): Task {
  return tableTask({ groups: GROUPS, shares: [0.8, 0.2], rewardTable: rewards });
}

function banditPolicy(seed = 1, numResponses = 4): CategoricalMLPPolicy {
  return new CategoricalMLPPolicy({ numResponses, groups: GROUPS, embeddingDim: 4, hiddenSizes: [8], seed });
}

/** A checkpoint after 3 steps, as JSON would give it back (a fresh object per call). */
function savedCheckpoint(config: GRPOConfig = CONFIG): GRPOCheckpoint {
  const policy = banditPolicy();
  const trainer = new GRPOTrainer(policy, banditTask(), config);
  trainer.train(3);
  const saved = JSON.parse(JSON.stringify(trainer.checkpoint())) as GRPOCheckpoint;
  trainer.dispose();
  policy.dispose();
  return saved;
}

/** Names of the categorical policy's weights, for the expected messages. */
function weightNames(): string[] {
  const policy = banditPolicy();
  const names = policy.getWeights().map((w) => w.name);
  policy.dispose();
  return names;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Resumes `saved` into a fresh policy that must throw with every pattern in `expected`, and checks
 * that the policy's weights are exactly what they were before the attempt.
 */
function assertResumeRefused(saved: unknown, expected: RegExp[], config: GRPOConfig = CONFIG): void {
  const policy = banditPolicy(99);
  const before = policy.getWeights();
  let message = '';
  assert.throws(
    () => GRPOTrainer.resume(saved as GRPOCheckpoint, policy, banditTask(), config),
    (err: Error) => {
      message = err.message;
      return true;
    },
  );
  for (const pattern of expected) assert.match(message, pattern);
  assert.deepEqual(policy.getWeights(), before, `the caller's policy is untouched (${message})`);
  policy.dispose();
}

/** Runs `fn`, which must throw; returns the message. */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  assert.fail('expected an error');
}

interface FaultCase {
  /** The class of fault (issue 13) and what the case does. */
  name: string;
  /** Provokes the fault and returns the error message (fails when nothing is thrown). */
  provoke: () => string;
  /** Every pattern must match the message. */
  expected: RegExp[];
}

const CASES: FaultCase[] = [
  // ---- Checkpoints: non-finite values refused at checkpoint() and at restore, naming the variable and index.
  {
    name: 'checkpoint(): a NaN policy weight is refused, naming the weight and index',
    provoke: () => {
      const policy = banditPolicy();
      const trainer = new GRPOTrainer(policy, banditTask(), CONFIG);
      trainer.train(1);
      const v = policy.trainableVariables()[1]!;
      const values = Array.from(v.dataSync());
      values[2] = Number.NaN;
      v.assign(tf.tensor(values, v.shape));
      const message = messageOf(() => trainer.checkpoint());
      trainer.dispose();
      policy.dispose();
      return message;
    },
    expected: [new RegExp(`checkpoint\\.policy: weight 1 \\('${escape(weightNames()[1]!)}'\\) values\\[2\\] is NaN`)],
  },
  {
    name: 'checkpoint(): a non-finite estimator statistic is refused, naming the field',
    provoke: () => {
      const stateful: AdvantageEstimator = {
        ...createGrpoEstimator(),
        name: 'drifting',
        getState: () => ({ baseline: { maj: 0.5, min: Number.POSITIVE_INFINITY } }),
        setState: () => undefined,
      };
      const policy = banditPolicy();
      const trainer = new GRPOTrainer(policy, banditTask(), { ...CONFIG, advantage: stateful });
      trainer.train(1);
      const message = messageOf(() => trainer.checkpoint());
      trainer.dispose();
      policy.dispose();
      return message;
    },
    expected: [/checkpoint\.estimator\.baseline\.min is Infinity/],
  },
  {
    name: 'restore: a NaN weight saved by JSON as null is refused, naming the weight and index',
    provoke: () => {
      const saved = savedCheckpoint();
      (saved.policy[2]!.values as unknown[])[5] = null;
      assertResumeRefused(saved, [new RegExp(`checkpoint\\.policy: weight 2 \\('${escape(weightNames()[2]!)}'\\) values\\[5\\] is null`), /NaN/]);
      return messageOf(() => GRPOTrainer.resume(saved, banditPolicy(), banditTask(), CONFIG));
    },
    expected: [/values\[5\] is null: JSON writes NaN and ±Infinity as null/],
  },
  {
    name: 'restore: a weight beyond float32 range (it would load as Infinity) is refused, naming the weight and index',
    provoke: () => {
      const saved = savedCheckpoint();
      saved.policy[0]!.values[1] = -1e39;
      assertResumeRefused(saved, [/checkpoint\.policy: weight 0 \('embedding'\) values\[1\] is -1e\+39, beyond float32 range .* it would load as -Infinity/]);
      return 'ok';
    },
    expected: [/ok/],
  },
  {
    name: 'restore: a NaN reference weight is refused',
    provoke: () => {
      const saved = savedCheckpoint();
      (saved.reference![0]!.values as unknown[])[0] = null;
      assertResumeRefused(saved, [/checkpoint\.reference: weight 0 .* values\[0\] is null/]);
      return 'ok';
    },
    expected: [/ok/],
  },
  {
    name: 'restore: a NaN Adam moment is refused, naming the moment, variable and index',
    provoke: () => {
      const saved = savedCheckpoint();
      (saved.adam.v[3] as unknown[])[1] = null;
      assertResumeRefused(saved, [new RegExp(`checkpoint\\.adam\\.v\\[3\\] \\('${escape(weightNames()[3]!)}'\\)\\[1\\] is null`)]);
      return 'ok';
    },
    expected: [/ok/],
  },
  {
    name: 'restore: a NaN estimator statistic (P-GRPO group mean) is refused, naming the group entry',
    provoke: () => {
      const saved = savedCheckpoint();
      const state = saved.estimator as { groups: { mean: unknown }[] };
      state.groups[0]!.mean = null;
      assertResumeRefused(saved, [/state\.groups\[0\]\.mean must be a finite number, got null/]);
      return 'ok';
    },
    expected: [/ok/],
  },
  {
    name: 'restore: an all-zero RNG state (a late field) is refused and the policy is untouched',
    provoke: () => {
      const saved = savedCheckpoint();
      saved.rng = [0, 0, 0, 0];
      assertResumeRefused(saved, [/checkpoint\.rng is all zeros/]);
      return messageOf(() => Rng.fromState([0, 0, 0, 0]));
    },
    expected: [/rng state is all zeros, which would draw 0 forever/],
  },
  {
    name: 'restore: an RNG word out of range is refused, naming its index',
    provoke: () => {
      const saved = savedCheckpoint();
      saved.rng = [1, 2, 2 ** 32, 4];
      assertResumeRefused(saved, [/checkpoint\.rng\[2\] must be an unsigned 32-bit integer, got 4294967296/]);
      return 'ok';
    },
    expected: [/ok/],
  },
  {
    name: 'restore: a missing field is an error naming it (not a TypeError)',
    provoke: () => {
      const saved = savedCheckpoint() as unknown as Record<string, unknown>;
      delete saved.adam;
      assertResumeRefused(saved, [/^checkpoint\.adam is missing$/]);
      const noMoments = savedCheckpoint() as unknown as { adam: Record<string, unknown> };
      delete noMoments.adam.m;
      assertResumeRefused(noMoments, [/checkpoint\.adam\.m is missing/]);
      return 'ok';
    },
    expected: [/ok/],
  },
  {
    name: 'restore: a mistyped field is an error naming it and its type',
    provoke: () => {
      const saved = savedCheckpoint() as unknown as Record<string, unknown>;
      saved.step = '3';
      assertResumeRefused(saved, [/checkpoint\.step must be a finite number, got a string \("3"\)/]);
      const shapeless = savedCheckpoint() as unknown as { policy: Record<string, unknown>[] };
      shapeless.policy[0]!.shape = 'wide';
      assertResumeRefused(shapeless, [/checkpoint\.policy: weight 0\.shape must be an array, got a string \("wide"\)/]);
      return 'ok';
    },
    expected: [/ok/],
  },
  {
    name: 'restore: a weight of another shape (another architecture) is refused before anything is written',
    provoke: () => {
      const saved = savedCheckpoint();
      const policy = new CategoricalMLPPolicy({ numResponses: 4, groups: GROUPS, embeddingDim: 4, hiddenSizes: [16], seed: 5 });
      const before = policy.getWeights();
      const message = messageOf(() => GRPOTrainer.resume(saved, policy, banditTask(), CONFIG));
      assert.deepEqual(policy.getWeights(), before);
      policy.dispose();
      return message;
    },
    expected: [/checkpoint\.policy: weight 1 \('dense0\/kernel'\) has shape \[4,8\], expected \[4,16\]/],
  },
  // ---- Checkpoint files: the path in every error; NaN written as null detected at load.
  {
    name: 'loadCheckpoint: invalid JSON names the file',
    provoke: () => {
      const path = join(dir, 'truncated.json');
      writeFileSync(path, '{"format": "hpa-kit/grpo-checkpoint", "version": 1, "step": ');
      return messageOf(() => loadCheckpoint(path));
    },
    expected: [new RegExp(`loadCheckpoint: ${escape(join(dir, 'truncated.json'))} is not valid JSON`)],
  },
  {
    name: 'loadCheckpoint: a NaN written as null is detected at load, naming the file, weight and index',
    provoke: () => {
      const saved = savedCheckpoint();
      (saved.policy[0]!.values as unknown[])[7] = null;
      const path = join(dir, 'nan.json');
      writeFileSync(path, JSON.stringify(saved));
      return messageOf(() => loadCheckpoint(path));
    },
    expected: [new RegExp(`^loadCheckpoint: ${escape(join(dir, 'nan.json'))}: checkpoint\\.policy: weight 0 \\('[\\w/]+'\\) values\\[7\\] is null`)],
  },
  {
    name: 'loadCheckpoint: a folder or a missing file names the path',
    provoke: () => `${messageOf(() => loadCheckpoint(dir))}\n${messageOf(() => loadCheckpoint(join(dir, 'absent.json')))}`,
    expected: [new RegExp(`cannot read ${escape(dir)}: EISDIR`), new RegExp(`cannot read ${escape(join(dir, 'absent.json'))}: ENOENT`)],
  },
  {
    name: 'saveCheckpoint: a checkpoint with a NaN moment is not written',
    provoke: () => {
      const saved = savedCheckpoint();
      saved.adam.m[0]![0] = Number.NaN;
      return messageOf(() => saveCheckpoint(join(dir, 'never.json'), saved));
    },
    expected: [/saveCheckpoint: .*never\.json: checkpoint\.adam\.m\[0\] \('[\w/]+'\)\[0\] is NaN/],
  },
  {
    name: 'loadLanguagePolicy: a NaN weight written as null names the file, weight and index',
    provoke: () => {
      const policy = new GRULanguagePolicy({ vocabulary: WordVocabulary.fromTexts(['a b']), groups: ['g'], hiddenSize: 4, embeddingDim: 3, maxLength: 3 });
      const path = join(dir, 'lm.json');
      saveLanguagePolicy(policy, path);
      const json = JSON.parse(readFileSync(path, 'utf8'));
      json.weights[1].values[4] = null;
      writeFileSync(path, JSON.stringify(json));
      const name = policy.getWeights()[1]!.name;
      policy.dispose();
      return `${name}|${messageOf(() => loadLanguagePolicy(path))}`;
    },
    expected: [/^(\w+)\|loadLanguagePolicy: .*lm\.json: language policy\.weights: weight 1 \('\1'\) values\[4\] is null/],
  },
  {
    name: 'saveLanguagePolicy: a NaN weight is refused, naming the file, weight and index',
    provoke: () => {
      const policy = new GRULanguagePolicy({ vocabulary: WordVocabulary.fromTexts(['a b']), groups: ['g'], hiddenSize: 4, embeddingDim: 3, maxLength: 3 });
      const v = policy.trainableVariables()[0]!;
      v.assign(tf.fill(v.shape, Number.NaN));
      const message = messageOf(() => saveLanguagePolicy(policy, join(dir, 'nan-lm.json')));
      policy.dispose();
      return message;
    },
    expected: [/saveLanguagePolicy: .*nan-lm\.json: language policy weights: weight 0 \('token_embedding'\) values\[0\] is NaN/],
  },
  {
    name: 'setWeights: a NaN weight is refused and no variable changes',
    provoke: () => {
      const policy = banditPolicy();
      const before = policy.getWeights();
      const weights = policy.getWeights().map((w) => ({ ...w, values: w.values.map((x) => x + 1) }));
      weights[3]!.values[0] = Number.NaN;
      const message = messageOf(() => policy.setWeights(weights));
      assert.deepEqual(policy.getWeights(), before, 'weights 0-2 were not written either');
      policy.dispose();
      return message;
    },
    expected: [/CategoricalMLPPolicy\.setWeights: weight 3 \('[\w/]+'\) values\[0\] is NaN/],
  },
  // ---- Training never proceeds on non-finite values.
  {
    name: 'rewards of magnitude 1e200 stop the step, naming the step, sample, group, generation group and bound',
    provoke: () => {
      const policy = banditPolicy();
      const trainer = new GRPOTrainer(policy, banditTask({ maj: [1e200, 0, 0, 0], min: [0, 1e200, 0, 0] }), CONFIG);
      const message = messageOf(() => trainer.train(2));
      trainer.dispose();
      policy.dispose();
      return message;
    },
    expected: [/^GRPOTrainer step 0: reward function 'table' returned 1e\+200 for sample \d+ \(prompt '\w+#\d+', group '(maj|min)', response \[\d\]\) in generation group \d+; rewards must have magnitude at most 1e\+150/],
  },
  {
    name: 'a weighted reward beyond the bound (weight 2 times 1e150) stops the step',
    provoke: () => {
      const task = banditTask();
      const big: Task = { ...task, rewardFunctions: [{ name: 'huge', weight: 2, fn: () => 1e150 }, { name: 'huge2', weight: 1, fn: () => 0 }] };
      const policy = banditPolicy();
      const trainer = new GRPOTrainer(policy, big, CONFIG);
      const message = messageOf(() => trainer.trainStep());
      trainer.dispose();
      policy.dispose();
      return message;
    },
    expected: [/GRPOTrainer step 0: the weighted reward is 2e\+150 for sample 0 \(prompt '\w+#0', group '(maj|min)', response \[\d\]\) in generation group 0; rewards must have magnitude at most 1e\+150/],
  },
  {
    name: 'the estimators refuse rewards beyond MAX_REWARD_MAGNITUDE (grpo in its moment pass, pgrpo in its check), naming the index',
    provoke: () => {
      const input = { rewards: Float64Array.from([0, 1, 2, 1.7e308]), generationGroups: Int32Array.from([0, 0, 1, 1]), preferenceGroups: ['a', 'a', 'b', 'b'] };
      return `${messageOf(() => createGrpoEstimator().compute(input))}\n${messageOf(() => createPgrpoEstimator().compute(input))}`;
    },
    expected: [/^grpo: rewards\[3\] is 1\.7e\+308; rewards must have magnitude at most 1e\+150/m, /^pgrpo: rewards\[3\] is 1\.7e\+308/m],
  },
  {
    name: 'a non-finite loss and gradient (from the policy) stop the step, naming the step, update, values and groups; the trainer then refuses to go on',
    provoke: () => {
      const policy = banditPolicy();
      let calls = 0;
      // From the second step on, the policy's log-probabilities are NaN (as after an overflow).
      const broken: Policy = Object.assign(Object.create(policy) as Policy, {
        evaluate: (...args: Parameters<Policy['evaluate']>) => {
          calls += 1;
          const ev = policy.evaluate(...args);
          if (calls <= 1) return ev;
          return { logProbs: tf.mul(ev.logProbs, Number.NaN) as tf.Tensor2D, entropy: tf.mul(ev.entropy!, Number.NaN) as tf.Tensor2D };
        },
        clone: () => policy.clone(),
      });
      const trainer = new GRPOTrainer(broken, banditTask(), { ...CONFIG, beta: 0 });
      const message = messageOf(() => trainer.train(3));
      const again = messageOf(() => trainer.trainStep());
      const checkpoint = messageOf(() => trainer.checkpoint());
      trainer.dispose();
      policy.dispose();
      return `${message}\n${again}\n${checkpoint}`;
    },
    expected: [
      /^GRPOTrainer step 1: the loss is NaN and the gradient norm NaN at update 1 of 1 \(num_iterations\): the policy's log-probabilities, KL or entropy overflowed for samples of group\(s\) '(maj|min)'/m,
      /^GRPOTrainer cannot train: it stopped at an error \(GRPOTrainer step 1: /m,
      /^GRPOTrainer cannot checkpoint: it stopped at an error/m,
    ],
  },
  {
    name: 'advantages beyond float32 range (Dr. GRPO, rewards 1e100) stop the step, naming the sample and its group',
    provoke: () => {
      const policy = banditPolicy();
      const trainer = new GRPOTrainer(policy, banditTask({ maj: [1e100, 0, 0, 0], min: [0, 1e100, 0, 0] }), { ...CONFIG, advantage: 'dr_grpo' });
      const message = messageOf(() => trainer.train(3));
      trainer.dispose();
      policy.dispose();
      return message;
    },
    expected: [/^GRPOTrainer step \d+: the loss is -?(Infinity|NaN) .*: the advantage of sample \d+ \(prompt '\w+#\d+', generation group \d+, group '(maj|min)'\) is -?[\d.]+e\+\d+, beyond float32 range/],
  },
  {
    name: 'weights overflowed by a huge learning rate stop the next step in the sampler, naming the step, context and group',
    provoke: () => {
      const policy = banditPolicy();
      const trainer = new GRPOTrainer(policy, banditTask(), { ...CONFIG, learning_rate: 1e38, max_grad_norm: 0 });
      const message = messageOf(() => trainer.train(5));
      trainer.dispose();
      policy.dispose();
      return message;
    },
    expected: [/^GRPOTrainer step [1-4]: CategoricalMLPPolicy\.sample: the response probabilities of context \d+ \(group '(maj|min)'\) are \[[^\]]*NaN[^\]]*\], not a distribution/],
  },
  // ---- Configuration and task checks.
  {
    name: 'a policy with fewer responses than the reward table is an error naming both counts',
    provoke: () => {
      const policy = banditPolicy(1, 3);
      const message = messageOf(() => new GRPOTrainer(policy, banditTask(), CONFIG));
      policy.dispose();
      return message;
    },
    expected: [/the task scores 4 responses \(task\.numResponses.*among 3 \(policy\.vocabSize\)/],
  },
  {
    name: 'epsilon_high below epsilon is an error naming both',
    provoke: () => {
      const policy = banditPolicy();
      const message = messageOf(() => new GRPOTrainer(policy, banditTask(), { ...CONFIG, epsilon: 0.2, epsilon_high: 0.1 }));
      policy.dispose();
      return message;
    },
    expected: [/GRPOConfig\.epsilon_high must be a finite number >= epsilon \(0\.2\), got 0\.1/],
  },
  {
    name: 'seeds must be integers in [0, 2^32), everywhere, naming the parameter',
    provoke: () => {
      const policy = banditPolicy();
      const messages = [1.5, -1, 2 ** 32].map((seed) => messageOf(() => new GRPOTrainer(policy, banditTask(), { ...CONFIG, seed })));
      messages.push(messageOf(() => banditPolicy(-1)));
      messages.push(messageOf(() => supervisedWarmStart(policy, [{ group: 'maj', response: 0 }], { steps: 1, seed: 2 ** 32 })));
      messages.push(messageOf(() => new Rng(0.5)));
      policy.dispose();
      return messages.join('\n');
    },
    expected: [
      /^GRPOConfig\.seed must be an integer in \[0, 2\^32\), got 1\.5$/m,
      /^GRPOConfig\.seed must be an integer in \[0, 2\^32\), got -1$/m,
      /^GRPOConfig\.seed must be an integer in \[0, 2\^32\), got 4294967296$/m,
      /^CategoricalMLPPolicy options\.seed must be an integer in \[0, 2\^32\), got -1$/m,
      /^supervisedWarmStart options\.seed must be an integer in \[0, 2\^32\), got 4294967296$/m,
      /^seed must be an integer in \[0, 2\^32\), got 0\.5$/m,
    ],
  },
  {
    name: 'a reward function returning the string "1" is reported as returning a string',
    provoke: () => {
      const task = banditTask();
      const stringly: Task = { ...task, rewardFunctions: [{ name: 'text', weight: 1, fn: () => '1' as unknown as number }] };
      const policy = banditPolicy();
      const trainer = new GRPOTrainer(policy, stringly, CONFIG);
      const message = messageOf(() => trainer.trainStep());
      trainer.dispose();
      policy.dispose();
      return message;
    },
    expected: [/GRPOTrainer step 0: reward function 'text' returned a string \("1"\) for sample 0/],
  },
  {
    name: 'a reward table entry of the wrong type is reported with its type, naming group and column',
    provoke: () => messageOf(() => banditTask({ maj: [1, 0, 0, 0], min: [0, '1' as unknown as number, 0, 0] })),
    expected: [/tableTask: rewardTable\['min'\]\[1\] is a string \("1"\); rewards must be finite numbers/],
  },
  {
    name: 'a config value of the wrong type is reported with its type',
    provoke: () => {
      const policy = banditPolicy();
      const message = messageOf(() => new GRPOTrainer(policy, banditTask(), { ...CONFIG, learning_rate: '0.05' as unknown as number }));
      policy.dispose();
      return message;
    },
    expected: [/GRPOConfig\.learning_rate must be a finite number > 0, got a string \("0\.05"\)/],
  },
];

for (const c of CASES) {
  test(`bad input: ${c.name}`, async () => {
    await initBackend('cpu');
    const message = c.provoke();
    for (const pattern of c.expected) assert.match(message, pattern);
  });
}

test('rewards up to MAX_REWARD_MAGNITUDE are accepted, with finite advantages (hand-computed)', () => {
  assert.equal(MAX_REWARD_MAGNITUDE, 1e150);
  // Just under the bound the fast pass flags the batch (8.2e149 < |r|), the exact scan accepts it.
  const rewards = Float64Array.from([9e149, -9e149, 1e150, -1e150]);
  const out = createGrpoEstimator({ epsilon: 0 }).compute({ rewards, generationGroups: Int32Array.from([0, 0, 1, 1]), preferenceGroups: ['a', 'a', 'a', 'a'] });
  // Each group: mean 0, unbiased std sqrt(2) * |r|, so advantages are ±1/sqrt(2).
  const h = Math.SQRT1_2;
  out.advantages.forEach((a, i) => assert.ok(Math.abs(a - [h, -h, h, -h][i]!) < 1e-12, `advantage ${i} = ${a}`));
});

test('exact resume through saveCheckpoint / loadCheckpoint: 4 + 4 steps equal 8 uninterrupted', async () => {
  await initBackend('cpu');
  const full = banditPolicy();
  const uninterrupted = new GRPOTrainer(full, banditTask(), CONFIG);
  const expected = uninterrupted.train(8);

  const first = banditPolicy();
  const trainer = new GRPOTrainer(first, banditTask(), CONFIG);
  trainer.train(4);
  const path = join(dir, 'run', 'step4.json');
  saveCheckpoint(path, trainer.checkpoint());
  const fresh = banditPolicy(42);
  const resumed = GRPOTrainer.resume(loadCheckpoint(path), fresh, banditTask(), CONFIG);
  assert.equal(resumed.stepCount, 4);
  assert.deepEqual(resumed.train(4), expected.filter((r) => r.step >= 4));
  assert.deepEqual(fresh.getWeights(), full.getWeights());
  [uninterrupted, trainer, resumed].forEach((t) => t.dispose());
  [full, first, fresh].forEach((p) => p.dispose());
});
