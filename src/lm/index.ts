/**
 * Sequence policies: a tiny GRU language model over a word vocabulary that implements the kit's
 * `Policy` (trained with the same GRPOTrainer as categorical policies), its pre-training corpus
 * (a seeded template grammar of music recommendations in three styles and five genres), saving
 * and loading, and the persona text task whose rewards come from src/data/personas.
 * @packageDocumentation
 */
export {
  WordVocabulary,
  tokenizeText,
  detokenize,
  PAD_TOKEN,
  EOS_TOKEN,
  BOS_TOKEN,
  NEWLINE_TOKEN,
  PAD_ID,
  EOS_ID,
  BOS_ID,
} from './vocabulary';
export { personaCorpus, writeDocument, CORPUS_STYLES, CORPUS_GENRES } from './corpus';
export type { CorpusDocument, PersonaCorpusOptions } from './corpus';
export { GRULanguagePolicy } from './gruPolicy';
export type { GRULanguagePolicyOptions, GRULanguagePolicyArchitecture } from './gruPolicy';
// Also registers the GRU policy with stackPolicies, so that GRPOPopulation can train GRU runs together.
export { GRULanguagePopulation } from './gruPopulation';
export { languagePolicyToJSON, languagePolicyFromJSON, saveLanguagePolicy, loadLanguagePolicy } from './persistence';
export type { LanguagePolicyFile } from './persistence';
export { pretrainLanguagePolicy } from './pretrain';
export type { PretrainText, PretrainOptions } from './pretrain';
export { personaLanguageTask } from './task';
export type { PersonaLanguageTask, PersonaLanguageTaskOptions } from './task';
export { personaCompletions, personaEvalRecords, EVAL_REWARD_METRIC } from './completions';
export type { CompletionRow, PersonaCompletionsOptions } from './completions';
