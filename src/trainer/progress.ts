/**
 * Progress of `GRPOTrainer.train(n)`: a bar with steps per second, the time left and the mean reward
 * of each group over the last steps, drawn with the shared pieces of ../progress.
 *
 * Where it shows, by default: in a tslab notebook one HTML bar that updates in place; on a terminal
 * (stderr is a TTY) one line redrawn in place; elsewhere (logs, CI, tests, worker processes) nothing,
 * so logs stay clean. `progress: true` (or options) turns it on anywhere: without a TTY it then prints
 * a line about every 10% of the steps and a final line. `progress: false` turns it off. Redraws are at
 * most every `minIntervalMs` (default 250 ms), so fast steps do not flood a notebook with updates.
 */
import { inNotebook } from '../display';
import type { MetricRecord } from '../frames';
import { escapeProgressHtml, formatSeconds, htmlBar, inPlaceHtmlDisplay, lineWriter, textBar, type ProgressHtmlDisplay, type ProgressStream } from '../progress';

/** A snapshot of one `train(n)` call. */
export interface TrainProgress {
  /** Steps finished in this call. */
  done: number;
  /** Steps this call runs. */
  total: number;
  /** Milliseconds since the call started. */
  elapsedMs: number;
  /** Steps the rewards average over: the last `window` steps, fewer at the start. */
  rewardSteps: number;
  /**
   * Mean reward per preference group over those steps, weighted by each step's samples (groups in the
   * order they first appeared; NaN for a group without samples in those steps).
   */
  rewardByGroup: { group: string; reward: number }[];
  /** True for the final report. */
  finished: boolean;
}

/** Options of the `progress` option of `train`. */
export interface TrainProgressOptions {
  /** Draw into this display (a notebook bar updated in place; for tests or your own output). */
  display?: ProgressHtmlDisplay;
  /** Write text lines to this stream (default process.stderr) instead of a notebook bar. */
  stream?: ProgressStream;
  /** Redraw one line in place (default: whether the stream is a TTY); else print sparse lines. */
  tty?: boolean;
  /** Steps the shown rewards average over (default 10). */
  window?: number;
  /** Least milliseconds between two redraws of a bar (default 250); the final report always shows. */
  minIntervalMs?: number;
  /** Characters of the text bar (default 24). */
  width?: number;
  /** Milliseconds clock (default performance.now); inject one to test. */
  clock?: () => number;
}

/** `train`'s `progress` option: on/off, or options (which turn it on). */
export type TrainProgressOption = boolean | TrainProgressOptions;

function formatReward(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : '–';
}

function progressParts(p: TrainProgress): { count: string; rest: string[] } {
  const rest: string[] = [];
  const seconds = p.elapsedMs / 1000;
  if (p.done > 0 && seconds > 0) rest.push(`${(p.done / seconds).toFixed(1)} steps/s`);
  rest.push(formatSeconds(p.elapsedMs));
  if (p.done > 0 && !p.finished) rest.push(`eta ${formatSeconds((p.elapsedMs / p.done) * (p.total - p.done))}`);
  if (p.rewardByGroup.length > 0) {
    const steps = p.rewardSteps === 1 ? 'last step' : `last ${p.rewardSteps} steps`;
    rest.push(`reward (${steps}): ${p.rewardByGroup.map((r) => `${r.group} ${formatReward(r.reward)}`).join(', ')}`);
  }
  return { count: `${p.done}/${p.total} steps`, rest };
}

/**
 * One line: `train [######------------------] 12/48 steps, 6.7 steps/s, 1.8 s, eta 5.4 s, reward (last
 * 10 steps): maj 0.912, min 0.125`. Steps per second and the time left come from this call's
 * elapsed time and finished steps.
 */
export function formatTrainProgress(p: TrainProgress, width = 24): string {
  const { count, rest } = progressParts(p);
  return [`train ${textBar(p.total === 0 ? 1 : p.done / p.total, width)} ${count}`, ...rest].join(', ');
}

/** The HTML bar of a notebook (same content as {@link formatTrainProgress}). */
export function trainProgressHtml(p: TrainProgress): string {
  const { count, rest } = progressParts(p);
  const text = [`<b>train</b>: ${count}`, ...rest.map(escapeProgressHtml)].join(', ');
  return htmlBar(p.total === 0 ? 1 : p.done / p.total, p.finished ? 'finished' : 'running', text);
}

