/**
 * Saving and loading a {@link GRULanguagePolicy} as one JSON file: architecture, vocabulary, weights.
 */
import { FieldReader, describeValue } from '../checkpoint/fields';
import { messageOf, readJsonFile, writeJsonFile } from '../checkpoint/files';
import type { WeightData } from '../policy/types';
import { checkWeightData } from '../policy/weights';
import { GRULanguagePolicy, type GRULanguagePolicyArchitecture } from './gruPolicy';
import { WordVocabulary } from './vocabulary';

/** Format tag of {@link LanguagePolicyFile}. */
const LANGUAGE_POLICY_FORMAT = 'hpa-kit/gru-language-policy';

/** The JSON form of a language policy. */
export interface LanguagePolicyFile {
  format: 'hpa-kit/gru-language-policy';
  version: 1;
  architecture: GRULanguagePolicyArchitecture;
  /** Tokens by id. */
  vocabulary: string[];
  /** Weights in `trainableVariables()` order. */
  weights: WeightData[];
}

/** The policy as plain JSON (reads every weight back once); a non-finite weight is an error naming it and its index. */
export function languagePolicyToJSON(policy: GRULanguagePolicy): LanguagePolicyFile {
  const weights = policy.getWeights();
  checkWeightData(null, weights, 'language policy weights');
  return {
    format: LANGUAGE_POLICY_FORMAT,
    version: 1,
    architecture: policy.architecture(),
    vocabulary: [...policy.vocabulary.tokens],
    weights,
  };
}

/** The integer fields of {@link GRULanguagePolicyArchitecture} (all required in a saved file). */
const ARCHITECTURE_INTEGERS = ['featureDim', 'embeddingDim', 'groupEmbeddingDim', 'hiddenSize', 'maxLength', 'topK'] as const;

/**
 * Rebuilds a policy from {@link languagePolicyToJSON}. Everything is validated before the policy is
 * built: a wrong format, a missing or mistyped field, a non-finite weight (a NaN saved by JSON as
 * null), a name or shape that does not fit the architecture is an error naming it.
 */
export function languagePolicyFromJSON(data: LanguagePolicyFile | unknown): GRULanguagePolicy {
  const r = FieldReader.of(data, 'language policy');
  const format = r.value.format;
  if (format !== LANGUAGE_POLICY_FORMAT) {
    throw new Error(`not a version-1 '${LANGUAGE_POLICY_FORMAT}' object: language policy.format is ${describeValue(format)}`);
  }
  r.integer('version', 1, 1);
  const a = r.object('architecture');
  const groups = a.array('groups');
  groups.forEach((g, i) => {
    if (typeof g !== 'string') throw new Error(`${a.pathOf('groups')}[${i}] must be a string, got ${describeValue(g)}`);
  });
  const architecture = { groups: groups as string[] } as GRULanguagePolicyArchitecture;
  for (const key of ARCHITECTURE_INTEGERS) {
    // Files saved before the option was renamed (kit of 2026-11) call `topK` by TRL's name `top_k`.
    const saved = key === 'topK' && !('topK' in a.value) && 'top_k' in a.value ? 'top_k' : key;
    architecture[key] = a.integer(saved, 0);
  }
  const vocabulary = r.array('vocabulary');
  vocabulary.forEach((t, i) => {
    if (typeof t !== 'string') throw new Error(`${r.pathOf('vocabulary')}[${i}] must be a string, got ${describeValue(t)}`);
  });
  const weights = checkWeightData(null, r.required('weights'), r.pathOf('weights'));
  const policy = new GRULanguagePolicy({ ...architecture, vocabulary: new WordVocabulary(vocabulary as string[]) });
  try {
    policy.setWeights(weights);
  } catch (err) {
    policy.dispose();
    throw err;
  }
  return policy;
}

/**
 * Writes the policy to `path` as JSON (creating its folder; through a temporary file). A
 * non-finite weight is an error naming the file, the weight and the index; nothing is written.
 */
export function saveLanguagePolicy(policy: GRULanguagePolicy, path: string): void {
  let json: LanguagePolicyFile;
  try {
    json = languagePolicyToJSON(policy);
  } catch (err) {
    throw new Error(`saveLanguagePolicy: ${path}: ${messageOf(err)}`);
  }
  writeJsonFile(path, json, 'saveLanguagePolicy');
}

/** Reads a policy written by {@link saveLanguagePolicy}; every error names the file. */
export function loadLanguagePolicy(path: string): GRULanguagePolicy {
  const data = readJsonFile(path, 'loadLanguagePolicy');
  try {
    return languagePolicyFromJSON(data);
  } catch (err) {
    throw new Error(`loadLanguagePolicy: ${path}: ${messageOf(err)}`);
  }
}
