/**
 * The GRPO loss on token sequences of unequal lengths: each loss_type against values computed by
 * hand in plain JS, padding never reaching the loss, the KL or the gradient, and the same checks
 * through the GRU language policy inside the one GRPOTrainer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend';
import { GRULanguagePolicy, WordVocabulary, EOS_ID } from '../src/lm';
import { grpoLoss, GRPOTrainer, LOSS_TYPES, type GRPOLossConfig, type LossType, type Task } from '../src/trainer';

// Three sequences of lengths 4, 2 and 1 (T = 4). Padding positions hold values that must not matter,
// including ones whose exp overflows.
const MASK = [
  [1, 1, 1, 1],
  [1, 1, 0, 0],
  [1, 0, 0, 0],
];
const LOGP = [
  [-1.0, -0.2, -2.0, -0.7],
  [-0.5, -1.5, 90.0, -3.0],
  [-0.9, 80.0, -60.0, 1.0],
];
const OLD = [
  [-1.3, -0.25, -1.9, -0.7], // token 0: ratio e^0.3 = 1.35 > 1 + epsilon_high (A > 0: clipped)
  [-0.8, -1.4, -5.0, 4.0], // token 0: ratio e^0.3 = 1.35 (A < 0: unclipped), token 1: ratio e^-0.1
  [-0.5, -2.0, 7.0, -9.0], // token 0: ratio e^-0.4 = 0.67 < 1 - epsilon (A > 0: unclipped)
];
const REF = [
  [-1.1, -0.3, -2.2, -0.5],
  [-0.4, -1.6, 50.0, -7.0],
  [-1.0, 70.0, 3.0, -2.0],
];
const ADV = [1.5, -0.5, 0.8];
const CFG = { epsilon: 0.2, epsilon_high: 0.28, beta: 0.1, max_completion_length: 5 };

/** Per-token loss `-min(r A, clip(r) A) + beta k3` computed in plain JS (real tokens only). */
function handTokenLoss(i: number, t: number): number {
  const r = Math.exp(LOGP[i]![t]! - OLD[i]![t]!);
  const a = ADV[i]!;
  const clipped = Math.min(Math.max(r, 1 - CFG.epsilon), 1 + CFG.epsilon_high);
  const d = REF[i]![t]! - LOGP[i]![t]!;
  const k3 = Math.exp(d) - d - 1;
  return -Math.min(r * a, clipped * a) + CFG.beta * k3;
}

/** The four aggregations, by hand. */
function handLoss(lossType: LossType): number {
  const perSeqSum = MASK.map((row, i) => row.reduce((s, m, t) => s + (m ? handTokenLoss(i, t) : 0), 0));
  const lengths = MASK.map((row) => row.reduce((s, m) => s + m, 0)); // 4, 2, 1
  const total = perSeqSum.reduce((s, x) => s + x, 0);
  switch (lossType) {
    case 'grpo':
      return perSeqSum.reduce((s, x, i) => s + x / lengths[i]!, 0) / 3;
    case 'bnpo':
    case 'dapo':
      return total / 7;
    case 'dr_grpo':
      return total / (3 * CFG.max_completion_length);
  }
}

function lossOf(lossType: LossType, logp: number[][] = LOGP) {
  return tf.tidy(() => {
    const out = grpoLoss(
      {
        logProbs: tf.tensor2d(logp),
        oldLogProbs: tf.tensor2d(OLD),
        refLogProbs: tf.tensor2d(REF),
        advantages: tf.tensor1d(ADV),
        mask: tf.tensor2d(MASK),
      },
      { ...CFG, loss_type: lossType } as GRPOLossConfig,
    );
    return { loss: out.loss.dataSync()[0]!, kl: out.kl.arraySync() as number[][], low: out.lowClipped.arraySync() as number[][], high: out.highClipped.arraySync() as number[][] };
  });
}

