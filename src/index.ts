/**
 * hpa-kit: heterogeneous-preference alignment on TensorFlow.js.
 *
 * The one public entry point. Notebooks import it by package name (`import * as kit from 'hpa-kit'`).
 * @packageDocumentation
 */
export * from './backend';
export * from './random';
export * from './checkpoint';
export * from './frames';
export * from './runtime';
export * from './display';
export * from './advantages';
export * from './analysis';
export * from './figures';
export * from './policy';
export * from './trainer';
export * from './data';
export * from './experiments';
export * from './studies';
export * from './lm';
export * from './robust';
export * from './nn';
