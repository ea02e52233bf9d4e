/**
 * Minority recovery on the heterogeneous-preference bandit: minority share 5, 10, 20 and 30 percent
 * x {GRPO, P-GRPO, Dr. GRPO, RLOO, P-GRPO with randomly assigned groups} x seeds, from a
 * majority-biased start of two strengths (see `runBanditRecovery` for the design).
 */
import { banditRecoveryRun, RECOVERY_METHODS, runBanditRecovery, runTableRecoveryPopulation, type BanditRecoveryConfig } from '../../studies/banditRecovery';
import { defineExperiment } from '../define';
import { registerExperiment } from '../registry';

/** Minority shares swept in the recovery experiments (full mode). */
export const RECOVERY_SHARES = [0.05, 0.1, 0.2, 0.3] as const;

function recoveryExperiment(name: string, extraWarmStartSteps: number, description: string) {
  return defineExperiment<Omit<BanditRecoveryConfig, 'minority_share'> & { description: string }>({
    name,
    version: 4, // 4: dense layers add the bias after the product (unfused; values move by float32 rounding), cells train as populations
    methods: RECOVERY_METHODS,
    seeds: { smoke: [0, 1], full: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
    sweep: { name: 'minority_share', values: { smoke: [0.1, 0.3], full: [...RECOVERY_SHARES] } },
    config: (mode) => ({ steps: { smoke: 15, full: 150 }[mode], warm_start_prob: 0.9, extra_warm_start_steps: extraWarmStartSteps, description }),
    run: (cell) => {
      const { description: _ignored, ...config } = cell.config;
      return runBanditRecovery(cell.method as (typeof RECOVERY_METHODS)[number], cell.seed, {
        ...config,
        minority_share: Number(cell.sweepValue),
      });
    },
    // Every cell has the same policy architecture and training settings: any of them train together
    // (one population; the records of each equal its run alone, bit for bit).
    population: {
      key: () => 'all',
      maxSize: 100,
      run: (cells) =>
        runTableRecoveryPopulation(
          cells.map((cell) => {
            const { description: _ignored, ...config } = cell.config;
            return banditRecoveryRun(cell.method, cell.seed, { ...config, minority_share: Number(cell.sweepValue) });
          }),
        ),
    },
  });
}

/** Mild majority bias: warm start until the majority's favourite has probability 0.9 for a minority user. */
export const minorityRecoveryMild = registerExperiment(
  recoveryExperiment('minority-recovery-mild', 0, 'warm start until p(majority favourite | minority user) >= 0.9'),
);
/**
 * Strong majority bias: the same, then 300 more warm-start steps (the start probability reached is
 * logged as `start_prob_majority_favourite`; majority-only data cannot push it much past 0.95).
 */
export const minorityRecoveryStrong = registerExperiment(
  recoveryExperiment('minority-recovery-strong', 300, 'warm start until p(majority favourite | minority user) >= 0.9, then 300 more steps'),
);
