/**
 * Minority-recovery metrics over long-form trainer logs: learning curves, recovery times, areas
 * under curves and worst-group reward, each averaged over seeds with bootstrap intervals.
 * @packageDocumentation
 */
export { collectSeries, requireSeries, inputRecords, rowsToFrame } from './input';
export type { MetricInput, MetricSeries, RunLabels } from './input';
export * from './bootstrap';
export * from './smoothing';
export * from './aggregate';
export * from './curves';
export * from './recovery';
export * from './auc';
export * from './worst-group';
export * from './paired';
export * from './final';