test('each loss_type on a batch of unequal lengths equals the hand-computed value', async () => {
  await initBackend('wasm');
  const values: Record<string, number> = {};
  for (const lt of LOSS_TYPES) {
    const got = lossOf(lt).loss;
    const want = handLoss(lt);
    assert.ok(Math.abs(got - want) < 1e-5, `${lt}: loss ${got}, hand-computed ${want}`);
    values[lt] = got;
  }
  // With unequal lengths the aggregations really differ (dapo = bnpo in one process, see loss.ts).
  assert.ok(Math.abs(values.grpo! - values.bnpo!) > 1e-3, `grpo ${values.grpo} vs bnpo ${values.bnpo}`);
  assert.ok(Math.abs(values.bnpo! - values.dr_grpo!) > 1e-3, `bnpo ${values.bnpo} vs dr_grpo ${values.dr_grpo}`);
  assert.ok(Math.abs(values.grpo! - values.dr_grpo!) > 1e-3);
  assert.equal(values.dapo, values.bnpo);
  // Spot values by hand for one token: row 0, token 0 is clipped at 1.28 with A = 1.5.
  const d = REF[0]![0]! - LOGP[0]![0]!;
  assert.ok(Math.abs(handTokenLoss(0, 0) - (-1.28 * 1.5 + 0.1 * (Math.exp(d) - d - 1))) < 1e-12);
});

test('padding never contributes: KL and clip flags are 0 there, and changing padded values changes nothing', async () => {
  await initBackend('wasm');
  const base = lossOf('grpo');
  MASK.forEach((row, i) =>
    row.forEach((m, t) => {
      if (m === 0) {
        assert.equal(base.kl[i]![t], 0, `kl at padding (${i}, ${t})`);
        assert.equal(base.low[i]![t], 0);
        assert.equal(base.high[i]![t], 0);
      } else {
        const dd = REF[i]![t]! - LOGP[i]![t]!;
        assert.ok(Math.abs(base.kl[i]![t]! - (Math.exp(dd) - dd - 1)) < 1e-5, `kl at (${i}, ${t})`);
      }
    }),
  );
  // The flagged tokens are exactly the ones the batch was built to clip.
  assert.equal(base.high[0]![0], 1);
  assert.equal(base.low.flat().reduce((s, x) => s + x, 0), 0);
  const shuffled = LOGP.map((row, i) => row.map((x, t) => (MASK[i]![t] ? x : -x * 3 + 17)));
  for (const lt of LOSS_TYPES) assert.equal(lossOf(lt, shuffled).loss, lossOf(lt).loss, `${lt}: padding values changed the loss`);
});

test('gradient w.r.t. log-probs: zero at padding and at clipped tokens, hand-computed elsewhere (grpo and dr_grpo)', async () => {
  await initBackend('wasm');
  const lengths = [4, 2, 1];
  for (const lt of ['grpo', 'dr_grpo'] as const) {
    const grad = tf.tidy(() =>
      tf
        .grad((lp: tf.Tensor) =>
          grpoLoss(
            { logProbs: lp as tf.Tensor2D, oldLogProbs: tf.tensor2d(OLD), refLogProbs: tf.tensor2d(REF), advantages: tf.tensor1d(ADV), mask: tf.tensor2d(MASK) },
            { ...CFG, loss_type: lt },
          ).loss,
        )(tf.tensor2d(LOGP))
        .arraySync(),
    ) as number[][];
    MASK.forEach((row, i) =>
      row.forEach((m, t) => {
        const g = grad[i]![t]!;
        if (m === 0) {
          assert.equal(Math.abs(g), 0, `${lt}: gradient at padding (${i}, ${t})`);
          return;
        }
        const r = Math.exp(LOGP[i]![t]! - OLD[i]![t]!);
        const a = ADV[i]!;
        const clippedActive = (a > 0 && r > 1 + CFG.epsilon_high) || (a < 0 && r < 1 - CFG.epsilon);
        const dSurrogate = clippedActive ? 0 : -r * a;
        const dKL = CFG.beta * (1 - Math.exp(REF[i]![t]! - LOGP[i]![t]!));
        const scale = lt === 'grpo' ? 1 / (lengths[i]! * 3) : 1 / (3 * CFG.max_completion_length);
        const want = (dSurrogate + dKL) * scale;
        assert.ok(Math.abs(g - want) < 1e-5, `${lt}: gradient at (${i}, ${t}) is ${g}, hand-computed ${want}`);
      }),
    );
  }
});

