/**
 * The GRPO trainer (P-GRPO is the same trainer with the `pgrpo` estimator), its loss, optimiser,
 * tasks and metrics.
 */
export { GRPOTrainer, createPGRPOTrainer } from './grpo';
export type { GRPOCheckpoint, TrainOptions } from './grpo';
export { formatTrainProgress, trainProgress, trainProgressHtml, TrainProgressTracker } from './progress';
export type { TrainProgress, TrainProgressOption, TrainProgressOptions } from './progress';
export { checkGrpoCheckpoint, GRPO_CHECKPOINT_FORMAT } from './checkpoint';
export type { GRPOConfig, ResolvedGRPOConfig, AdvantageChoice } from './config';
export { resolveConfig } from './config';
export { checkGroupRobustOption, groupShortfalls, GroupRobustWeights } from './groupWeights';
export type { GroupRobustGRPOOptions } from './groupWeights';
export { grpoLoss, k3KL, LOSS_TYPES } from './loss';
export type { LossType, GRPOLossConfig, GRPOLossInput, GRPOLossOutput } from './loss';
export { Adam, checkAdamState } from './adam';
export { SGD } from './sgd';
export type { SGDOptions, SGDState } from './sgd';
export { FUSED_ADAM_KERNEL, fusedAdamAvailable, fusedAdamUpdate } from './fusedAdam';
export type { FusedAdamScalars } from './fusedAdam';
export { clipByGlobalNorm } from './clip';
export type { AdamOptions, AdamState } from './adam';
export { tableTask } from './task';
export type { Task, Prompt, Response, RewardFunction, TableTaskOptions } from './task';
export { stepMetrics, TOKEN_STATS } from './metrics';
export type { StepSamples } from './metrics';
