/**
 * Multi-group preference data: the scored and pairwise shapes, their loaders, summaries, reward
 * lookup, synthetic tasks (heterogeneous bandit presets, style x genre personas), and loaders for
 * Polis open data and MovieLens-1M-format files.
 * @packageDocumentation
 */
export * from './schema';
export * from './errors';
export { parseCsv, toCsv, csvField, type CsvRecord } from './csv';
export { typedFrame, rowsToTypedFrame, type TypedColumn } from './frame';
export { readTableFile, tableFormat, type TableFormat, type RawTable, type RawRow } from './tableFile';
export * from './loaders';
export * from './summaries';
export * from './rewardLookup';
export * from './bridge';
export * from './rewardPairs';
export * from './heterogeneousBandit';
export * from './personas';
export * from './polis';
export * from './polisFetch';
export * from './movielens';
export * from './shipped';
// The GR-PO group linear bandit (owned by another module author; re-exported so the area has one entry point).
export * from './groupLinearBandit';
