/**
 * Minority recovery on real Polis opinion groups: the recovery protocol of the bandit study run on
 * preference tables built from Polis votes (statements as responses, agree rates as rewards).
 * Conversations were chosen for their imbalance before any training: 15-per-hour-seattle (72/28),
 * austria-climate Energie (85/15), scoop-hivemind affordable housing (91/9), and football-concussions
 * (89/11), where both groups' favourite statement is the same (a control without conflict).
 */
import { runTableRecovery, runTableRecoveryPopulation } from '../../studies/banditRecovery';
import { polisPreferenceTable } from '../../studies/polisTable';
import { defineExperiment } from '../define';
import { registerExperiment } from '../registry';

/** Conversations of the full Polis recovery experiment. */
export const POLIS_RECOVERY_CONVERSATIONS = [
  '15-per-hour-seattle',
  'austria-climate.2vkxcncppn.2022-07-07',
  'scoop-hivemind.affordable-housing',
  'football-concussions',
] as const;

/** GRPO, P-GRPO and RLOO on Polis preference tables, from a mild majority-biased start. */
export const polisRecovery = registerExperiment(
  defineExperiment({
    name: 'polis-recovery',
    version: 4, // 4: dense layers add the bias after the product (unfused; values move by float32 rounding), cells train as populations
    methods: ['grpo', 'pgrpo', 'rloo'],
    seeds: { smoke: [0, 1], full: [0, 1, 2, 3, 4, 5, 6, 7] },
    sweep: { name: 'conversation', values: { smoke: ['15-per-hour-seattle'], full: [...POLIS_RECOVERY_CONVERSATIONS] } },
    config: (mode) => ({ steps: { smoke: 15, full: 150 }[mode], warm_start_prob: 0.9, max_statements: 24 }),
    run: (cell) => {
      const { max_statements, ...config } = cell.config;
      const table = polisPreferenceTable(String(cell.sweepValue), { max_statements });
      return runTableRecovery(cell.method as 'grpo' | 'pgrpo' | 'rloo', cell.seed, table, config);
    },
    // A conversation's table fixes the policy architecture (groups, statements): its cells train together.
    population: {
      key: (cell) => String(cell.sweepValue),
      run: (cells) =>
        runTableRecoveryPopulation(
          cells.map((cell) => {
            const { max_statements, ...config } = cell.config;
            return { method: cell.method, seed: cell.seed, table: polisPreferenceTable(String(cell.sweepValue), { max_statements }), config };
          }),
        ),
    },
  }),
);
