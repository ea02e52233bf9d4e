/**
 * hpa-kit: heterogeneous-preference alignment on TensorFlow.js.
 *
 * The one public entry point. Notebooks import it by package name (`import * as kit from 'hpa-kit'`).
 * Every export is listed here by name, grouped by the kit's pipeline (see src/README.md):
 * data -> task/pairs -> policy -> trainer (estimator, loss, optimiser) -> metrics frame -> analysis
 * -> figures, with experiments running it at scale. Kernels and internals are not exported: modules
 * import each other by path. A new public name goes into its group below and must be used outside
 * src/ (test/public-api.test.ts checks both).
 * @packageDocumentation
 */

// Backend and run settings --------------------------------------------------------------------
export { initBackend, describeBackend, BackendUnavailableError, type BackendInfo, type BackendKind } from './backend';
export { isSmoke, runMode, bySize, figuresDir, shippedDataPath, type RunMode } from './runtime';
export { Rng } from './random';
export { saveCheckpoint, loadCheckpoint, type SavedCheckpoint } from './checkpoint';

// Metrics frames and notebook display ---------------------------------------------------------
export { ALL_GROUPS, recordsToFrame, frameToRecords, type MetricRecord } from './frames';
export { showFrame } from './display';

// Advantage estimators ------------------------------------------------------------------------
export {
  createEstimator,
  registerEstimator,
  unregisterEstimator,
  estimatorNames,
  estimatorInfo,
  defineEstimator,
  grpoAdvantages,
  createGrpoEstimator,
  createDrGrpoEstimator,
  rlooAdvantages,
  createRlooEstimator,
  pgrpoAdvantages,
  createPgrpoEstimator,
  createRandomGroupPgrpoEstimator,
  MAX_REWARD_MAGNITUDE,
  type AdvantageEstimator,
  type AdvantageInput,
  type AdvantageResult,
  type EstimatorFactory,
  type EstimatorInfo,
  type EstimatorSpec,
  type PgrpoOptions,
} from './advantages';

// Policies ------------------------------------------------------------------------------------
export { CategoricalMLPPolicy, supervisedWarmStart, type Policy, type WeightData, type CategoricalMLPOptions } from './policy';
export { GRULanguagePolicy } from './lm';
export { LogLinearPolicy, uniformTheta } from './robust';
export { stackPolicies, type PolicyPopulation } from './policy/population';

// Trainers ------------------------------------------------------------------------------------
export {
  GRPOTrainer,
  createPGRPOTrainer,
  tableTask,
  trainProgress,
  Adam,
  SGD,
  LOSS_TYPES,
  type GRPOConfig,
  type GRPOCheckpoint,
  type LossType,
  type Task,
  type Prompt,
  type RewardFunction,
} from './trainer';
export { GRPOPopulation, type PopulationRun } from './trainer/population';
export { GroupRobustPopulation, trainGroupRobustPopulation } from './robust/population';
export {
  GroupRobustTrainer,
  trainGroupRobust,
  ROBUST_METHODS,
  GROUP_ROBUST_DEFAULTS,
  GROUP_ROBUST_CONFIG_KEYS,
  closedFormGrIpo,
  type GroupRobustConfig,
  type RobustMethod,
} from './robust';

// Data ----------------------------------------------------------------------------------------
export {
  loadScored,
  loadPairwise,
  loadScoredWithReport,
  loadPairwiseWithReport,
  DataError,
  SCORED_COLUMNS,
  PAIRWISE_COLUMNS,
  groupSizes,
  rewardStatsByGroup,
  minorityGroups,
  scoredToPairwise,
  rewardLookup,
  trainerReward,
  taskFromScored,
  categoricalPolicyFor,
  pairsFromFrame,
  tabularLogLinearOptions,
  pairsFromRewardTable,
  pairsFromScoredResponses,
  generateBandit,
  banditPreset,
  BANDIT_PRESETS,
  generateGroupLinearBandit,
  GROUP_LINEAR_BANDIT,
  pairsToFrame,
  PERSONAS,
  personaTask,
  personaReward,
  personaRewardBreakdown,
  personaCandidates,
  listPolisConversations,
  loadPolisConversation,
  polisDataDir,
  polisReport,
  polisPairwise,
  polisSelection,
  polisTask,
  polisPairs,
  fetchPolisData,
  PolisDownloadError,
  loadMovieLens,
  writeMovieLensFixture,
  writeSyntheticData,
  type ScoredRow,
  type PairwiseRow,
  type DropReport,
  type BanditOptions,
  type PairwiseGroupData,
} from './data';

// Language model ------------------------------------------------------------------------------
export {
  WordVocabulary,
  personaCorpus,
  personaLanguageTask,
  pretrainLanguagePolicy,
  personaCompletions,
  personaEvalRecords,
  EVAL_REWARD_METRIC,
  saveLanguagePolicy,
  loadLanguagePolicy,
  type PersonaLanguageTask,
} from './lm';

// Analysis ------------------------------------------------------------------------------------
export {
  learningCurves,
  learningCurvesFrame,
  smoothCurve,
  recoveryTimes,
  recoveryTimesFrame,
  recoverySummary,
  gapClosingTimes,
  gapClosingSummary,
  curveAreas,
  curveAreaSummary,
  worstGroup,
  worstGroupFrames,
  finalValues,
  finalValueSummary,
  pairedDifference,
  pairedFinalDifference,
  bootstrapMeanInterval,
} from './analysis';

// Figures -------------------------------------------------------------------------------------
export {
  rewardCurvesFigure,
  curvesFigure,
  recoveryVsShareFigure,
  alphaTrajectoriesFigure,
  advantageDistributionFigure,
  zeroStdFractionFigure,
  PALETTE,
  methodColor,
  showFigure,
  saveFigure,
  saveTable,
  chromiumAvailable,
  type PlotlyFigure,
  type PlotlyTrace,
} from './figures';

// Experiments ---------------------------------------------------------------------------------
export {
  defineExperiment,
  registerExperiment,
  registerExperimentModule,
  getExperiment,
  listExperiments,
  planExperiment,
  runExperiment,
  experimentStatus,
  mergeExperiment,
  experimentCsv,
  CellFailedError,
  ExperimentFailedError,
  ExperimentAbortedError,
  type ExperimentSpec,
  type ExperimentDefinition,
  type ExperimentCell,
  type ExperimentProgress,
  type ExperimentResult,
  type RunOptions,
} from './experiments';

// Studies: the protocols the kit's experiments run --------------------------------------------
export {
  runBanditRecovery,
  polisPreferenceTable,
  runBanditGroupRobust,
  runGroupRobustComparison,
  runAuthorsScenario,
  banditLogLinearPolicy,
} from './studies';
