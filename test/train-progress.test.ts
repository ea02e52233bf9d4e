/**
 * Training progress (src/trainer/progress.ts): the line and HTML bar's numbers against hand-computed
 * values with an injected clock, when reports are drawn (throttle, sparse lines without a TTY), and
 * the trainer's `progress` option (false writes nothing; on, it does not change the training).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../src/backend';
import type { MetricRecord } from '../src/frames';
import { CategoricalMLPPolicy } from '../src/policy';
import { GRPOTrainer, tableTask, trainProgress, type TrainProgressTracker } from '../src/trainer';

/** A clock that returns the given milliseconds in order (and fails the test if asked once more). */
function clockOf(times: number[]): () => number {
  let i = 0;
  return () => {
    assert.ok(i < times.length, `clock read ${i + 1} times, only ${times.length} values given`);
    return times[i++]!;
  };
}

/** The records of one step: reward_mean and num_samples per group (plus an `all` row that must be ignored). */
function stepRecords(step: number, groups: Record<string, [mean: number, samples: number]>): MetricRecord[] {
  const out: MetricRecord[] = [{ step, group: 'all', metric: 'reward_mean', value: 99 }, { step, group: 'all', metric: 'num_samples', value: 99 }];
  for (const [group, [mean, n]] of Object.entries(groups)) {
    out.push({ step, group, metric: 'num_samples', value: n }, { step, group, metric: 'reward_mean', value: mean }, { step, group, metric: 'kl', value: 5 });
  }
  return out;
}

function drive(tracker: TrainProgressTracker): void {
  tracker.step(stepRecords(0, { maj: [1, 6], min: [0, 2] }));
  tracker.step(stepRecords(1, { maj: [0.5, 8] })); // the minority drew no sample this step
  tracker.step(stepRecords(2, { maj: [0.25, 4], min: [1, 4] }));
  tracker.step(stepRecords(3, { maj: [0, 6], min: [0.5, 2] }));
  tracker.finish();
}

test('terminal line: steps/s, eta and the sample-weighted reward of the last steps, hand-computed', () => {
  const writes: string[] = [];
  // Clock reads: start, after steps 1-3 (step 4 is the last: finish() reads the clock instead).
  const tracker = trainProgress(4, { stream: { write: (s) => writes.push(s) }, tty: true, width: 8, window: 2, minIntervalMs: 0, clock: clockOf([0, 500, 1200, 2000, 2700]) })!;
  drive(tracker);
  assert.ok(writes.every((w) => w.startsWith('\r')));
  assert.ok(writes.slice(0, -1).every((w) => !w.includes('\n')) && writes.at(-1)!.endsWith('\n'));
  assert.deepEqual(
    writes.map((w) => w.slice(1).trimEnd()),
    [
      'train [--------] 0/4 steps, 0.0 s',
      // 1 step in 0.5 s: 2 steps/s; 3 steps left at 0.5 s each.
      'train [##------] 1/4 steps, 2.0 steps/s, 0.5 s, eta 1.5 s, reward (last step): maj 1.000, min 0.000',
      // 2/1.2 = 1.67 steps/s; eta 0.6 s x 2; maj (6x1 + 8x0.5)/14 = 0.714, min 0/2.
      'train [####----] 2/4 steps, 1.7 steps/s, 1.2 s, eta 1.2 s, reward (last 2 steps): maj 0.714, min 0.000',
      // Window = steps 2-3: maj (8x0.5 + 4x0.25)/12 = 0.417, min 4x1/4 = 1; eta 2.0/3 s.
      'train [######--] 3/4 steps, 1.5 steps/s, 2.0 s, eta 0.7 s, reward (last 2 steps): maj 0.417, min 1.000',
      // Steps 3-4: maj (1 + 0)/10 = 0.1, min (4 + 1)/6 = 0.833; 4/2.7 = 1.48 steps/s; no eta at the end.
      'train [########] 4/4 steps, 1.5 steps/s, 2.7 s, reward (last 2 steps): maj 0.100, min 0.833',
    ],
  );
  // A shorter line overwrites the longer one before it completely.
  assert.equal(writes[1]!.length, writes[1]!.trimEnd().length);
});

test('notebook bar: one display updated in place, same numbers, green and full at the end', () => {
  const html: string[] = [];
  const tracker = trainProgress(4, { display: { html: (s) => html.push(s) }, window: 2, minIntervalMs: 0, clock: clockOf([0, 500, 1200, 2000, 2700]) })!;
  drive(tracker);
  assert.equal(html.length, 5);
  assert.match(html[0]!, /width:0\.0%.*<b>train<\/b>: 0\/4 steps, 0\.0 s<\/div>/);
  assert.match(html[2]!, /width:50\.0%;height:100%;background:#1f77b4.*2\/4 steps, 1\.7 steps\/s, 1\.2 s, eta 1\.2 s, reward \(last 2 steps\): maj 0\.714, min 0\.000/);
  assert.match(html[4]!, /width:100\.0%;height:100%;background:#2ca02c.*4\/4 steps, 1\.5 steps\/s, 2\.7 s, reward \(last 2 steps\): maj 0\.100, min 0\.833/);
});

test('redraws at most every minIntervalMs; without a TTY about every 10% of the steps and a final line', () => {
  const tty: string[] = [];
  // Steps every 100 ms, redraw interval 250 ms: reports at 0, then after steps 3 (300 ms), 6 and 9, then the final.
  const t1 = trainProgress(10, { stream: { write: (s) => tty.push(s), isTTY: true }, clock: clockOf([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]) })!;
  for (let s = 0; s < 10; s++) t1.step(stepRecords(s, { a: [1, 1] }));
  t1.finish();
  assert.deepEqual(tty.map((w) => /(\d+)\/10 steps/.exec(w)![1]), ['0', '3', '6', '9', '10']);

  const lines: string[] = [];
  const t2 = trainProgress(20, { stream: { write: (s) => lines.push(s) }, clock: () => 0 })!;
  for (let s = 0; s < 20; s++) t2.step(stepRecords(s, { a: [1, 1] }));
  t2.finish();
  assert.deepEqual(lines.map((w) => /(\d+)\/20 steps/.exec(w)![1]), ['2', '4', '6', '8', '10', '12', '14', '16', '18', '20']);
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.includes('\r')));
  assert.throws(() => trainProgress(3, { stream: { write: () => 0 }, window: 0 }), /progress window must be a positive integer, got 0/);
});

