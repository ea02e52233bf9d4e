/**
 * Sample completions per persona, decoded and scored: the before/after table of the persona notebook.
 */
import { personaRewardBreakdown } from '../data/personas';
import { ALL_GROUPS, type MetricRecord } from '../frames';
import { Rng } from '../random';
import type { GRULanguagePolicy } from './gruPolicy';
import type { PersonaLanguageTask } from './task';

/** One decoded completion and its reward. */
export interface CompletionRow {
  [label: string]: string | number;
  persona: string;
  sample: number;
  text: string;
  reward: number;
  genre_score: number;
  style_score: number;
}

/** Options of {@link personaCompletions}. */
export interface PersonaCompletionsOptions {
  /** Completions per persona (default 2). */
  per_persona?: number;
  /** Sampling temperature (default 1). */
  temperature?: number;
  /** Seed of the sampling Rng (default 0). */
  seed?: number;
  /** Extra labels put on every row (e.g. `{ policy: 'before' }`). */
  labels?: Record<string, string | number>;
}

/** Samples `per_persona` completions for every persona of the task and scores each with its persona's reward. */
export function personaCompletions(policy: GRULanguagePolicy, task: PersonaLanguageTask, options: PersonaCompletionsOptions = {}): CompletionRow[] {
  const perPersona = options.per_persona ?? 2;
  if (!Number.isInteger(perPersona) || perPersona < 1) throw new Error(`per_persona must be a positive integer, got ${perPersona}`);
  const F = task.featureDim;
  const features = new Float32Array(task.personas.length * F);
  task.personas.forEach((_, g) => {
    if (F > 0) features[g * F + g] = 1;
  });
  const contexts = { size: task.personas.length, features, groups: task.personas.map((p) => p.name) };
  const sampled = policy.sample(contexts, perPersona, options.temperature ?? 1, new Rng(options.seed ?? 0));
  const T = sampled.length;
  const rows: CompletionRow[] = [];
  for (let i = 0; i < sampled.rows; i++) {
    const persona = task.personas[Math.floor(i / perPersona)]!;
    const ids: number[] = [];
    for (let t = 0; t < T; t++) if (sampled.mask[i * T + t]! > 0) ids.push(sampled.tokens[i * T + t]!);
    const text = task.decode(ids);
    const b = personaRewardBreakdown(persona, text);
    rows.push({ ...(options.labels ?? {}), persona: persona.name, sample: i % perPersona, text, reward: b.reward, genre_score: b.genre, style_score: b.style });
  }
  return rows;
}

/** Metric name of {@link personaEvalRecords}. */
export const EVAL_REWARD_METRIC = 'eval_reward';

/**
 * A fixed-size evaluation of every persona at one training step: `per_persona` completions per
 * persona (so minority personas are measured as precisely as majority ones, unlike the trainer's
 * per-step `reward_mean`, which sees few minority prompts), as long-form records with metric
 * `eval_reward`: one row per persona (mean reward) and one for `all` (share-weighted mean, the
 * expected reward of a random user).
 */
export function personaEvalRecords(policy: GRULanguagePolicy, task: PersonaLanguageTask, step: number, options: PersonaCompletionsOptions = {}): MetricRecord[] {
  const rows = personaCompletions(policy, task, { ...options, labels: {} });
  const labels = options.labels ?? {};
  const records: MetricRecord[] = [];
  let weighted = 0;
  let shareTotal = 0;
  for (const p of task.personas) {
    const mine = rows.filter((r) => r.persona === p.name);
    const mean = mine.reduce((s, r) => s + r.reward, 0) / mine.length;
    records.push({ ...labels, step, group: p.name, metric: EVAL_REWARD_METRIC, value: mean });
    weighted += p.share * mean;
    shareTotal += p.share;
  }
  records.push({ ...labels, step, group: ALL_GROUPS, metric: EVAL_REWARD_METRIC, value: shareTotal > 0 ? weighted / shareTotal : 0 });
  return records;
}