/**
 * Follows one `train(n)` call: {@link TrainProgressTracker.step} after every step with its metric
 * records, {@link TrainProgressTracker.finish} at the end. Reports through `report` when `due` says so.
 */
export class TrainProgressTracker {
  private done = 0;
  private readonly started: number;
  private lastReport = -Infinity;
  /** Per finished step (the last `window`): group -> [reward sum over samples, samples]. */
  private readonly recent: Map<string, [number, number]>[] = [];
  private readonly groups: string[] = [];

  constructor(
    readonly total: number,
    private readonly report: (p: TrainProgress) => void,
    private readonly options: { window: number; clock: () => number; due: (done: number, sinceLastMs: number) => boolean },
  ) {
    if (!Number.isInteger(options.window) || options.window < 1) throw new Error(`progress window must be a positive integer, got ${options.window}`);
    this.started = options.clock();
    this.emit(false, this.started);
  }

  /**
   * Records one finished step: its metric records (`reward_mean` and `num_samples` per group are
   * read), or each run's records for a population's step (the reward is then over all runs' samples).
   */
  step(records: readonly MetricRecord[] | readonly (readonly MetricRecord[])[]): void {
    this.done += 1;
    const runs = (records.length > 0 && Array.isArray(records[0]) ? records : [records]) as readonly (readonly MetricRecord[])[];
    const stepSums = new Map<string, [number, number]>();
    for (const run of runs) {
      const means = new Map<string, number>();
      const counts = new Map<string, number>();
      for (const r of run) {
        if (r.group === 'all') continue;
        if (r.metric === 'reward_mean') means.set(r.group, r.value);
        else if (r.metric === 'num_samples') counts.set(r.group, r.value);
      }
      for (const [group, mean] of means) {
        const n = counts.get(group) ?? 0;
        if (!(n > 0) || !Number.isFinite(mean)) continue;
        if (!this.groups.includes(group)) this.groups.push(group);
        const sums = stepSums.get(group) ?? [0, 0];
        stepSums.set(group, [sums[0] + mean * n, sums[1] + n]);
      }
    }
    this.recent.push(stepSums);
    if (this.recent.length > this.options.window) this.recent.shift();
    if (this.done >= this.total) return; // finish() reports the last step
    const now = this.options.clock();
    if (this.options.due(this.done, now - this.lastReport)) this.emit(false, now);
  }

  /** The final report. */
  finish(): void {
    this.emit(true, this.options.clock());
  }

  private emit(finished: boolean, now: number): void {
    this.lastReport = now;
    const rewardByGroup = this.groups.map((group) => {
      let sum = 0;
      let n = 0;
      for (const step of this.recent) {
        const s = step.get(group);
        if (s) {
          sum += s[0];
          n += s[1];
        }
      }
      return { group, reward: n > 0 ? sum / n : NaN };
    });
    this.report({ done: this.done, total: this.total, elapsedMs: now - this.started, rewardSteps: this.recent.length, rewardByGroup, finished });
  }
}

/**
 * The tracker for a `train(steps, { progress })` call, or null when progress is off (see the module
 * comment for the defaults).
 */
export function trainProgress(steps: number, option: TrainProgressOption | undefined): TrainProgressTracker | null {
  if (option === false) return null;
  const opts: TrainProgressOptions = typeof option === 'object' && option !== null ? option : {};
  const notebook = opts.display !== undefined || (opts.stream === undefined && inNotebook());
  if (option === undefined && !notebook && !process.stderr.isTTY) return null;
  const window = opts.window ?? 10;
  const clock = opts.clock ?? (() => performance.now());
  const minIntervalMs = opts.minIntervalMs ?? 250;
  const width = opts.width ?? 24;
  const throttled = (_done: number, sinceLastMs: number) => sinceLastMs >= minIntervalMs;
  if (notebook) {
    const display = opts.display ?? inPlaceHtmlDisplay();
    return new TrainProgressTracker(steps, (p) => display.html(trainProgressHtml(p)), { window, clock, due: throttled });
  }
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const write = lineWriter(stream, tty);
  const every = Math.max(1, Math.ceil(steps / 10));
  // Without a TTY: no line before the first step, one about every 10% of the steps, and the final one.
  const due = tty ? throttled : (done: number) => done % every === 0;
  const report = (p: TrainProgress) => {
    if (tty || p.done > 0 || p.finished) write(formatTrainProgress(p, width), p.finished);
  };
  return new TrainProgressTracker(steps, report, { window, clock, due });
}
