/** Studies: the protocols behind the kit's experiments and figures. */
export * from './banditRecovery';
export * from './polisTable';
export * from './polisPairwise';
export * from './groupRobustBandit';
export * from './oneWorkflow';