/** Everything written to stdout and stderr while `fn` runs. */
function captured<T>(fn: () => T): { value: T; text: string } {
  const chunks: string[] = [];
  const writers = [process.stdout, process.stderr] as const;
  const originals = writers.map((w) => w.write);
  for (const w of writers) w.write = ((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true)) as typeof w.write;
  try {
    return { value: fn(), text: chunks.join('') };
  } finally {
    writers.forEach((w, i) => (w.write = originals[i]!));
  }
}

test('GRPOTrainer.train: progress false writes nothing, off by default outside a terminal or notebook, and never changes the training', async () => {
  await initBackend('cpu');
  const run = (progress: Parameters<GRPOTrainer['train']>[1]) => {
    const groups = ['maj', 'min'];
    const policy = new CategoricalMLPPolicy({ numResponses: 3, groups, seed: 3 });
    const trainer = new GRPOTrainer(policy, tableTask({ groups, shares: [0.75, 0.25], rewardTable: { maj: [1, 0, 0], min: [0, 0, 1] } }), {
      num_generations: 4,
      prompts_per_step: 8,
      seed: 3,
    });
    try {
      return captured(() => trainer.train(3, progress));
    } finally {
      trainer.dispose();
      policy.dispose();
    }
  };
  const off = run({ progress: false });
  assert.equal(off.text, '');
  assert.ok(!process.stderr.isTTY, 'the test runner gives this process no terminal');
  const byDefault = run({});
  assert.equal(byDefault.text, '', 'not a TTY and not a notebook: no progress by default');
  const lines: string[] = [];
  const on = run({ progress: { stream: { write: (s) => lines.push(s) } } });
  assert.equal(on.text, '');
  assert.equal(lines.length, 3, 'without a TTY: a line after steps 1 and 2 (10% of 3 steps rounds up to 1) and the final one');
  assert.match(lines.at(-1)!, /^train \[#{24}\] 3\/3 steps, [\d.]+ steps\/s, [\d.]+ s, reward \(last 3 steps\): maj \d\.\d{3}, min \d\.\d{3}\n$/);
  assert.deepEqual(on.value, off.value, 'same records with and without progress');
  assert.deepEqual(byDefault.value, off.value);
});

test('notebook display: an update met by EBUSY (tslab socket busy in a burst) is retried, the latest one wins; other errors are thrown', async () => {
  const { busyTolerant } = await import('../src/progress');
  const shown: string[] = [];
  let busy = 2; // the next two sends fail as tslab's socket does during a burst
  const display = busyTolerant({
    html: (h: string) => {
      if (busy > 0) {
        busy -= 1;
        throw Object.assign(new Error('Socket is busy writing'), { code: 'EBUSY' });
      }
      shown.push(h);
    },
  }, 5);
  display.html('a'); // EBUSY: kept, retry scheduled
  display.html('b'); // replaces the kept one
  display.html('c');
  await new Promise((r) => setTimeout(r, 30)); // the retry meets EBUSY once more, then sends
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(shown, ['c']);
  display.html('d');
  assert.deepEqual(shown, ['c', 'd']);
  const failing = busyTolerant({ html: () => { throw new Error('closed'); } });
  assert.throws(() => failing.html('x'), /closed/);
});

test('population progress: the windowed reward per group is over all runs\' samples', async () => {
  const { TrainProgressTracker } = await import('../src/trainer/progress');
  const reports: { rewardByGroup: { group: string; reward: number }[] }[] = [];
  const tracker = new TrainProgressTracker(2, (p) => reports.push(p), { window: 10, clock: () => 0, due: () => true });
  const run = (a: number, na: number, b: number, nb: number): MetricRecord[] => [
    { step: 0, group: 'a', metric: 'reward_mean', value: a },
    { step: 0, group: 'a', metric: 'num_samples', value: na },
    { step: 0, group: 'b', metric: 'reward_mean', value: b },
    { step: 0, group: 'b', metric: 'num_samples', value: nb },
  ];
  tracker.step([run(1, 3, 0, 1), run(0, 1, 1, 3)]); // a: (3 + 0) / 4, b: (0 + 3) / 4
  tracker.finish();
  const last = reports.at(-1)!.rewardByGroup;
  assert.deepEqual(last, [{ group: 'a', reward: 0.75 }, { group: 'b', reward: 0.75 }]);
});
