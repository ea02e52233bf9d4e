/**
 * The kit's own experiments. Importing this module registers them, so worker processes and the
 * `scripts/experiment.ts` CLI find them by name.
 */
export * from './minorityRecovery';
export * from './polisRecovery';
export * from './groupRobust';
export * from './oneWorkflow';
