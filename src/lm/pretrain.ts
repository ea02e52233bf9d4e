/**
 * Supervised pre-training of a language policy on text (next-token cross-entropy), through the
 * kit's one supervised routine, `supervisedWarmStart`.
 */
import { supervisedWarmStart, type WarmStartExample, type WarmStartOptions } from '../policy/warmStart';
import { Rng, checkSeed } from '../random';
import type { GRULanguagePolicy } from './gruPolicy';

/** One pre-training text, optionally tied to a preference group. */
export interface PretrainText {
  text: string;
  /** Group the text belongs to; required when `conditioning` is `group`. */
  group?: string;
}

/** Options of {@link pretrainLanguagePolicy}: those of `supervisedWarmStart` plus how groups are assigned. */
export interface PretrainOptions extends WarmStartOptions {
  /**
   * `none` (default): every text is paired with a group drawn uniformly at random, so the model
   * learns the text distribution but nothing about which group wants which text (the starting point
   * preference optimisation must personalise). `group`: each text is paired with its own `group`.
   */
  conditioning?: 'none' | 'group';
  /** Prompt features of a group (required when the policy has `featureDim` > 0). */
  featuresOf?: (group: string) => readonly number[];
}

/**
 * Fits the policy to the texts (each encoded with EOS) and returns the loss of every update.
 * A text with an unknown word or longer than `maxLength` tokens (EOS included) is an error naming it.
 */
export function pretrainLanguagePolicy(policy: GRULanguagePolicy, texts: readonly PretrainText[], options: PretrainOptions = {}): number[] {
  const { conditioning = 'none', featuresOf, ...warm } = options;
  if (conditioning !== 'none' && conditioning !== 'group') throw new Error(`conditioning must be 'none' or 'group', got '${String(conditioning)}'`);
  if (texts.length === 0) throw new Error('pretrainLanguagePolicy: texts is empty');
  if (policy.featureDim > 0 && featuresOf === undefined) throw new Error('pretrainLanguagePolicy: featuresOf is required when the policy has prompt features');
  // Its own stream (offset from the seed) so group draws do not repeat supervisedWarmStart's minibatch shuffles.
  const rng = new Rng((checkSeed(options.seed ?? 0, 'pretrainLanguagePolicy options.seed') + 7919) % 2 ** 32);
  const examples: WarmStartExample[] = texts.map((t, i) => {
    let response: number[];
    try {
      response = policy.vocabulary.encode(t.text);
    } catch (err) {
      throw new Error(`texts[${i}]: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (response.length > policy.maxLength) {
      throw new Error(`texts[${i}] has ${response.length} tokens with EOS, more than the policy's maxLength ${policy.maxLength}`);
    }
    let group: string;
    if (conditioning === 'group') {
      if (t.group === undefined || !policy.groups.includes(t.group)) {
        throw new Error(`texts[${i}].group '${String(t.group)}' is not one of the policy's groups (${policy.groups.join(', ')})`);
      }
      group = t.group;
    } else {
      group = policy.groups[rng.int(policy.groups.length)]!;
    }
    return { group, response, ...(featuresOf ? { features: featuresOf(group) } : {}) };
  });
  return supervisedWarmStart(policy, examples, warm);
}
