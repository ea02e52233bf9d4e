/**
 * One workflow (notebook 08): GRPO (scale_rewards group and batch), P-GRPO, group-robust GRPO, DPO and
 * GR-DPO on the same policy and the same rewards (see src/studies/oneWorkflow.ts for the design), on
 * the persona language model and on one Polis conversation. Sizes were fixed for the time budget
 * (full notebook in about three minutes on two CPU cores) before any result was seen.
 */
import {
  isGrpoFamily,
  ONE_WORKFLOW_METHODS,
  runOneWorkflowPersona,
  runOneWorkflowTable,
  runOneWorkflowTablePopulation,
  type OneWorkflowMethod,
} from '../../studies/oneWorkflow';
import { polisPreferenceTable } from '../../studies/polisTable';
import { defineExperiment } from '../define';
import { registerExperiment } from '../registry';

/** The Polis conversation of the one-workflow comparison (72/28 opinion groups; notebook 05's first). */
export const ONE_WORKFLOW_CONVERSATION = '15-per-hour-seattle';

/** The six methods on one Polis conversation, categorical MLP policy from a majority-biased start. */
export const oneWorkflowPolis = registerExperiment(
  defineExperiment({
    name: 'one-workflow-polis',
    version: 2, // 2: dense layers add the bias after the product (unfused; values move by float32 rounding)
    methods: [...ONE_WORKFLOW_METHODS],
    seeds: { smoke: [0, 1], full: [0, 1, 2, 3, 4] },
    config: (mode) => ({
      conversation: ONE_WORKFLOW_CONVERSATION,
      max_statements: 24,
      steps: { smoke: 10, full: 150 }[mode],
      eval_every: 5,
      learning_rate: 0.01,
      prompts_per_step: 16,
      num_generations: 8,
      beta: 0,
      pair_batch: 32,
      dpo_beta: 0.1,
      warm_start_prob: 0.9,
      pair_margin: 0.1,
      hidden: 32,
    }),
    run: (cell) => {
      const { conversation, max_statements, ...settings } = cell.config;
      const table = polisPreferenceTable(conversation, { max_statements });
      return runOneWorkflowTable(cell.method as OneWorkflowMethod, cell.seed, table, settings);
    },
    // The GRPO-family cells train together (one population); DPO and GR-DPO run alone.
    population: {
      key: (cell) => (isGrpoFamily(cell.method as OneWorkflowMethod) ? 'grpo-family' : null),
      run: (cells) => {
        const { conversation, max_statements, ...settings } = cells[0]!.config;
        const table = polisPreferenceTable(conversation, { max_statements });
        return runOneWorkflowTablePopulation(
          cells.map((c) => ({ method: c.method as OneWorkflowMethod, seed: c.seed })),
          table,
          settings,
        );
      },
    },
  }),
);

/** The six methods on notebook 06's persona language model (GRU policy, seven personas). */
export const oneWorkflowPersona = registerExperiment(
  defineExperiment({
    name: 'one-workflow-persona',
    version: 2, // 2: dense layers add the bias after the product (unfused; values move by float32 rounding)
    methods: [...ONE_WORKFLOW_METHODS],
    seeds: { smoke: [0, 1], full: [0, 1, 2, 3, 4] },
    config: (mode) => ({
      corpus: { smoke: 200, full: 600 }[mode],
      pretrain_steps: { smoke: 20, full: 200 }[mode],
      steps: { smoke: 4, full: 40 }[mode],
      eval_every: { smoke: 2, full: 10 }[mode],
      learning_rate: 3e-3,
      prompts_per_step: { smoke: 4, full: 8 }[mode],
      num_generations: 4,
      beta: 0.04,
      pair_batch: 16,
      dpo_beta: 0.1,
      pair_samples: { smoke: 4, full: 8 }[mode],
      eval_per_persona: { smoke: 4, full: 8 }[mode],
    }),
    run: (cell) => runOneWorkflowPersona(cell.method as OneWorkflowMethod, cell.seed, cell.config),
  }),
);
