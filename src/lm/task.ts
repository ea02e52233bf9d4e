/**
 * The persona text task: prompts carry a persona as their preference group, and the reward of a
 * completion is the persona's rule-based reward of its decoded text (src/data/personas).
 */
import { PERSONAS, personaByName, personaRewardBreakdown, type Persona } from '../data/personas';
import { promptsByShare, type Task } from '../trainer/task';
import type { WordVocabulary } from './vocabulary';

/** Options of {@link personaLanguageTask}. */
export interface PersonaLanguageTaskOptions {
  /** Decodes completions. */
  vocabulary: WordVocabulary;
  /** Personas (default: the seven of src/data/personas); prompts are drawn by their shares. */
  personas?: readonly Persona[];
  /** `none` (default): no prompt features; `one-hot`: each prompt carries its persona as a one-hot vector. */
  features?: 'none' | 'one-hot';
}

/** A {@link Task} over text, with the decoder and personas it uses. */
export interface PersonaLanguageTask extends Task {
  readonly personas: readonly Persona[];
  readonly vocabulary: WordVocabulary;
  /** Text of a completion's token ids (stops at EOS). */
  decode(tokens: readonly number[]): string;
}

/**
 * Builds the task: `samplePrompts` draws each prompt's persona with the persona shares; the one
 * reward function, `persona`, scores the decoded completion with the prompt's persona's reward in [0, 1].
 */
export function personaLanguageTask(options: PersonaLanguageTaskOptions): PersonaLanguageTask {
  const personas = [...(options.personas ?? PERSONAS)];
  if (personas.length === 0) throw new Error('personaLanguageTask: personas is empty');
  const features = options.features ?? 'none';
  if (features !== 'none' && features !== 'one-hot') throw new Error(`personaLanguageTask: features must be 'none' or 'one-hot', got '${String(features)}'`);
  const groups = personas.map((p) => p.name);
  const byName = new Map(personas.map((p) => [p.name, p]));
  if (byName.size !== personas.length) throw new Error('personaLanguageTask: two personas share a name');
  const shares = personas.map((p, i) => {
    if (!(p.share >= 0) || !Number.isFinite(p.share)) throw new Error(`personaLanguageTask: personas[${i}].share must be finite and >= 0, got ${p.share}`);
    return p.share;
  });
  const featureDim = features === 'one-hot' ? personas.length : 0;
  const vectors = personas.map((_, g) => {
    const v = new Float32Array(featureDim);
    if (featureDim > 0) v[g] = 1;
    return v;
  });
  const vocabulary = options.vocabulary;
  const decode = (tokens: readonly number[]) => vocabulary.decode(tokens);
  return {
    groups,
    featureDim,
    personas,
    vocabulary,
    decode,
    rewardFunctions: [
      {
        name: 'persona',
        weight: 1,
        fn: (response, prompt) => {
          const persona = byName.get(prompt.group) ?? personaByName(prompt.group);
          return personaRewardBreakdown(persona, decode(response)).reward;
        },
      },
    ],
    samplePrompts: (count, rng) => promptsByShare(groups, shares, vectors, count, rng),
  };
}
