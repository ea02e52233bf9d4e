/**
 * Group Robust Preference Optimization experiments: the paper's group linear bandit (even and uneven
 * splits, DPO/IS-DPO/GR-DPO and IPO/IS-IPO/GR-IPO) and GR-DPO against DPO on Polis statement pairs.
 */
import { ROBUST_METHODS, type RobustMethod } from '../../robust/methods';
import {
  AUTHORS_SCENARIO_I,
  AUTHORS_SCENARIO_METHODS,
  runAuthorsScenario,
  runAuthorsScenarioPopulation,
  runBanditGroupRobust,
  runBanditGroupRobustPopulation,
  type AuthorsScenarioMethod,
} from '../../studies/groupRobustBandit';
import { runPolisGroupRobust, runPolisGroupRobustPopulation } from '../../studies/polisPairwise';
import { defineExperiment } from '../define';
import { registerExperiment } from '../registry';

/** The paper's synthetic comparison: 6 methods x seeds x {even, uneven} split, log-linear policy. */
export const groupRobustLinear = registerExperiment(
  defineExperiment({
    name: 'group-robust-linear',
    version: 3, // 2: log-linear log-ratios from precomputed feature differences (values move by ~1e-7); 3: GroupRobustTrainer (same values; per-step batch metrics and relative reward error added)
    methods: Object.keys(ROBUST_METHODS),
    seeds: { smoke: [0, 1], full: Array.from({ length: 20 }, (_, i) => i) },
    sweep: { name: 'split', values: ['even', 'uneven'] },
    config: (mode) => ({ steps: { smoke: 60, full: 1000 }[mode] }),
    run: (cell) => runBanditGroupRobust(cell.method as RobustMethod, cell.seed, { split: cell.sweepValue as 'even' | 'uneven', steps: cell.config.steps }),
    // Cells of one split train together (GroupRobustPopulation; each cell's records equal its run alone).
    population: {
      key: (cell) => String(cell.sweepValue),
      maxSize: 120,
      run: (cells) =>
        runBanditGroupRobustPopulation(
          cells.map((c) => ({ method: c.method as RobustMethod, seed: c.seed })),
          { split: cells[0]!.sweepValue as 'even' | 'uneven', steps: cells[0]!.config.steps },
        ),
    },
  }),
);

/** Polis conversations of the GR-DPO experiment (chosen for their conflicting, unbalanced groups). */
export const POLIS_ROBUST_CONVERSATIONS = ['15-per-hour-seattle', 'austria-climate.2vkxcncppn.2022-07-07', 'scoop-hivemind.affordable-housing'] as const;

/** DPO, IS-DPO and GR-DPO on Polis statement pairs, worst opinion group. */
export const polisGroupRobust = registerExperiment(
  defineExperiment({
    name: 'polis-group-robust',
    version: 3, // 2, 3: as group-robust-linear
    methods: ['dpo', 'is_dpo', 'gr_dpo'],
    seeds: { smoke: [0, 1], full: Array.from({ length: 10 }, (_, i) => i) },
    sweep: { name: 'conversation', values: { smoke: ['15-per-hour-seattle'], full: [...POLIS_ROBUST_CONVERSATIONS] } },
    config: (mode) => ({ steps: { smoke: 60, full: 1000 }[mode] }),
    run: (cell) => runPolisGroupRobust(cell.method as RobustMethod, cell.seed, { conversation: String(cell.sweepValue), steps: cell.config.steps }),
    population: {
      key: (cell) => String(cell.sweepValue),
      run: (cells) =>
        runPolisGroupRobustPopulation(
          cells.map((c) => ({ method: c.method as RobustMethod, seed: c.seed })),
          { conversation: String(cells[0]!.sweepValue), steps: cells[0]!.config.steps },
        ),
    },
  }),
);

/**
 * The authors' scenario (i) (see AUTHORS_SCENARIO_I in src/studies/groupRobustBandit.ts): uneven 60/240 split,
 * swapped features, full-batch SGD at learning rate 0.9, eta_alpha 0.5, normalised importance weights,
 * theta_0 ~ U(0, 1), 2000 steps, 20 seeds; the six gradient methods and GR-IPO by closed-form regression.
 */
export const groupRobustAuthors = registerExperiment(
  defineExperiment({
    name: 'group-robust-authors',
    version: 1,
    methods: [...AUTHORS_SCENARIO_METHODS],
    seeds: { smoke: [0, 1], full: Array.from({ length: AUTHORS_SCENARIO_I.seeds }, (_, i) => i) },
    config: (mode) => ({ steps: { smoke: 100, full: AUTHORS_SCENARIO_I.steps }[mode], log_every: { smoke: 25, full: 100 }[mode] }),
    run: (cell) => runAuthorsScenario(cell.method as AuthorsScenarioMethod, cell.seed, { steps: cell.config.steps, log_every: cell.config.log_every }),
    // The gradient methods' cells train together; the closed form's run one by one inside the call.
    population: {
      key: () => 'all',
      maxSize: 140,
      run: (cells) =>
        runAuthorsScenarioPopulation(
          cells.map((c) => ({ method: c.method as AuthorsScenarioMethod, seed: c.seed })),
          { steps: cells[0]!.config.steps, log_every: cells[0]!.config.log_every },
        ),
    },
  }),
);
