/**
 * Figures: plotly builders with a shared palette, HTML/PNG export, notebook display and result tables.
 * @packageDocumentation
 */
export * from './types';
export * from './palette';
export * from './layout';
export * from './builders';
export * from './html';
export * from './exporter';
export * from './save';
export * from './show';
export * from './table';
