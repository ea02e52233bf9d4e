/**
 * Saving and loading a {@link GRULanguagePolicy} as one JSON file: architecture, vocabulary, weights.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { WeightData } from '../policy/types';
import { GRULanguagePolicy, type GRULanguagePolicyArchitecture } from './gruPolicy';
import { WordVocabulary } from './vocabulary';

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

/** The policy as plain JSON (reads every weight back once). */
export function languagePolicyToJSON(policy: GRULanguagePolicy): LanguagePolicyFile {
  return {
    format: 'hpa-kit/gru-language-policy',
    version: 1,
    architecture: policy.architecture(),
    vocabulary: [...policy.vocabulary.tokens],
    weights: policy.getWeights(),
  };
}

/** Rebuilds a policy from {@link languagePolicyToJSON}; a wrong format, vocabulary or weight is an error naming it. */
export function languagePolicyFromJSON(data: LanguagePolicyFile): GRULanguagePolicy {
  if (data === null || typeof data !== 'object' || data.format !== 'hpa-kit/gru-language-policy' || data.version !== 1) {
    throw new Error("not a version-1 'hpa-kit/gru-language-policy' object");
  }
  if (!Array.isArray(data.weights)) throw new Error('language policy JSON: weights must be an array');
  const policy = new GRULanguagePolicy({ ...data.architecture, vocabulary: new WordVocabulary(data.vocabulary) });
  try {
    policy.setWeights(data.weights);
  } catch (err) {
    policy.dispose();
    throw err;
  }
  return policy;
}

/** Writes the policy to `path` as JSON (creating its folder). */
export function saveLanguagePolicy(policy: GRULanguagePolicy, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(languagePolicyToJSON(policy)));
}

/** Reads a policy written by {@link saveLanguagePolicy}; errors name the file. */
export function loadLanguagePolicy(path: string): GRULanguagePolicy {
  let data: LanguagePolicyFile;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as LanguagePolicyFile;
  } catch (err) {
    throw new Error(`loadLanguagePolicy: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return languagePolicyFromJSON(data);
  } catch (err) {
    throw new Error(`loadLanguagePolicy: ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