// -------------------------------------------------------------------------------------------
// Through the GRU language policy and the trainer.

const VOCAB = WordVocabulary.fromTexts(['yes no maybe .']);

function tinyPolicy(seed = 1): GRULanguagePolicy {
  return new GRULanguagePolicy({ vocabulary: VOCAB, groups: ['a', 'b'], embeddingDim: 4, groupEmbeddingDim: 3, hiddenSize: 6, maxLength: 4, seed });
}

test('with the GRU policy, tokens at padding positions change neither the log-probs of real tokens nor the loss', async () => {
  await initBackend('wasm');
  const policy = tinyPolicy();
  const ctx = { size: 3, features: new Float32Array(0), groups: ['a', 'b', 'a'] };
  const yes = VOCAB.id('yes');
  const no = VOCAB.id('no');
  const tokens = [
    [yes, no, yes, EOS_ID],
    [no, EOS_ID, 0, 0],
    [EOS_ID, 0, 0, 0],
  ];
  const garbage = [
    [yes, no, yes, EOS_ID],
    [no, EOS_ID, yes, no],
    [EOS_ID, no, EOS_ID, yes],
  ];
  const run = (toks: number[][]) =>
    tf.tidy(() => {
      const ev = policy.evaluate(ctx, tf.tensor2d(toks, [3, 4], 'int32'), 1);
      const out = grpoLoss(
        { logProbs: ev.logProbs, oldLogProbs: tf.sub(ev.logProbs, 0.05) as tf.Tensor2D, refLogProbs: tf.add(ev.logProbs, 0.1) as tf.Tensor2D, advantages: tf.tensor1d(ADV), mask: tf.tensor2d(MASK) },
        { ...CFG, loss_type: 'bnpo' },
      );
      return { lp: ev.logProbs.arraySync() as number[][], loss: out.loss.dataSync()[0]! };
    });
  const a = run(tokens);
  const b = run(garbage);
  MASK.forEach((row, i) => row.forEach((m, t) => m && assert.equal(a.lp[i]![t], b.lp[i]![t], `real position (${i}, ${t})`)));
  // Loss is computed on log-probs of real tokens only; both versions agree to float precision.
  assert.ok(Math.abs(a.loss - b.loss) < 1e-6, `${a.loss} vs ${b.loss}`);
  policy.dispose();
});

test('the GRPOTrainer trains the GRU policy with every loss_type; completion_length counts real tokens (EOS included)', async () => {
  await initBackend('wasm');
  const yes = VOCAB.id('yes');
  const task: Task = {
    groups: ['a', 'b'],
    featureDim: 0,
    rewardFunctions: [{ name: 'short_yes', weight: 1, fn: (r) => (r[0] === yes ? 1 : 0) - 0.1 * r.length }],
    samplePrompts: (count, rng) => Array.from({ length: count }, (_, i) => ({ id: `p${i}`, features: new Float32Array(0), group: rng.uniform() < 0.5 ? 'a' : 'b' })),
  };
  const losses: Record<string, number> = {};
  for (const lt of LOSS_TYPES) {
    const policy = tinyPolicy(3);
    const trainer = new GRPOTrainer(policy, task, { num_generations: 4, prompts_per_step: 3, loss_type: lt, seed: 5, learning_rate: 1e-2 });
    const records = trainer.train(3);
    const first = records.filter((r) => r.step === 0 && r.group === 'all');
    const value = (m: string) => first.find((r) => r.metric === m)!.value;
    assert.ok(value('completion_length') >= 1 && value('completion_length') <= 4, `${lt}: completion_length ${value('completion_length')}`);
    assert.ok(Number.isFinite(value('loss')) && Number.isFinite(value('kl')));
    losses[lt] = value('loss');
    trainer.dispose();
    policy.dispose();
  }
  // Same seed, same samples: step 0's losses differ only by the aggregation.
  assert.equal(losses.dapo, losses.bnpo);
});
